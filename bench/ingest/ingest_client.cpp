// ingest_client: the load generator of bench/ingest/run. Builds every request
// body before the clock starts (batches of `batch` events of ~100 bytes, each
// id new), then POSTs them from `clients` threads over keep-alive connections
// and prints events/s as the server acknowledged them.
//
//   ingest_client URL API_KEY CUSTOMER_IDS CLIENTS BATCHES_PER_CLIENT [BATCH] [FORMAT] [SPREAD]
//
// CUSTOMER_IDS: one id or several, comma-separated; request b of client c is
// for customer (c + b) mod their number (a collector per publisher, say).
// SPREAD "event": each request holds events of every customer instead,
// event e for customer (c + b + e) mod their number (a shared edge collector).
// FORMAT: json ({"events": [...]}, the default), ndjson (one event per line),
// and either with "+gzip" or "+zstd" (compressed before the clock starts, as
// an edge collector would send it).
#include <curl/curl.h>
#include <zlib.h>
#include <zstd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

namespace {

size_t Collect(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

std::string NowIso8601() {
  std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

std::string Gzip(const std::string& data) {
  z_stream stream{};
  deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(
        stderr, "usage: ingest_client URL API_KEY CUSTOMER_IDS CLIENTS BATCHES_PER_CLIENT [BATCH] [FORMAT] [SPREAD]\n");
    return 2;
  }
  std::string url = std::string(argv[1]) + "/api/v1/usage/events";
  std::string auth = std::string("Authorization: Bearer ") + argv[2];
  std::vector<std::string> customers;
  for (std::string list = argv[3];;) {
    size_t comma = list.find(',');
    customers.push_back(list.substr(0, comma));
    if (comma == std::string::npos) break;
    list.erase(0, comma + 1);
  }
  int clients = std::atoi(argv[4]);
  int batches = std::atoi(argv[5]);
  int batch = argc > 6 ? std::atoi(argv[6]) : 1000;
  std::string format = argc > 7 ? argv[7] : "json";
  bool spread_events = argc > 8 && std::string(argv[8]) == "event";
  bool ndjson = format.rfind("ndjson", 0) == 0;
  bool gzip = format.find("+gzip") != std::string::npos;
  bool zstd = format.find("+zstd") != std::string::npos;
  std::string timestamp = NowIso8601();

  std::vector<std::vector<std::string>> bodies(clients);
  size_t bytes = 0, sent = 0;
  for (int c = 0; c < clients; ++c) {
    for (int b = 0; b < batches; ++b) {
      std::string body = ndjson ? "" : "{\"events\":[";
      for (int e = 0; e < batch; ++e) {
        const std::string& customer =
            customers[static_cast<size_t>(c + b + (spread_events ? e : 0)) % customers.size()];
        if (e) body += ndjson ? '\n' : ',';
        body += "{\"id\":\"c" + std::to_string(c) + "-b" + std::to_string(b) + "-e" + std::to_string(e) +
                "\",\"customer_id\":\"" + customer + "\",\"metric\":\"impressions\",\"value\":1,\"timestamp\":\"" +
                timestamp + "\"}";
      }
      body += ndjson ? "\n" : "]}";
      bytes += body.size();
      if (gzip) body = Gzip(body);
      if (zstd) {
        std::string packed(ZSTD_compressBound(body.size()), '\0');
        packed.resize(ZSTD_compress(packed.data(), packed.size(), body.data(), body.size(), 3));
        body = std::move(packed);
      }
      sent += body.size();
      bodies[c].push_back(std::move(body));
    }
  }

  curl_global_init(CURL_GLOBAL_DEFAULT);
  std::atomic<long> accepted{0};
  std::atomic<bool> failed{false};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      CURL* curl = curl_easy_init();
      curl_slist* headers = curl_slist_append(nullptr, auth.c_str());
      headers =
          curl_slist_append(headers, ndjson ? "Content-Type: application/x-ndjson" : "Content-Type: application/json");
      if (gzip) headers = curl_slist_append(headers, "Content-Encoding: gzip");
      if (zstd) headers = curl_slist_append(headers, "Content-Encoding: zstd");
      headers = curl_slist_append(headers, "Expect:");
      std::string response;
      curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
      curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
      curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
      curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
      for (const std::string& body : bodies[c]) {
        response.clear();
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
        long status = 0;
        if (curl_easy_perform(curl) != CURLE_OK ||
            (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status), status != 200)) {
          std::fprintf(stderr, "request failed: HTTP %ld %.200s\n", status, response.c_str());
          failed = true;
          break;
        }
        // {"accepted":N,...}: the count is the first field.
        size_t at = response.find("\"accepted\":");
        if (at != std::string::npos) accepted += std::atol(response.c_str() + at + 11);
      }
      curl_slist_free_all(headers);
      curl_easy_cleanup(curl);
    });
  }
  for (auto& t : threads) t.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "format=%s customers=%zu spread=%s clients=%d batches=%d batch=%d events=%ld body_bytes_per_event=%zu "
      "sent_bytes_per_event=%.1f "
      "seconds=%.2f events_per_second=%.0f\n",
      format.c_str(), customers.size(), spread_events ? "event" : "request", clients, clients * batches, batch,
      accepted.load(), bytes / (size_t(clients) * batches * batch),
      static_cast<double>(sent) / (static_cast<double>(clients) * batches * batch), seconds, accepted.load() / seconds);
  return failed ? 1 : 0;
}
