// The Beast transport against a fake handler: keep-alive, limits, thread
// placement, graceful shutdown and the connection caps.
#include "http/server.hpp"
#include "http/error_mapping.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "core/log.hpp"
#include "observability/metrics.hpp"
#include "support/http_client.hpp"

namespace meterline::http {
namespace {

using testing::HttpClient;
using testing::HttpResult;

class FakeHandler final : public RequestHandler {
 public:
  Response Handle(Request& request) override {
    {
      std::lock_guard lock(mutex_);
      last_ = request;
    }
    if (request.transport_error) {
      Response r = Response::Text(HttpStatus(request.transport_error->code), request.transport_error->Reason());
      r.close_connection = true;
      return r;
    }
    bool on_io_thread = request.path == "/cheap";
    if (request.path == "/slow") ++slow_in_flight;
    lock_released_run(request);
    if (request.path == "/slow") --slow_in_flight;
    Response r = Response::Text(200, request.method == Method::kHead ? "head body" : "echo:" + request.body);
    r.headers.Set("X-Path", request.path);
    r.headers.Set("X-Query", request.query);
    r.headers.Set("X-Thread", std::to_string(std::hash<std::thread::id>()(std::this_thread::get_id())));
    (void)on_io_thread;
    return r;
  }
  bool IsCheap(const Request& request) const override { return request.path == "/cheap"; }

  Request last() {
    std::lock_guard lock(mutex_);
    return last_;
  }
  std::atomic<int> slow_ms{0};
  std::atomic<int> slow_in_flight{0};

 private:
  void lock_released_run(const Request& request) {
    if (request.path == "/slow") std::this_thread::sleep_for(std::chrono::milliseconds(slow_ms.load()));
  }
  std::mutex mutex_;
  Request last_;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::Init(log::Level::kOff);
    ServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.io_threads = 2;
    options.worker_threads = 2;
    options.body_limit = 1 << 20;
    options.header_limit = 4096;
    options.handle_signals = false;
    auto server = Server::Start(options, handler_);
    ASSERT_TRUE(server.ok()) << server.error().message;
    server_ = std::move(server).value();
    thread_ = std::thread([this] { server_->Run(); });
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
    if (thread_.joinable()) thread_.join();
  }
  std::string Base() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  // Sends raw bytes on a new socket and returns everything read until close (or 2 s).
  std::string Raw(const std::string& bytes) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(server_->port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return "";
    timeval tv{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
    ::close(fd);
    return out;
  }

  FakeHandler handler_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

TEST_F(ServerTest, PassesRequestThroughDecoded) {
  HttpClient client(Base());
  HttpResult r = client.Post("/a%20b/c?x=1&y=two", "payload", {"X-Custom: yes"});
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "echo:payload");
  EXPECT_EQ(r.Header("X-Path"), "/a b/c");
  EXPECT_EQ(r.Header("X-Query"), "x=1&y=two");
  Request last = handler_.last();
  EXPECT_EQ(last.method, Method::kPost);
  EXPECT_EQ(last.headers.Get("x-custom"), "yes");
  EXPECT_EQ(last.remote_address, "127.0.0.1");
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  std::string responses =
      Raw("GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
          "GET /two HTTP/1.1\r\nHost: x\r\n\r\n"
          "GET /three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(responses.find("X-Path: /one"), std::string::npos) << responses;
  EXPECT_NE(responses.find("X-Path: /two"), std::string::npos);
  EXPECT_NE(responses.find("X-Path: /three"), std::string::npos);
}

TEST_F(ServerTest, OversizedBodyIs413AndClosesTheConnection) {
  std::string big(2 << 20, 'x');
  HttpClient client(Base());
  HttpResult r = client.Post("/upload", big);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body, "payload_too_large");
  EXPECT_EQ(handler_.last().transport_error->code, ErrorCode::kPayloadTooLarge);
  // A chunked body over the limit is caught while reading.
  std::string chunked = "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string chunk(600 * 1024, 'y');
  char size_line[32];
  std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
  chunked += size_line + chunk + "\r\n" + size_line + chunk + "\r\n0\r\n\r\n";
  std::string raw = Raw(chunked);
  EXPECT_EQ(raw.rfind("HTTP/1.1 413", 0), 0u) << raw.substr(0, 100);
}

TEST_F(ServerTest, OversizedHeadersAreRefused) {
  std::string request = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'a') + "\r\n\r\n";
  std::string raw = Raw(request);
  EXPECT_EQ(raw.rfind("HTTP/1.1 431", 0), 0u) << raw.substr(0, 100);
  EXPECT_NE(raw.find("header_too_large"), std::string::npos);
}

TEST_F(ServerTest, MalformedRequestIsRefused) {
  std::string raw = Raw("THIS IS NOT HTTP\r\n\r\n");
  EXPECT_EQ(raw.rfind("HTTP/1.1 400", 0), 0u) << raw;
  EXPECT_NE(raw.find("bad_request"), std::string::npos);
}

TEST_F(ServerTest, HeadHasLengthButNoBody) {
  std::string raw = Raw("HEAD /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(raw.find("Content-Length: 9"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("head body"), std::string::npos);
}

TEST_F(ServerTest, CheapRequestsStayOnIoThreadsOthersGoToWorkers) {
  HttpClient client(Base());
  std::set<std::string> cheap_threads, worker_threads;
  for (int i = 0; i < 20; ++i) {
    cheap_threads.insert(client.Get("/cheap").Header("X-Thread"));
    worker_threads.insert(client.Get("/db").Header("X-Thread"));
  }
  for (const auto& t : cheap_threads) EXPECT_EQ(worker_threads.count(t), 0u) << "a thread served both kinds";
}

TEST_F(ServerTest, ConcurrentClientsAllSucceed) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      HttpClient client(Base());
      for (int i = 0; i < 50; ++i) ok += client.Get(i % 2 ? "/cheap" : "/db").status == 200;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 400);
}

