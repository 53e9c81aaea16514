#include "reconciliation/alert_sink.hpp"

#include <boost/json/serialize.hpp>

#include <curl/curl.h>

#include "core/log.hpp"
#include "net/curl_pool.hpp"

namespace meterline::reconciliation {

namespace {

class WebhookAlertSink final : public AlertSink {
 public:
  explicit WebhookAlertSink(std::string url) : url_(std::move(url)) {}

  void Send(const boost::json::object& alert) override {
    CURL* curl = pool_.Take();
    if (curl == nullptr) return;
    std::string body = boost::json::serialize(alert);
    std::string response;
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, net::AppendToString);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
    CURLcode code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    pool_.Give(curl);
    if (code != CURLE_OK || status >= 300) {
      // The URL may carry a token: log only that it failed.
      log::Error("alert webhook failed",
                 {{"status", static_cast<int64_t>(status)}, {"error", curl_easy_strerror(code)}});
    }
  }

 private:
  std::string url_;
  net::CurlPool pool_;
};

}  // namespace

std::unique_ptr<AlertSink> NewWebhookAlertSink(std::string url) {
  return std::make_unique<WebhookAlertSink>(std::move(url));
}

}  // namespace meterline::reconciliation
