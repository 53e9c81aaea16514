// The invoice API, PDFs and the invoice run command, once per backend, on a
// FakeClock (at MTL_TEST_NOW when set): filters and pagination, ownership
// (another customer's invoice is a 404), PDF checked with qpdf and pdftotext,
// ETag and 304, two command-line runs at once. The runs themselves, numbers
// and the lifecycle are tested on the services in invoice_service_test.cpp.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "core/ids.hpp"
#include "core/period.hpp"
#include "security/security_fixture.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace meterline::testing {
namespace {

namespace json = boost::json;
using invoicing::InvoiceStatus;

std::string RunTool(const std::string& command, int* exit_code = nullptr) {
  std::string out;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  int status = pclose(pipe);
  if (exit_code) *exit_code = WEXITSTATUS(status);
  return out;
}

class InvoicingTest : public SecurityTest {
 protected:
  InvoicingTest() { fake_now_ = TestNow(); }

  void SetUp() override {
    SecurityTest::SetUp();
    // Both customers subscribed on the 1st three months before the last
    // closed period ends (periods close an hour after their end).
    now_ = clock().Now();
    std::chrono::year_month_day closed{std::chrono::floor<std::chrono::days>(now_ - invoices().options().grace)};
    auto start = std::chrono::year_month(closed.year(), closed.month()) - std::chrono::months(3);
    anchor_ = std::chrono::sys_days(start / std::chrono::day(1));
    auto& subs = *billingd_->app().subscriptions;
    ASSERT_TRUE(subs.Create(customer_a_, "starter", anchor_, subscriptions::Status::kActive, "test").ok());
    ASSERT_TRUE(subs.Create(customer_b_, "growth", anchor_, subscriptions::Status::kActive, "test").ok());
    // Usage in the first period: Acme goes 250,001 impressions over its 1M.
    first_ = MonthlyPeriodContaining(anchor_, anchor_);
    Store(customer_a_, "impressions", 1'250'001, first_.start + std::chrono::hours(5));
    Store(customer_b_, "api_calls", 10, first_.start + std::chrono::hours(5));
  }

