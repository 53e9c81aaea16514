// webhook_client: the load generator of bench/webhooks/run. Builds EVENTS
// distinct Stripe `invoice.paid` events (~1.8 KB of JSON each) and, after
// every few of them, a replay of an earlier one (REPLAY_PERCENT of EVENTS in
// all), signs every delivery as Stripe does (t=now, v1=HMAC-SHA256 of
// "{t}.{body}" keyed with STRIPE_WEBHOOK_SECRET), all before the clock
// starts; then POSTs them to URL/api/v1/webhooks/stripe from CLIENTS threads,
// each over one keep-alive connection, and prints deliveries per second and
// latency percentiles. Any answer other than 200 fails the run (exit 1).
//
//   STRIPE_WEBHOOK_SECRET=whsec_… webhook_client URL EVENTS CLIENTS [REPLAY_PERCENT=10] [TAG=bench]
//
// TAG goes into the event ids (evt_<TAG>_<n>), so a warm-up run and the
// measured run do not share ids.
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

size_t Discard(char*, size_t size, size_t count, void*) { return size * count; }

std::string Hex(const unsigned char* bytes, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 15];
  }
  return out;
}

// "Stripe-Signature: t=<t>,v1=<hex hmac of "<t>.<body>">".
std::string SignatureHeader(const std::string& body, const std::string& secret, long long t) {
  std::string signed_payload = std::to_string(t) + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_payload.data()), signed_payload.size(), mac, &mac_size);
  return "Stripe-Signature: t=" + std::to_string(t) + ",v1=" + Hex(mac, mac_size);
}

