// The ClickHouse client and schema against the real servers ./scripts/test
// starts: escaping round trips, the schema on one node and on the two-shard
// cluster (rows really land on both shards), idempotent migrations, and
// errors when ClickHouse is away.
#include <gtest/gtest.h>

#include <filesystem>
#include <span>
#include <tuple>

#include "clickhouse/client.hpp"
#include "clickhouse/schema.hpp"
#include "core/embedded_file.hpp"
#include "core/ids.hpp"
#include "support/billingd_harness.hpp"
#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/test_clickhouse.hpp"

namespace meterline::clickhouse {
std::span<const EmbeddedFile> EmbeddedClickHouseMigrations();  // compiled in from migrations/*.sql
}  // namespace meterline::clickhouse

namespace meterline::testing {
namespace {

using clickhouse::Client;
using clickhouse::ParseUrl;

// The columns these tests write (derived: the default, no derived metric).
const std::vector<std::string_view> kEventColumns = {"customer_id", "event_id",    "metric",    "value",
                                                     "occurred_at", "received_at", "properties"};

TEST(ClickHouseUrl, ParsesCredentialsAndDatabase) {
  auto e = ParseUrl("http://meter:s3cret@ch.internal:8123/usage");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->base_url, "http://ch.internal:8123");
  EXPECT_EQ(e->user, "meter");
  EXPECT_EQ(e->password, "s3cret");
  EXPECT_EQ(e->database, "usage");
  EXPECT_EQ(ParseUrl("https://ch:8443")->database, "default");
  EXPECT_FALSE(ParseUrl("ch:8123").ok());
  EXPECT_FALSE(ParseUrl("http://ch:8123/bad-name").ok());
  EXPECT_FALSE(ParseUrl("http:///db").ok());
}

TEST(ClickHouseTsv, EscapesAndParsesBack) {
  std::string row;
  clickhouse::AppendTsvRow(row, {"a\tb", "line\nbreak", "back\\slash 'quote'", ""});
  auto rows = clickhouse::ParseTsv(row);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0], (std::vector<std::string>{"a\tb", "line\nbreak", "back\\slash 'quote'", ""}));
  EXPECT_FALSE(clickhouse::ParseTsv("no newline").ok());
  EXPECT_EQ(clickhouse::Quote("it's \\ fine"), "'it\\'s \\\\ fine'");
}

class ClickHouseServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!ClickHouseAvailable()) GTEST_SKIP() << "MTL_TEST_CLICKHOUSE_URL is not set (./scripts/test sets it)";
  }
};

TEST_F(ClickHouseServerTest, HostileStringsRoundTripThroughInsertsQuotesAndExternalTables) {
  auto db = TestClickHouse::Create(/*cluster=*/false);
  clickhouse::Layout layout{*ParseUrl(db->env().at("CLICKHOUSE_URL")), "", {}};
  ASSERT_TRUE(clickhouse::ApplySchema(layout).ok());
  Client client(layout.front);
  const std::vector<std::string> ids = {"plain",
                                        "tab\there",
                                        "new\nline",
                                        "quote'); DROP TABLE usage_events; --",
                                        "back\\slash",
                                        "ünïcødé ✓",
                                        std::string("nul\0byte", 8)};
  std::string rows;
  for (const std::string& id : ids) {
    clickhouse::AppendTsvRow(rows, {"cus_1", id, "api_calls", "1", "1764050000000", "1764050000000", "{\"k\":\"v\"}"});
  }
  ASSERT_TRUE(client.InsertTsv("usage_events", rows, {}, kEventColumns).ok());
  for (const std::string& id : ids) {
    auto body = client.Query("SELECT event_id FROM usage_events WHERE event_id = " + clickhouse::Quote(id) +
                             " FORMAT TabSeparated");
    ASSERT_TRUE(body.ok()) << body.error().message;
    auto parsed = clickhouse::ParseTsv(*body);
    ASSERT_TRUE(parsed.ok());
    ASSERT_EQ(parsed->size(), 1u) << "id " << id;
    EXPECT_EQ((*parsed)[0][0], id);
  }
  clickhouse::ExternalTable batch{"batch", "event_id String", ""};
  for (const std::string& id : ids) clickhouse::AppendTsvRow(batch.tsv, {id});
  clickhouse::AppendTsvRow(batch.tsv, {"missing"});
  auto found = client.Query("SELECT count() FROM usage_events WHERE event_id IN (SELECT event_id FROM batch)", {batch});
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(*found, std::to_string(ids.size()) + "\n");
  auto rollup = client.Query("SELECT sum(total), sum(events) FROM usage_hourly");
  EXPECT_EQ(*rollup, std::to_string(ids.size()) + "\t" + std::to_string(ids.size()) + "\n");
}

