// Setup shared by the end-to-end bench drivers (not timed): the app built
// from the environment exactly as billingd builds it, and a closed month of
// subscriptions with usage to price.
#pragma once

#include <cstdint>
#include <memory>

#include "app/wiring.hpp"
#include "core/clock.hpp"
#include "core/period.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"

namespace meterline::bench {

// LoadConfig from the environment (DATABASE_URL, CLICKHOUSE_URL, STRIPE_…),
// migrations on, log level error. Prints the error and exits (2 for bad
// configuration, 1 otherwise) when the app cannot be built.
std::unique_ptr<app::App> BuildAppFromEnv(const Clock& clock);

// The calendar month before the one `now` is in: its periods are closed.
Period LastClosedMonth(TimePoint now);

// `subscriptions` customers cus_bench_<n> (n = 1..), each with an active
// subscription sub_bench_<n> anchored at month.start on one of the four demo
// plans in turn, and a day of hourly rollups on every metric (some over their
// limits). Generated in SQL, then ANALYZE, as a database that has been running
// would have statistics.
// The rollups go where `app` keeps each customer's usage (app.usage_databases).
Status SeedSubscriptionsWithUsage(app::App& app, int64_t subscriptions, const Period& month);

// Seconds since `start` on the steady clock.
double SecondsSince(std::chrono::steady_clock::time_point start);

}  // namespace meterline::bench