TEST_F(ServerTest, ShutdownFinishesInFlightRequestsAndRefusesNewOnes) {
  handler_.slow_ms = 400;
  HttpResult slow;
  std::thread client([&] {
    HttpClient c(Base());
    slow = c.Get("/slow");
  });
  // An idle keep-alive connection must not hold up shutdown.
  HttpClient idle(Base());
  ASSERT_EQ(idle.Get("/cheap").status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  auto started = std::chrono::steady_clock::now();
  server_->Shutdown();
  client.join();
  EXPECT_EQ(slow.status, 200) << slow.error;
  EXPECT_EQ(slow.body, "echo:");
  EXPECT_EQ(slow.Header("Connection"), "close");
  thread_.join();
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_LT(took, std::chrono::seconds(10));
  HttpClient after(Base());
  after.set_timeout_ms(1000);
  EXPECT_EQ(after.Get("/cheap").status, 0);
}

// A client connection kept open across requests, from a chosen loopback address.
class Socket {
 public:
  Socket(uint16_t port, const char* from = "127.0.0.1") {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, from, &local.sin_addr);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0 &&
                 ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Socket() { ::close(fd_); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  bool connected() const { return connected_; }

  // Sends a GET and reads one response: its body, or "closed" when the
  // connection was closed before a whole response came (2 s at most).
  std::string Get(const std::string& path) {
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
      return "closed";
    }
    SetTimeout(std::chrono::seconds(2));
    std::string in;
    char buf[4096];
    while (true) {
      size_t end = in.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t at = in.find("Content-Length: ");
        size_t length = at == std::string::npos ? 0 : std::stoul(in.substr(at + 16));
        if (in.size() >= end + 4 + length) return in.substr(end + 4, length);
      }
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return "closed";
      in.append(buf, static_cast<size_t>(n));
    }
  }

  // True when the server closes the connection within `timeout`.
  bool ClosedWithin(std::chrono::milliseconds timeout) {
    SetTimeout(timeout);
    char c;
    ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  void SetTimeout(std::chrono::milliseconds timeout) {
    timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  int fd_ = -1;
  bool connected_ = false;
};

// A server with connection caps and metrics, one per test.
class ServerConnectionCapTest : public ::testing::Test {
 protected:
  void SetUp() override { log::Init(log::Level::kOff); }
  void TearDown() override {
    if (server_) server_->Shutdown();
    if (thread_.joinable()) thread_.join();
  }
  void Start(size_t max_connections, size_t per_address, std::string_view uncapped = "") {
    ServerOptions options;
    options.uncapped_peers = *TrustedProxies::Parse(uncapped);
    options.address = "127.0.0.1";
    options.port = 0;
    options.io_threads = 2;
    options.worker_threads = 4;
    options.handle_signals = false;
    options.max_connections = max_connections;
    options.max_connections_per_address = per_address;
    options.metrics = &metrics_;
    auto server = Server::Start(options, handler_);
    ASSERT_TRUE(server.ok()) << server.error().message;
    server_ = std::move(server).value();
    thread_ = std::thread([this] { server_->Run(); });
  }
  uint16_t port() const { return server_->port(); }
  // One line of /metrics, e.g. Metric("meterline_http_connections_evicted_total{reason=\"total_cap\"}").
  std::string Metric(const std::string& name) {
    std::string text = registry_.Render();
    size_t at = text.find("\n" + name + " ");
    if (at == std::string::npos) return "missing";
    size_t start = at + name.size() + 2;
    return text.substr(start, text.find('\n', start) - start);
  }
  // Lets a connection's server side settle (back to waiting) so the idle order is the test's.
  static void Settle() { std::this_thread::sleep_for(std::chrono::milliseconds(100)); }
  // Waits (5 s at most) until the server has `n` connections open.
  void WaitForOpen(int n) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (Metric("meterline_http_connections_open") != std::to_string(n) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_EQ(Metric("meterline_http_connections_open"), std::to_string(n));
  }
  // Waits (5 s at most) until `n` /slow requests are being handled.
  void WaitForSlow(int n) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (handler_.slow_in_flight < n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_EQ(handler_.slow_in_flight.load(), n);
  }

  observability::Registry registry_;
  ConnectionMetrics metrics_{registry_};
  FakeHandler handler_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

TEST_F(ServerConnectionCapTest, AtTheTotalCapTheConnectionIdleLongestMakesRoom) {
  Start(/*max_connections=*/3, /*per_address=*/0);
  Socket a(port()), b(port(), "127.0.0.2"), c(port(), "127.0.0.3");
  for (Socket* s : {&a, &b, &c}) {
    ASSERT_EQ(s->Get("/cheap"), "echo:");
    Settle();
  }
  EXPECT_EQ(Metric("meterline_http_connections_open"), "3");
  // A used its connection longest ago: it is closed for the newcomer.
  Socket d(port());
  EXPECT_EQ(d.Get("/cheap"), "echo:");
  EXPECT_TRUE(a.ClosedWithin(std::chrono::seconds(2)));
  EXPECT_EQ(b.Get("/cheap"), "echo:");
  EXPECT_EQ(c.Get("/cheap"), "echo:");
  EXPECT_EQ(Metric(R"(meterline_http_connections_evicted_total{reason="total_cap"})"), "1");
  EXPECT_EQ(Metric(R"(meterline_http_connections_refused_total{reason="total_cap"})"), "0");
  EXPECT_EQ(Metric("meterline_http_connections_open"), "3");
  EXPECT_EQ(Metric("meterline_http_connections_limit"), "3");
}

TEST_F(ServerConnectionCapTest, AtTheTotalCapWithEveryConnectionBusyTheNewOneIsRefused) {
  Start(/*max_connections=*/2, /*per_address=*/0);
  handler_.slow_ms = 600;
  HttpResult first, second;
  std::thread t1([&] { first = HttpClient("http://127.0.0.1:" + std::to_string(port())).Get("/slow"); });
  std::thread t2([&] { second = HttpClient("http://127.0.0.1:" + std::to_string(port())).Get("/slow"); });
  WaitForSlow(2);
  Socket refused(port());
  EXPECT_EQ(refused.Get("/cheap"), "closed");
  t1.join();
  t2.join();
  // The busy connections were not disturbed.
  EXPECT_EQ(first.status, 200) << first.error;
  EXPECT_EQ(second.status, 200) << second.error;
  EXPECT_EQ(Metric(R"(meterline_http_connections_refused_total{reason="total_cap"})"), "1");
  // Once the clients are gone, a newcomer gets in again.
  WaitForOpen(0);
  Socket later(port());
  EXPECT_EQ(later.Get("/cheap"), "echo:");
}

TEST_F(ServerConnectionCapTest, PerAddressCapClosesThatAddresssConnectionIdleLongest) {
  Start(/*max_connections=*/100, /*per_address=*/2);
  Socket other(port(), "127.0.0.2");  // idle longest of all, but from another address
  ASSERT_EQ(other.Get("/cheap"), "echo:");
  Settle();
  Socket a1(port()), a2(port());
  ASSERT_EQ(a1.Get("/cheap"), "echo:");
  Settle();
  ASSERT_EQ(a2.Get("/cheap"), "echo:");
  Settle();
  Socket a3(port());
  EXPECT_EQ(a3.Get("/cheap"), "echo:");
  EXPECT_TRUE(a1.ClosedWithin(std::chrono::seconds(2)));
  EXPECT_EQ(a2.Get("/cheap"), "echo:");
  EXPECT_EQ(other.Get("/cheap"), "echo:");
  EXPECT_EQ(Metric(R"(meterline_http_connections_evicted_total{reason="per_address_cap"})"), "1");
  EXPECT_EQ(Metric(R"(meterline_http_connections_evicted_total{reason="total_cap"})"), "0");
}

TEST_F(ServerConnectionCapTest, PerAddressCapRefusesThatAddressOnlyWhenItsConnectionsAreBusy) {
  Start(/*max_connections=*/100, /*per_address=*/1);
  handler_.slow_ms = 600;
  HttpResult slow;
  std::thread t([&] { slow = HttpClient("http://127.0.0.1:" + std::to_string(port())).Get("/slow"); });
  WaitForSlow(1);
  Socket same(port());
  Socket other(port(), "127.0.0.2");
  EXPECT_EQ(same.Get("/cheap"), "closed");
  EXPECT_EQ(other.Get("/cheap"), "echo:");
  t.join();
  EXPECT_EQ(slow.status, 200) << slow.error;
  EXPECT_EQ(Metric(R"(meterline_http_connections_refused_total{reason="per_address_cap"})"), "1");
}

// A trusted proxy carries every client's connections: the per-address cap
// leaves it alone, and still holds for everyone else.
TEST_F(ServerConnectionCapTest, TrustedProxiesAreNotCappedPerAddress) {
  Start(/*max_connections=*/100, /*per_address=*/1, /*uncapped=*/"127.0.0.2");
  handler_.slow_ms = 600;
  HttpResult slow;
  std::thread t([&] { slow = HttpClient("http://127.0.0.1:" + std::to_string(port())).Get("/slow"); });
  WaitForSlow(1);
  EXPECT_EQ(Socket(port()).Get("/cheap"), "closed");
  Socket p1(port(), "127.0.0.2"), p2(port(), "127.0.0.2"), p3(port(), "127.0.0.2");
  for (Socket* s : {&p1, &p2, &p3}) EXPECT_EQ(s->Get("/cheap"), "echo:");
  t.join();
  EXPECT_EQ(slow.status, 200) << slow.error;
}

TEST(ServerStartTest, DefaultConnectionCapFitsTheDescriptorLimit) {
  FakeHandler handler;
  ServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.handle_signals = false;
  options.reserved_descriptors = 100;
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  ASSERT_GE(saved.rlim_max, 300u);
  rlimit low = saved;
  low.rlim_cur = 300;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  auto lowered = Server::Start(options, handler);
  options.max_connections = 5000;  // an explicit value is kept
  auto explicit_cap = Server::Start(options, handler);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  ASSERT_TRUE(lowered.ok());
  EXPECT_EQ((*lowered)->max_connections(), 200u);
  ASSERT_TRUE(explicit_cap.ok());
  EXPECT_EQ((*explicit_cap)->max_connections(), 5000u);
  if (saved.rlim_cur >= 10100 && saved.rlim_cur != RLIM_INFINITY) {
    options.max_connections = 0;
    auto roomy = Server::Start(options, handler);
    ASSERT_TRUE(roomy.ok());
    EXPECT_EQ((*roomy)->max_connections(), 10000u);
  }
}

TEST(ServerStartTest, BusyPortIsAClearError) {
  FakeHandler handler;
  ServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.handle_signals = false;
  auto first = Server::Start(options, handler);
  ASSERT_TRUE(first.ok());
  options.port = (*first)->port();
  auto second = Server::Start(options, handler);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("cannot listen on 127.0.0.1:"), std::string::npos) << second.error().message;
}

}  // namespace
}  // namespace meterline::http