TEST_F(ClickHouseServerTest, SchemaIsIdempotentAndChecked) {
  auto db = TestClickHouse::Create(/*cluster=*/false);
  clickhouse::Layout layout{*ParseUrl(db->env().at("CLICKHOUSE_URL")), "", {}};
  Client client(layout.front);
  Client server({layout.front.base_url, "", "", "default"});
  ASSERT_TRUE(server.Query("CREATE DATABASE " + layout.front.database).ok());
  Status missing = clickhouse::CheckSchema(client);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("billingd migrate"), std::string::npos);
  ASSERT_TRUE(clickhouse::ApplySchema(layout).ok());
  ASSERT_TRUE(clickhouse::ApplySchema(layout).ok());
  EXPECT_TRUE(clickhouse::CheckSchema(client).ok());
}

// A node migrated by an older billingd (only 0001: sums and counts, fed by
// the old view) upgrades in place: the new rollups are filled from the events
// once, with the peak and the latest value of each hour, and applying again
// changes nothing.
TEST_F(ClickHouseServerTest, RollupsFromBeforeAggregationsAreRebuiltFromTheEventsOnce) {
  auto db = TestClickHouse::Create(/*cluster=*/false);
  clickhouse::Layout layout{*ParseUrl(db->env().at("CLICKHOUSE_URL")), "", {}};
  Client client(layout.front);
  Client server({layout.front.base_url, "", "", "default"});
  ASSERT_TRUE(server.Query("CREATE DATABASE " + layout.front.database).ok());
  const EmbeddedFile* first = nullptr;
  for (const EmbeddedFile& f : clickhouse::EmbeddedClickHouseMigrations()) {
    if (f.name == "0001_usage.sql") first = &f;
  }
  ASSERT_NE(first, nullptr);
  for (const std::string& statement : clickhouse::Statements(first->content, "", "", "")) {
    ASSERT_TRUE(client.Query(statement).ok()) << statement;
  }
  std::string rows;
  // Hour 0: 5, 9, then 3 and 7 in one millisecond (the larger is the latest); hour 1: 4.
  for (auto [id, value, at] : std::vector<std::tuple<const char*, int, int64_t>>{
           {"e1", 5, 1000}, {"e2", 9, 2000}, {"e3", 3, 3000}, {"e4", 7, 3000}, {"e5", 4, 3'600'000}}) {
    clickhouse::AppendTsvRow(rows, {"cus_old", id, "seats", std::to_string(value), std::to_string(at), "0", ""});
  }
  ASSERT_TRUE(client.InsertTsv("usage_events", rows).ok());
  EXPECT_EQ(*client.Query("SELECT sum(total) FROM usage_rollups_hourly"), "28\n");

  const char* read =
      "SELECT hour_start, sum(total), sum(events), maxMerge(peak), argMaxMerge(latest) FROM usage_hourly "
      "GROUP BY hour_start ORDER BY hour_start";
  for (int apply = 0; apply < 2; ++apply) {
    Status applied = clickhouse::ApplySchema(layout);
    ASSERT_TRUE(applied.ok()) << applied.error().message;
    EXPECT_EQ(*client.Query(read), "0\t24\t4\t9\t7\n3600000\t4\t1\t4\t4\n") << "apply " << apply;
  }
  EXPECT_EQ(*client.Query("SELECT name FROM schema_migrations ORDER BY name"),
            "0001_usage.sql\n0002_aggregations.sql\n");
  EXPECT_EQ(*client.Query("SELECT count() FROM system.tables WHERE database = currentDatabase() AND name LIKE "
                          "'usage_rollups_hourly%'"),
            "0\n");
  // New events feed the new rollups, derived metrics included.
  std::string more;
  clickhouse::AppendTsvRow(more, {"cus_old", "e6", "seats", "11", "3601000", "0", ""});
  more.back() = '\t';
  more += "['seats_eu']\n";
  ASSERT_TRUE(client.InsertTsv("usage_events", more).ok());
  EXPECT_EQ(*client.Query(read), "0\t24\t4\t9\t7\n3600000\t26\t3\t11\t11\n");
  EXPECT_EQ(*client.Query("SELECT metric, sum(total) FROM usage_hourly WHERE metric = 'seats_eu' GROUP BY metric"),
            "seats_eu\t11\n");
}

