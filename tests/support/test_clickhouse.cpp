#include "support/test_clickhouse.hpp"

#include <cstdlib>

#include "clickhouse/client.hpp"
#include "core/ids.hpp"

namespace meterline::testing {

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

void DropDatabase(const std::string& node, const std::string& database) {
  clickhouse::Client client({node, "", "", "default"});
  (void)client.Query("DROP DATABASE IF EXISTS " + database);
}

}  // namespace

bool ClickHouseAvailable() { return !Env("MTL_TEST_CLICKHOUSE_URL").empty(); }

std::unique_ptr<TestClickHouse> TestClickHouse::Create(bool cluster) {
  std::unique_ptr<TestClickHouse> out(new TestClickHouse());
  out->database_ = "mtl_test_" + RandomHex(8);
  std::string front = Env("MTL_TEST_CLICKHOUSE_URL");
  out->nodes_.push_back(front);
  out->env_["CLICKHOUSE_URL"] = front + "/" + out->database_;
  if (cluster) {
    std::string shards = Env("MTL_TEST_CLICKHOUSE_SHARD_URLS");
    std::string list;
    for (size_t start = 0; start < shards.size();) {
      size_t end = shards.find(',', start);
      if (end == std::string::npos) end = shards.size();
      std::string node = shards.substr(start, end - start);
      if (node != front) out->nodes_.push_back(node);
      list += (list.empty() ? "" : ",") + node + "/" + out->database_;
      start = end + 1;
    }
    out->env_["CLICKHOUSE_CLUSTER"] = "meterline_test";
    out->env_["CLICKHOUSE_SHARD_URLS"] = list;
  }
  return out;
}

TestClickHouse::~TestClickHouse() {
  for (const std::string& node : nodes_) DropDatabase(node, database_);
}

}  // namespace meterline::testing