  void Store(const std::string& customer, const std::string& metric, int64_t value, TimePoint at) {
    metering::UsageEvent e{"ev-" + RandomHex(6), customer, metric, value, at, ""};
    auto r = billingd_->app().usage_store->Write({e}, now_, nullptr);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  int64_t InvoiceCount() { return billingd_->database().db().Execute("SELECT COUNT(*) FROM invoices")->rows[0].Int(0); }

  invoicing::InvoiceService& invoices() { return *billingd_->app().invoices; }

  TimePoint now_, anchor_;
  Period first_;
};

TEST_P(InvoicingTest, TheApiShowsADraftWithoutSubscriptionOrNumber) {
  auto draft = invoices().CreateDraft(customer_b_, "USD", first_, {{"adjustment", "", "Setup", 1, "10.00", 1000}});
  ASSERT_TRUE(draft.ok());
  // The API names no subscription for it (null, not "").
  SignedIn admin = SignIn("root@meterline.test");
  auto shown = json::parse(Client().Get("/api/v1/billing/invoices/" + draft->id, {admin.Bearer()}).body).as_object();
  EXPECT_TRUE(shown.at("subscription_id").is_null());
  EXPECT_TRUE(shown.at("number").is_null());
}

TEST_P(InvoicingTest, ListValidatesFiltersAndPaginatesStably) {
  ASSERT_TRUE(invoices().RunDue().ok());
  SignedIn admin = SignIn("root@meterline.test");
  HttpClient client = Client();
  auto get = [&](const std::string& query) { return client.Get("/api/v1/billing/invoices" + query, {admin.Bearer()}); };
  EXPECT_EQ(get("?limit=0").status, 400);
  EXPECT_EQ(get("?limit=101").status, 400);
  EXPECT_EQ(get("?limit=abc").status, 400);
  EXPECT_EQ(get("?status=pending").status, 400);
  EXPECT_EQ(get("?from=2025-13-01").status, 400);
  EXPECT_EQ(get("?from=2025-03-01&to=2025-02-01").status, 400);
  HttpResult all = get("?limit=100");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(json::parse(all.body).at("total").as_int64(), 6);
  // Pages of 4 then 2: together every invoice once, newest first.
  auto first = json::parse(get("?limit=4").body).as_object();
  auto second = json::parse(get("?limit=4&offset=4").body).as_object();
  EXPECT_EQ(first.at("next_offset").as_int64(), 4);
  EXPECT_TRUE(second.at("next_offset").is_null());
  std::set<std::string> ids;
  for (const auto& v : first.at("data").as_array()) ids.insert(std::string(v.at("id").as_string()));
  for (const auto& v : second.at("data").as_array()) ids.insert(std::string(v.at("id").as_string()));
  EXPECT_EQ(ids.size(), 6u);
  auto open = json::parse(get("?status=open&customer_id=" + customer_a_).body).as_object();
  EXPECT_EQ(open.at("total").as_int64(), 3);
  auto none = json::parse(get("?from=2000-01-01&to=2000-12-31").body).as_object();
  EXPECT_EQ(none.at("total").as_int64(), 0);
}

TEST_P(InvoicingTest, MembersSeeOnlyTheirOwnInvoices) {
  ASSERT_TRUE(invoices().RunDue().ok());
  SignedIn alice = SignIn("alice@acme.test");
  HttpClient client = Client();
  auto list = json::parse(client.Get("/api/v1/billing/invoices?customer_id=" + customer_b_, {alice.Bearer()}).body);
  ASSERT_EQ(list.at("total").as_int64(), 3);  // the customer_id filter cannot widen a member's view
  for (const auto& v : list.at("data").as_array()) EXPECT_EQ(v.at("customer_id").as_string(), customer_a_);
  std::string bobs = invoices().List({.customer_id = customer_b_}, {.limit = 1})->items.at(0).id;
  EXPECT_EQ(client.Get("/api/v1/billing/invoices/" + bobs, {alice.Bearer()}).status, 404);
  EXPECT_EQ(client.Get("/api/v1/billing/invoices/" + bobs + "/pdf", {alice.Bearer()}).status, 404);
  EXPECT_EQ(client.Get("/api/v1/billing/invoices/inv_nope", {alice.Bearer()}).status, 404);
  std::string own = std::string(list.at("data").as_array()[0].at("id").as_string());
  HttpResult detail = client.Get("/api/v1/billing/invoices/" + own, {alice.Bearer()});
  ASSERT_EQ(detail.status, 200);
  EXPECT_FALSE(json::parse(detail.body).at("lines").as_array().empty());
  EXPECT_EQ(client.Get("/api/v1/billing/invoices").status, 401);
}

TEST_P(InvoicingTest, PdfIsValidReadsBackItsTotalsAndHonoursIfNoneMatch) {
  ASSERT_TRUE(invoices().RunDue().ok());
  auto oldest = invoices().List({.customer_id = customer_a_}, {.limit = 100})->items.back();
  SignedIn alice = SignIn("alice@acme.test");
  HttpClient client = Client();
  std::string url = "/api/v1/billing/invoices/" + oldest.id + "/pdf";
  HttpResult pdf = client.Get(url, {alice.Bearer()});
  ASSERT_EQ(pdf.status, 200) << pdf.body;
  EXPECT_EQ(pdf.Header("Content-Type"), "application/pdf");
  EXPECT_NE(pdf.Header("Content-Disposition").find(oldest.number + ".pdf"), std::string::npos);
  std::string etag = pdf.Header("ETag");
  ASSERT_GE(etag.size(), 66u);
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(pdf.body.substr(0, 5), "%PDF-");

  std::string path = "/tmp/mtl-invoice-" + RandomHex(6) + ".pdf";
  std::ofstream(path, std::ios::binary) << pdf.body;
  int code = -1;
  std::string check = RunTool("qpdf --check " + path, &code);
  EXPECT_EQ(code, 0) << check;
  std::string text = RunTool("pdftotext -layout " + path + " -");
  std::filesystem::remove(path);
  EXPECT_NE(text.find(oldest.number), std::string::npos) << text;
  EXPECT_NE(text.find("Acme Ads"), std::string::npos) << text;
  EXPECT_NE(text.find("174.00 USD"), std::string::npos) << text;  // $49 + $125 overage
  EXPECT_NE(text.find("250,001"), std::string::npos) << text;

  HttpResult cached = client.Get(url, {alice.Bearer(), "If-None-Match: " + etag});
  EXPECT_EQ(cached.status, 304);
  EXPECT_TRUE(cached.body.empty());
  EXPECT_EQ(cached.Header("ETag"), etag);
  // Paying the invoice changes what the PDF shows, so the ETag changes.
  ASSERT_TRUE(invoices().Transition(oldest.id, InvoiceStatus::kPaid, now_, "test").ok());
  HttpResult after = client.Get(url, {alice.Bearer(), "If-None-Match: " + etag});
  EXPECT_EQ(after.status, 200);
  EXPECT_NE(after.Header("ETag"), etag);
}

TEST_P(InvoicingTest, TwoCommandLineRunsAtOnceMakeEachInvoiceOnce) {
  MTL_SKIP_WHEN_PINNED();  // the child billingd runs on the system clock
  TempDir data_dir("mtl-invoices");
  std::map<std::string, std::string> env = {{"DATABASE_URL", billingd_->database().url()},
                                            {"DATA_DIR", data_dir.path()}};
  RunResult first, second;
  std::thread a([&] { first = RunBillingd({"invoices", "run"}, env); });
  std::thread b([&] { second = RunBillingd({"invoices", "run"}, env); });
  a.join();
  b.join();
  // Each run either did the work or was refused because the other held the lease.
  for (const RunResult* r : {&first, &second}) {
    if (r->exit_code != 0) {
      EXPECT_EQ(r->exit_code, 1);
      EXPECT_NE(r->err.find("another invoice run holds the lease"), std::string::npos) << r->err;
    }
  }
  EXPECT_TRUE(first.exit_code == 0 || second.exit_code == 0) << first.err << second.err;
  EXPECT_EQ(InvoiceCount(), 6);
  RunResult again = RunBillingd({"invoices", "run", "--period", FormatIso8601(first_.start).substr(0, 7)}, env);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("created        0"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("already        2"), std::string::npos) << again.out;
  EXPECT_EQ(InvoiceCount(), 6);
  RunResult bad = RunBillingd({"invoices", "run", "--period", "2025-13"}, env);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--period must be a month"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, InvoicingTest, ::testing::ValuesIn(TestBackends()),
                         [](const auto& info) { return BackendParamName(info.param); });

}  // namespace
}  // namespace meterline::testing