TEST_F(ClickHouseServerTest, ClusterSpreadsCustomersOverBothShardsAndReadsThemAll) {
  auto db = TestClickHouse::Create(/*cluster=*/true);
  ASSERT_EQ(db->nodes().size(), 2u);
  clickhouse::Layout layout;
  layout.front = *ParseUrl(db->env().at("CLICKHOUSE_URL"));
  layout.cluster = db->env().at("CLICKHOUSE_CLUSTER");
  for (const std::string& node : db->nodes()) layout.shards.push_back(*ParseUrl(node + "/" + db->database()));
  ASSERT_TRUE(clickhouse::ApplySchema(layout).ok());
  Client front(layout.front);
  std::string rows;
  for (int c = 0; c < 40; ++c) {
    for (int e = 0; e < 5; ++e) {
      clickhouse::AppendTsvRow(rows, {"cus_" + std::to_string(c), "e" + std::to_string(e), "impressions", "3",
                                      "1764050000000", "1764050000000", ""});
    }
  }
  ASSERT_TRUE(front.InsertTsv("usage_events", rows, {{"insert_distributed_sync", "1"}}, kEventColumns).ok());
  int64_t local_sum = 0;
  for (const auto& shard : layout.shards) {
    Client node(shard);
    auto local = node.Query("SELECT count() FROM usage_hourly_local");
    ASSERT_TRUE(local.ok()) << local.error().message;
    int64_t n = std::stoll(*local);
    EXPECT_GT(n, 0) << "shard " << shard.base_url << " holds no rollups";
    local_sum += n;
  }
  EXPECT_EQ(local_sum, 40);  // one rollup row per customer, each on exactly one shard
  auto total = front.Query("SELECT sum(total), uniqExact(customer_id) FROM usage_hourly");
  EXPECT_EQ(*total, "600\t40\n");
}

TEST(ClickHouseDown, AnswersUnavailable) {
  Client client({"http://127.0.0.1:1", "", "", "default"}, 2000);
  auto r = client.Query("SELECT 1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
}

TEST(ClickHouseDown, BillingdRefusesToStartAndSaysWhy) {
  std::string data_dir = "/tmp/mtl-ch-down-" + RandomHex(6);
  RunResult r = RunBillingd(
      {"serve", "--port", "0"},
      {{"DATA_DIR", data_dir}, {"CLICKHOUSE_URL", "http://127.0.0.1:1/meterline"}, {"CONSOLE_DIR", "/nonexistent"}});
  std::filesystem::remove_all(data_dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("ClickHouse at http://127.0.0.1:1 did not answer"), std::string::npos) << r.err;
}

TEST_F(ClickHouseServerTest, ReadinessNamesTheUsageStore) {
  BillingdHarness billingd({.usage_store = BillingdHarness::Options::UsageStore::kClickHouse});
  HttpResult ready = HttpClient(billingd.base_url()).Get("/ready");
  ASSERT_EQ(ready.status, 200) << ready.body;
  EXPECT_NE(ready.body.find("\"usage_store\":\"clickhouse\""), std::string::npos) << ready.body;
}

}  // namespace
}  // namespace meterline::testing
