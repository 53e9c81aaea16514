#include "stripe/client.hpp"

#include <curl/curl.h>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cctype>
#include <random>
#include <thread>

#include "core/log.hpp"
#include "net/curl_pool.hpp"

namespace meterline::stripe {

namespace {

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// One response header, case-insensitively, from the raw header block.
std::string HeaderValue(const std::string& headers, std::string_view name) {
  for (size_t start = 0; start < headers.size();) {
    size_t end = headers.find("\r\n", start);
    if (end == std::string::npos) end = headers.size();
    std::string_view line(headers.data() + start, end - start);
    if (line.size() > name.size() && line[name.size()] == ':' &&
        strncasecmp(line.data(), name.data(), name.size()) == 0) {
      std::string_view value = line.substr(name.size() + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      return std::string(value);
    }
    start = end + 2;
  }
  return "";
}

ErrorCode CodeFor(long status) {
  switch (status) {
    case 400: return ErrorCode::kInvalidArgument;
    case 402: return ErrorCode::kUnprocessable;  // card errors
    case 404: return ErrorCode::kNotFound;
    case 409: return ErrorCode::kConflict;
    case 429: return ErrorCode::kUnavailable;
    default: return status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kInternal;  // 401/403: our key is wrong
  }
}

// Stripe's {"error":{"type","code","message","param"}} as our Error.
Error StripeError(long status, const std::string& body, const std::string& request_id) {
  std::string type = "api_error", code, message = "Stripe answered HTTP " + std::to_string(status);
  boost::system::error_code ec;
  auto doc = boost::json::parse(body, ec);
  if (!ec && doc.is_object()) {
    if (const auto* err = doc.as_object().if_contains("error"); err && err->is_object()) {
      const auto& e = err->as_object();
      if (const auto* v = e.if_contains("type"); v && v->is_string()) type = std::string(v->as_string());
      if (const auto* v = e.if_contains("code"); v && v->is_string()) code = std::string(v->as_string());
      if (const auto* v = e.if_contains("message"); v && v->is_string()) message = std::string(v->as_string());
    }
  }
  std::string text = "Stripe " + type + (code.empty() ? "" : " (" + code + ")") + ": " + message;
  if (!request_id.empty()) text += " [request " + request_id + "]";
  return Error(CodeFor(status), code.empty() ? type : code, text);
}

}  // namespace

std::string EndpointLabel(const std::string& path) {
  std::string out;
  for (size_t start = 0; start <= path.size();) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view segment(path.data() + start, end - start);
    // Stripe's ids are a prefix, an underscore and more: in_…, cus_…, sub_…
    bool id = segment.find('_') != std::string_view::npos && std::any_of(segment.begin(), segment.end(), [](char c) {
                return std::isdigit(static_cast<unsigned char>(c));
              });
    if (!out.empty()) out += '/';
    out += id ? std::string_view("{id}") : segment;
    start = end + 1;
  }
  return out;
}

std::string FormEncode(const FormParams& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += '&';
    out += PercentEncode(key);
    out += '=';
    out += PercentEncode(value);
  }
  return out;
}

struct StripeClient::Pool : net::CurlPool {};

StripeClient::StripeClient(ClientOptions options) : options_(std::move(options)), pool_(std::make_unique<Pool>()) {
  while (!options_.api_base.empty() && options_.api_base.back() == '/') options_.api_base.pop_back();
  if (!options_.sleep) options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

StripeClient::~StripeClient() = default;

Result<boost::json::object> StripeClient::Post(const std::string& path, const FormParams& params,
                                               const std::string& idempotency_key, CallStats* stats) {
  if (idempotency_key.empty()) return InvalidArgument("every Stripe POST needs an idempotency key");
  return Call("POST", path, params, idempotency_key, stats);
}

Result<boost::json::object> StripeClient::Get(const std::string& path, const FormParams& query, CallStats* stats) {
  return Call("GET", path, query, "", stats);
}

Result<boost::json::object> StripeClient::Call(const char* method, const std::string& path, const FormParams& params,
                                               const std::string& idempotency_key, CallStats* stats) {
  if (options_.secret_key.empty())
    return Error(ErrorCode::kUnavailable, "not_configured", "Stripe is not configured (STRIPE_SECRET_KEY)");
  bool post = std::string_view(method) == "POST";
  std::string form = FormEncode(params);
  std::string url = options_.api_base + "/v1/" + path + (!post && !form.empty() ? "?" + form : "");
  thread_local std::mt19937_64 rng{std::random_device{}()};
  Error last = Unavailable("Stripe was not called");
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    if (stats) stats->attempts = attempt;
    CURL* curl = pool_->Take();
    if (curl == nullptr) return Unavailable("cannot create a curl handle");
    std::string body, headers;
    curl_slist* list = nullptr;
    std::string auth = "Authorization: Bearer " + options_.secret_key;
    list = curl_slist_append(list, auth.c_str());
    list = curl_slist_append(list, (std::string("Stripe-Version: ") + kStripeVersion).c_str());
    list = curl_slist_append(list, "User-Agent: meterline-billingd");
    list = curl_slist_append(list, "Expect:");
    if (post) {
      list = curl_slist_append(list, ("Idempotency-Key: " + idempotency_key).c_str());
      list = curl_slist_append(list, "Content-Type: application/x-www-form-urlencoded");
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, form.c_str());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(form.size()));
    }
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, net::AppendToString);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, net::AppendToString);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10'000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    auto started = std::chrono::steady_clock::now();
    CURLcode code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (options_.observe) {
      options_.observe(
          method, EndpointLabel(path), code == CURLE_OK ? status : 0,
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started));
    }
    curl_slist_free_all(list);  // holds the key: freed right away, never logged
    pool_->Give(curl);

    bool retry = false;
    if (code != CURLE_OK) {
      last = Unavailable(std::string("Stripe did not answer: ") + curl_easy_strerror(code));
      retry = true;  // with the same idempotency key, a POST that did land is replayed, not repeated
    } else if (status >= 200 && status < 300) {
      boost::system::error_code ec;
      auto doc = boost::json::parse(body, ec);
      if (ec || !doc.is_object()) return Internal("Stripe answered with something other than a JSON object");
      return std::move(doc.as_object());
    } else {
      std::string should_retry = HeaderValue(headers, "Stripe-Should-Retry");
      last = StripeError(status, body, HeaderValue(headers, "Request-Id"));
      retry = status == 429 || status >= 500;
      if (status == 409) retry = should_retry == "true";  // idempotency conflicts: only when Stripe says so
      if (should_retry == "true") retry = true;
      if (should_retry == "false") retry = false;
    }
    log::Warn("stripe call failed", {{"method", method},
                                     {"path", path},
                                     {"status", static_cast<int64_t>(status)},
                                     {"attempt", static_cast<int64_t>(attempt)},
                                     {"error", last.message}});
    if (!retry || attempt == options_.max_attempts) break;
    // Exponential back-off with full jitter in [delay/2, delay].
    std::chrono::milliseconds delay =
        std::min<std::chrono::milliseconds>(options_.max_delay, options_.base_delay * (int64_t{1} << (attempt - 1)));
    auto jittered = delay / 2 + std::chrono::milliseconds(rng() % static_cast<uint64_t>(delay.count() / 2 + 1));
    options_.sleep(jittered);
  }
  return last;
}

}  // namespace meterline::stripe
