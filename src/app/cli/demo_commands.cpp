// billingd demo
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <random>

#include "app/cli/cli.hpp"
#include "app/config.hpp"
#include "app/wiring.hpp"
#include "core/log.hpp"
#include "credits/credit_ledger.hpp"
#include "dunning/campaign_store.hpp"
#include "invoicing/invoice_store.hpp"

namespace meterline::app {

namespace {

constexpr const char* kDemoUsage = R"(Usage: billingd demo

Fills the configured database with demo data: an admin, four customers (one
per plan) each with a member login, and three months of hourly usage, with
some customers past 75 %, 90 % and 100 % of their limits this period; and a
fifth customer four days into a 14-day free trial of Growth.
Prints the logins. Running it again changes nothing and prints them again.
)";

constexpr const char* kDemoPassword = "meterline-demo";

struct DemoCustomer {
  const char* name;
  const char* email;
  const char* country;
  const char* plan;
  int percent_of_limit;  // this period's impressions, against the plan's limit
};

constexpr DemoCustomer kDemoCustomers[] = {
    {"Acme Ads", "member@acme.demo", "DE", "starter", 60},
    {"Bright Media", "member@bright.demo", "US", "growth", 82},
    {"Cobalt Games", "member@cobalt.demo", "GB", "scale", 94},
    {"Delta Apps", "member@delta.demo", "FR", "enterprise", 112},
};

// The customer on a free trial: no history yet.
constexpr const char* kTrialName = "Echo Labs";
constexpr const char* kTrialEmail = "member@echo.demo";

int FillDemo(App& app);

void PrintLogins() {
  std::printf("Demo logins (password: %s)\n", kDemoPassword);
  std::printf("  admin   admin@meterline.demo\n");
  for (const auto& c : kDemoCustomers) std::printf("  member  %-22s %s (%s plan)\n", c.email, c.name, c.plan);
  std::printf("  member  %-22s %s (growth plan, free trial)\n", kTrialEmail, kTrialName);
}

}  // namespace

int RunDemo(const std::vector<std::string>& args) {
  if (WantsHelp(args)) {
    std::cout << kDemoUsage;
    return 0;
  }
  if (!args.empty()) {
    PrintError("demo takes no arguments");
    return 2;
  }
  return WithApp(FillDemo);
}