// An invoice.paid event as Stripe sends it (API version 2025-10-29.clover),
// with ids and amounts that differ per event.
std::string InvoicePaidEvent(const std::string& tag, int n, long long now) {
  std::string id = std::to_string(n);
  std::string invoice = "in_" + tag + "_" + id;
  std::string customer = "cus_bench" + std::to_string(n % 5000);
  std::string amount = std::to_string(4900 + (n % 97) * 125);
  std::string created = std::to_string(now - 60);
  std::string period_start = std::to_string(now - 30 * 86400);
  std::string period_end = std::to_string(now);
  return "{\"id\":\"evt_" + tag + "_" + id +
         "\",\"object\":\"event\",\"api_version\":\"2025-10-29.clover\",\"created\":" + created +
         ",\"data\":{\"object\":{\"id\":\"" + invoice +
         "\",\"object\":\"invoice\",\"account_country\":\"US\",\"account_name\":\"Meterline Bench\","
         "\"amount_due\":" +
         amount + ",\"amount_overpaid\":0,\"amount_paid\":" + amount +
         ",\"amount_remaining\":0,\"amount_shipping\":0,\"attempt_count\":1,\"attempted\":true,"
         "\"auto_advance\":false,\"automatic_tax\":{\"enabled\":false,\"liability\":null,\"status\":null},"
         "\"billing_reason\":\"subscription_cycle\",\"collection_method\":\"charge_automatically\","
         "\"created\":" +
         created + ",\"currency\":\"usd\",\"customer\":\"" + customer + "\",\"customer_email\":\"billing+" + id +
         "@example.com\",\"customer_name\":\"Bench Customer " + id +
         "\",\"default_payment_method\":null,\"description\":null,\"discounts\":[],\"due_date\":null,"
         "\"ending_balance\":0,\"lines\":{\"object\":\"list\",\"data\":[{\"id\":\"il_" +
         tag + "_" + id + "\",\"object\":\"line_item\",\"amount\":" + amount +
         ",\"currency\":\"usd\",\"description\":\"API calls (usage, Pro plan)\",\"discountable\":true,"
         "\"invoice\":\"" +
         invoice +
         "\",\"livemode\":false,\"metadata\":{\"meterline_line\":\"usage\"},"
         "\"period\":{\"end\":" +
         period_end + ",\"start\":" + period_start +
         "},\"quantity\":1}],\"has_more\":false,\"total_count\":1,\"url\":\"/v1/invoices/" + invoice +
         "/lines\"},\"livemode\":false,\"metadata\":{\"meterline_invoice_id\":\"inv_bench_" + id +
         "\"},\"next_payment_attempt\":null,\"number\":\"MTL-" + id +
         "\",\"on_behalf_of\":null,\"period_end\":" + period_end + ",\"period_start\":" + period_start +
         ",\"receipt_number\":null,\"starting_balance\":0,\"statement_descriptor\":null,\"status\":\"paid\","
         "\"status_transitions\":{\"finalized_at\":" +
         created + ",\"marked_uncollectible_at\":null,\"paid_at\":" + created +
         ",\"voided_at\":null},\"subtotal\":" + amount + ",\"subtotal_excluding_tax\":" + amount +
         ",\"test_clock\":null,\"total\":" + amount +
         ",\"total_discount_amounts\":[],\"total_excluding_tax\":" + amount +
         ",\"total_taxes\":[],\"webhooks_delivered_at\":" + created +
         "}},\"livemode\":false,\"pending_webhooks\":1,\"request\":{\"id\":null,\"idempotency_key\":null},"
         "\"type\":\"invoice.paid\"}";
}

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()))];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: STRIPE_WEBHOOK_SECRET=whsec_… webhook_client URL EVENTS CLIENTS [REPLAY_PERCENT=10] "
                 "[TAG=bench]\n");
    return 2;
  }
  const char* secret_env = std::getenv("STRIPE_WEBHOOK_SECRET");
  if (secret_env == nullptr || *secret_env == '\0') {
    std::fprintf(stderr, "webhook_client: set STRIPE_WEBHOOK_SECRET\n");
    return 2;
  }
  std::string secret = secret_env;
  std::string url = std::string(argv[1]) + "/api/v1/webhooks/stripe";
  int events = std::atoi(argv[2]);
  int clients = std::atoi(argv[3]);
  int replay_percent = argc > 4 ? std::atoi(argv[4]) : 10;
  std::string tag = argc > 5 ? argv[5] : "bench";
  if (events <= 0 || clients <= 0 || replay_percent < 0 || replay_percent > 100) {
    std::fprintf(stderr, "webhook_client: EVENTS and CLIENTS must be positive, REPLAY_PERCENT in 0..100\n");
    return 2;
  }

  long long now = std::time(nullptr);
  std::vector<std::string> bodies;
  bodies.reserve(events);
  size_t body_bytes = 0;
  for (int n = 0; n < events; ++n) {
    bodies.push_back(InvoicePaidEvent(tag, n, now));
    body_bytes += bodies.back().size();
  }
  // Deliveries in sending order: every event once, and a replay of an
  // earlier event (at random, fixed seed) spread evenly among them.
  std::vector<int> order;
  std::mt19937 random(42);
  for (int n = 0; n < events; ++n) {
    order.push_back(n);
    long long before = static_cast<long long>(n) * replay_percent / 100;
    long long after = static_cast<long long>(n + 1) * replay_percent / 100;
    if (after > before) order.push_back(std::uniform_int_distribution<int>(0, n)(random));
  }
  // Signed now, as Stripe signs each delivery attempt; the run must end
  // within the receivers' 300 s tolerance.
  std::vector<curl_slist*> headers(order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    headers[i] = curl_slist_append(nullptr, "Content-Type: application/json");
    headers[i] = curl_slist_append(headers[i], "Expect:");
    headers[i] = curl_slist_append(headers[i], SignatureHeader(bodies[order[i]], secret, now).c_str());
  }

  curl_global_init(CURL_GLOBAL_DEFAULT);
  std::atomic<bool> failed{false};
  std::vector<std::vector<double>> latencies(clients);
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      CURL* curl = curl_easy_init();
      curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
      curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Discard);
      // Client c sends deliveries c, c + CLIENTS, c + 2 CLIENTS, … in order.
      for (size_t i = c; i < order.size() && !failed; i += clients) {
        const std::string& body = bodies[order[i]];
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers[i]);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
        auto sent = std::chrono::steady_clock::now();
        long status = 0;
        CURLcode code = curl_easy_perform(curl);
        if (code == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        if (status != 200) {
          // A 401 after 300 s means the run outlived its signatures: use fewer EVENTS.
          std::fprintf(stderr, "webhook_client: delivery %zu failed: %s, HTTP %ld (signed %lld s ago)\n", i,
                       curl_easy_strerror(code), status, static_cast<long long>(std::time(nullptr)) - now);
          failed = true;
          break;
        }
        latencies[c].push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - sent).count());
      }
      curl_easy_cleanup(curl);
    });
  }
  for (auto& t : threads) t.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (curl_slist* h : headers) curl_slist_free_all(h);
  curl_global_cleanup();
  if (failed) return 1;

  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  std::printf(
      "deliveries=%zu distinct=%d replays=%zu clients=%d body_bytes=%zu seconds=%.2f deliveries_per_second=%.0f "
      "p50_ms=%.2f p99_ms=%.2f\n",
      order.size(), events, order.size() - events, clients, body_bytes / events, seconds, order.size() / seconds,
      Percentile(all, 0.50), Percentile(all, 0.99));
  return 0;
}
