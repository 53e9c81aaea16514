// Server: the HTTP/1.1 transport (Boost.Beast + Asio, C++20 coroutines).
//
// Accepts connections, reads requests within limits, hands each to the
// RequestHandler and writes the response, with keep-alive. All Beast and Asio
// types stay inside beast_server.cpp so that the rest of the code compiles fast.
//
// Threads: `io_threads` threads run the event loop (default: one per core).
// Handlers that may block (database, Stripe) run on a separate pool of
// `worker_threads`; requests the handler marks cheap run on the I/O thread.
//
// Connections: at most `max_connections` in all and `max_connections_per_address`
// from one client address. A new connection over a cap makes room by closing
// the least recently active idle connection (one waiting for its next request,
// whose header has not fully arrived; for the per-address cap, one of that address);
// when every connection under the cap is busy with a request, the new one is
// closed at once. When accept() fails for lack of descriptors (EMFILE/ENFILE),
// the server closes the least recently active idle connection and pauses
// accepting (50 ms, doubling up to 1 s) instead of retrying at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "http/client_address.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "observability/metrics.hpp"

namespace meterline::http {

// What the server calls for every request. Thread-safe: called concurrently.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Produces the response. Must not throw (the pipeline catches everything).
  virtual Response Handle(Request& request) = 0;
  // True when Handle() for this request never blocks (no I/O), so it may run on
  // an I/O thread instead of the worker pool.
  virtual bool IsCheap(const Request& request) const = 0;
  // The largest body this request may carry, judged from its method, path and
  // headers (the body is not read yet); 0 means ServerOptions::body_limit.
  virtual size_t BodyLimit(const Request& request) const {
    (void)request;
    return 0;
  }
};

// The transport's connection metrics. Built at wiring time, since a registry
// takes new families only before it is first scraped; optional for a server.
struct ConnectionMetrics {
  explicit ConnectionMetrics(observability::Registry& registry);
  observability::Gauge& open;   // meterline_http_connections_open
  observability::Gauge& limit;  // meterline_http_connections_limit: the effective max_connections
  // meterline_http_connections_refused_total{reason}: "total_cap" and "per_address_cap" (new connection
  // closed at once), "descriptors" (accept failed for lack of descriptors; accepting paused).
  observability::Family<observability::Counter>& refused;
  // meterline_http_connections_evicted_total{reason}: idle connections closed to make room.
  observability::Family<observability::Counter>& evicted;
};

struct ServerOptions {
  std::string address = "0.0.0.0";          // interface to listen on
  uint16_t port = 4000;                     // 0 picks a free port (see Server::port())
  int io_threads = 0;                       // 0 = one per core
  int worker_threads = 16;                  // pool for handlers that may block
  size_t body_limit = 1 << 20;              // bytes, unless the handler says otherwise; a larger body gets 413
  size_t header_limit = size_t{16} * 1024;  // bytes of request line + headers; more gets 431
  std::chrono::seconds read_timeout{30};    // to read one whole request once it started
  std::chrono::seconds idle_timeout{75};    // keep-alive connection with no request
  std::chrono::seconds shutdown_grace{30};  // in-flight requests get this long on shutdown
  bool handle_signals = true;               // SIGINT/SIGTERM start a graceful shutdown
  // 0: 10,000, or fewer when RLIMIT_NOFILE minus `reserved_descriptors` is smaller. An explicit value is
  // kept even above that (with a warning at start): accepting then pauses when descriptors run out.
  size_t max_connections = 0;
  size_t max_connections_per_address = 256;  // 0: no per-address cap
  // Peers the per-address cap leaves alone: trusted reverse proxies, which
  // carry many clients' connections (TRUSTED_PROXIES).
  TrustedProxies uncapped_peers;
  size_t reserved_descriptors = 64;  // left for the database, files and outgoing HTTP
  // Warnings about a cap or descriptors: at most one per interval and kind, counting the ones left out.
  std::chrono::seconds warning_interval{10};
  ConnectionMetrics* metrics = nullptr;  // must outlive the server when set
};

class Server {
 public:
  // Binds and listens. Fails with kUnavailable when the address is in use.
  static Result<std::unique_ptr<Server>> Start(const ServerOptions& options, RequestHandler& handler);
  virtual ~Server() = default;

  // The port actually bound (useful with port 0).
  virtual uint16_t port() const = 0;

  // The effective cap on open connections (see ServerOptions::max_connections).
  virtual size_t max_connections() const = 0;

  // Serves until shutdown completes: the acceptor closed, idle connections
  // closed, and every in-flight request answered (or the grace period over).
  virtual void Run() = 0;

  // Starts a graceful shutdown; thread-safe and callable more than once.
  virtual void Shutdown() = 0;
};

}  // namespace meterline::http