namespace {

// Creates the demo data in `app`'s database, or only prints the logins when
// it is there already.
int FillDemo(App& app) {
  SystemClock clock;
  auth::RequestOrigin origin{"", "billingd-demo"};
  auto existing = app.db->Execute("SELECT 1 FROM users WHERE email = 'admin@meterline.demo'");
  if (!existing.ok()) {
    PrintError(existing.error().message);
    return 1;
  }
  if (!existing->rows.empty()) {
    std::printf("Demo data is already present.\n");
    PrintLogins();
    return 0;
  }
  if (auto admin = app.identity->CreateUser("admin@meterline.demo", kDemoPassword, Role::kAdmin, "", "demo", origin);
      !admin.ok()) {
    PrintError(admin.error().message);
    return 1;
  }
  TimePoint now = clock.Now();
  // Anchor subscriptions at the start of the month three months ago: three
  // whole periods of history plus the current one.
  auto today = std::chrono::floor<std::chrono::days>(now);
  std::chrono::year_month_day ymd{today};
  std::chrono::year_month start_month = std::chrono::year_month(ymd.year(), ymd.month()) - std::chrono::months(3);
  TimePoint anchor = std::chrono::sys_days(start_month / std::chrono::day(1));
  // The history is older than the ingestion window allows for live traffic.
  metering::IngestOptions history_options;
  history_options.max_age = std::chrono::hours(24 * 130);
  history_options.closed_after = std::nullopt;
  metering::IngestService history(*app.db, *app.usage_store, *app.plans, clock,
                                  &invoicing::InvoiceStore::InvoicedPeriods, history_options);
  std::mt19937_64 rng(7);
  int64_t total_events = 0;
  for (const DemoCustomer& demo : kDemoCustomers) {
    auto customer = app.customers->Create({demo.name, demo.email, demo.country, "USD"}, "demo", origin);
    if (!customer.ok()) {
      PrintError(customer.error().message);
      return 1;
    }
    if (auto user = app.identity->CreateUser(demo.email, kDemoPassword, Role::kMember, customer->id, "demo", origin);
        !user.ok()) {
      PrintError(user.error().message);
      return 1;
    }
    auto sub = app.subscriptions->Create(customer->id, demo.plan, anchor, subscriptions::Status::kActive, "demo");
    if (!sub.ok()) {
      PrintError(sub.error().message);
      return 1;
    }
    Period current = sub->PeriodAt(now);
    auto version = app.plans->Version(demo.plan, sub->VersionAt(current.start));
    if (!version.ok()) {
      PrintError(version.error().message);
      return 1;
    }
    const catalog::Plan& plan = **version;
    // One event per metric per hour from the anchor up to now (the current hour
    // too, so that the first hour of a month has usage); this period reaches
    // the customer's target.
    std::vector<std::pair<size_t, metering::UsageEvent>> batch;
    int64_t hours_now = std::chrono::duration_cast<std::chrono::hours>(now - current.start).count() + 1;
    for (TimePoint hour = anchor; hour < now; hour += std::chrono::hours(1)) {
      bool in_current = hour >= current.start;
      Period period = MonthlyPeriodContaining(anchor, hour);
      int64_t period_hours = std::chrono::duration_cast<std::chrono::hours>(period.end - period.start).count();
      for (const auto& [metric, limit] : plan.limits) {
        // Past periods: 60-119 % of the limit, fixed per customer and period, so
        // some past invoices carry overage lines.
        int past = 60 + static_cast<int>((ToUnixMillis(period.start) / 3'600'000 + demo.percent_of_limit +
                                          static_cast<int64_t>(metric.size())) %
                                         60);
        int percent = in_current ? demo.percent_of_limit : past;
        int64_t hours = in_current ? hours_now : period_hours;
        // Spread the target over the hours with +/-20 % noise.
        int64_t base = static_cast<int64_t>(static_cast<__int128>(limit) * percent / 100 / hours);
        int64_t value = base * (80 + static_cast<int64_t>(rng() % 41)) / 100;
        metering::UsageEvent event;
        event.id = "demo-" + metric + "-" + std::to_string(ToUnixMillis(hour));
        event.customer_id = customer->id;
        event.metric = metric;
        event.value = value;
        event.timestamp = hour + std::chrono::minutes(rng() % 60);
        if (event.timestamp > now) event.timestamp = hour;
        batch.emplace_back(batch.size(), std::move(event));
      }
      if (batch.size() >= 3000) {
        auto r = history.Ingest(metering::RefsOf(batch), {}, "");
        if (!r.ok()) {
          PrintError(r.error().message);
          return 1;
        }
        total_events += r->accepted;
        batch.clear();
      }
    }
    auto r = history.Ingest(metering::RefsOf(batch), {}, "");
    if (!r.ok()) {
      PrintError(r.error().message);
      return 1;
    }
    total_events += r->accepted;
    std::fprintf(stderr, "demo: %s on %s\n", demo.name, demo.plan);
  }
  // Invoices for the closed periods, then a history of payments: older
  // invoices paid, one uncollectible, one void, the latest open, one draft.
  // Each closed period is invoiced as the scheduler would have, two hours
  // after it ended: a clock set to that moment dates the invoice.
  invoicing::RunSummary run;
  for (Period p = MonthlyPeriodContaining(anchor, anchor); p.end + std::chrono::hours(2) <= now;
       p = MonthlyPeriodContaining(anchor, p.end)) {
    FakeClock then(p.end + std::chrono::hours(2));
    invoicing::InvoiceService at_close(*app.db, *app.usage_store, *app.plans, then, app.invoices->options());
    auto ran = at_close.RunPeriodsStartingIn(p.start, p.end);
    if (!ran.ok()) {
      PrintError(ran.error().message);
      return 1;
    }
    run.created += ran->created;
  }
  auto all = app.invoices->List({}, {.limit = 100});
  if (!all.ok()) {
    PrintError(all.error().message);
    return 1;
  }
  std::map<std::string, std::vector<invoicing::Invoice>> by_customer;  // oldest first
  for (const auto& invoice : all->items) by_customer[invoice.customer_id].push_back(invoice);
  for (auto& [unused, invoices] : by_customer) {
    std::sort(invoices.begin(), invoices.end(),
              [](const auto& a, const auto& b) { return a.period.start < b.period.start; });
  }
  int customer_index = 0;
  for (auto& [customer_id, invoices] : by_customer) {
    for (size_t i = 0; i + 1 < invoices.size(); ++i) {
      invoicing::InvoiceStatus to = invoicing::InvoiceStatus::kPaid;
      if (customer_index == 2 && i == 0) to = invoicing::InvoiceStatus::kUncollectible;
      if (customer_index == 3 && i == 0) to = invoicing::InvoiceStatus::kVoid;
      TimePoint at = invoices[i].period.end + std::chrono::hours(24 * (3 + customer_index));
      auto moved = app.invoices->Transition(invoices[i].id, to, std::min(at, now), "demo");
      if (!moved.ok()) {
        PrintError(moved.error().message);
        return 1;
      }
    }
    ++customer_index;
  }
  // A credit note paid out as credits on one customer's oldest paid invoice,
  // and a launch promotion for another: the Credits tab has something to show.
  int64_t credit_notes = 0;
  customer_index = 0;
  for (auto& [customer_id, invoices] : by_customer) {
    if (customer_index == 0) {
      auto granted = credits::CreditLedger::GrantByAdmin(*app.db, clock,
                                                         {.customer_id = customer_id,
                                                          .currency = "USD",
                                                          .amount_minor = 10000,
                                                          .expires_at = now + std::chrono::hours(24 * 90),
                                                          .description = "Launch promotion",
                                                          .actor = "demo"});
      if (!granted.ok()) {
        PrintError(granted.error().message);
        return 1;
      }
    } else if (customer_index == 1 && invoices.size() > 1) {
      auto note = app.credit_notes->Issue(invoices[0].id, "",
                                          {.amount_minor = 2500,
                                           .description = "Goodwill: reporting outage",
                                           .reason = credit_notes::Reason::kOrderChange,
                                           .memo = "Usage reports were late for two days."},
                                          "demo");
      if (!note.ok()) {
        PrintError(note.error().message);
        return 1;
      }
      ++credit_notes;
    }
    ++customer_index;
  }
  // Delta Apps' latest invoice failed to be paid two days ago: its dunning
  // campaign runs (the console's past-due banner, the campaign on the invoice).
  customer_index = 0;
  for (auto& [customer_id, invoices] : by_customer) {
    if (customer_index++ != 3 || invoices.empty() || !invoices.back().finalized_at) continue;
    const invoicing::Invoice& latest = invoices.back();
    FakeClock failed_at(std::max(*latest.finalized_at + std::chrono::minutes(1), now - std::chrono::hours(48)));
    if (failed_at.Now() >= now || latest.status != invoicing::InvoiceStatus::kOpen) continue;
    auto started = app.db->Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
      MTL_RETURN_IF_ERROR(invoicing::InvoiceStore::CountFailedPayment(tx, latest.id, failed_at.Now()));
      MTL_RETURN_IF_ERROR(dunning::CampaignStore::Start(tx, failed_at, latest.id, app.config.dunning));
      return OkStatus();
    });
    if (!started.ok()) {
      PrintError(started.error().message);
      return 1;
    }
  }
  if (!by_customer.empty()) {
    const std::string& customer_id = by_customer.begin()->first;
    auto draft = app.invoices->CreateDraft(customer_id, "USD", MonthlyPeriodContaining(anchor, now),
                                           {{"adjustment", "", "Onboarding workshop (2 hours)", 2, "150.00", 30000}});
    if (!draft.ok()) {
      PrintError(draft.error().message);
      return 1;
    }
  }
  // Four days into a 14-day trial of Growth.
  auto trial_customer = app.customers->Create({kTrialName, kTrialEmail, "NL", "USD"}, "demo", origin);
  if (!trial_customer.ok()) {
    PrintError(trial_customer.error().message);
    return 1;
  }
  if (auto user =
          app.identity->CreateUser(kTrialEmail, kDemoPassword, Role::kMember, trial_customer->id, "demo", origin);
      !user.ok()) {
    PrintError(user.error().message);
    return 1;
  }
  auto trial = app.subscriptions->Create(trial_customer->id, "growth", now - std::chrono::hours(24 * 4),
                                         subscriptions::Status::kTrialing, "demo", 14);
  if (!trial.ok()) {
    PrintError(trial.error().message);
    return 1;
  }
  std::printf("Demo data created: 1 admin, %zu customers, %lld usage events, %lld invoices, %lld credit note%s.\n",
              std::size(kDemoCustomers) + 1, static_cast<long long>(total_events),
              static_cast<long long>(run.created) + (by_customer.empty() ? 0 : 1), static_cast<long long>(credit_notes),
              credit_notes == 1 ? "" : "s");
  PrintLogins();
  return 0;
}

}  // namespace
}  // namespace meterline::app
