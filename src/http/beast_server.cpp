// The HTTP/1.1 transport: Boost.Beast + Asio with C++20 coroutines.
//
// Threads: one io_context run by `io_threads` threads; each connection is a
// coroutine on its own strand. Requests the handler calls cheap run inline on
// the strand; the rest are posted to a thread pool and the coroutine resumes
// on its strand when the response is ready, so a slow database never stalls
// the event loop.
//
// Connections: every admitted connection is in `connections_`; those waiting
// for their next request (until its header is complete) are also in the idle
// lists (all, and per client address), least recently active first, so that
// making room at a cap or when descriptors run out finds the one idle longest
// in O(1).
//
// Shutdown: stop accepting; close connections that wait for a request; let a
// connection with a request in flight finish it (answered with
// Connection: close); Run() returns when no connection is left, or force-closes
// what remains after `shutdown_grace`.
#include <sys/resource.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <atomic>
#include <limits>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include "core/log.hpp"
#include "http/server.hpp"

namespace meterline::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

constexpr size_t kDefaultMaxConnections = 10000;
// After accept() fails (no descriptors, or anything else), wait this long
// before the next attempt, doubling up to the last; a success starts over.
constexpr std::chrono::milliseconds kFirstAcceptPause{50};
constexpr std::chrono::milliseconds kLastAcceptPause{1000};

class BeastServer;
struct Connection;
void CancelQuietly(Connection& connection);

// Connections from one client address. Guarded by BeastServer::mutex_.
struct Peer {
  size_t open = 0;              // admitted and not ended yet
  size_t leaving = 0;           // of those, evicted (chosen to be closed) and not ended yet
  std::list<Connection*> idle;  // least recently active first
};

// One accepted connection. Lives in BeastServer::connections_ until its coroutine ends.
struct Connection : std::enable_shared_from_this<Connection> {
  Connection(tcp::socket socket, std::string remote, Peer& from)
      : stream(std::move(socket)), address(std::move(remote)), peer(from) {}
  beast::tcp_stream stream;
  const std::string address;  // the client's
  // True while a request is being handled or its response written; an idle
  // connection (waiting for a request) may be closed at once on shutdown.
  std::atomic<bool> busy{false};
  // Chosen to be closed to make room. A request that arrived meanwhile is
  // still answered, with Connection: close.
  std::atomic<bool> evicted{false};
  // Guarded by BeastServer::mutex_.
  Peer& peer;
  bool idle = false;  // in the idle lists
  std::list<Connection*>::iterator idle_pos, peer_idle_pos;
};

// Lets a repeated warning through at most once per interval; the next one
// that gets through says how many were left out. Used on one strand only.
class ThrottledWarning {
 public:
  explicit ThrottledWarning(std::chrono::steady_clock::duration interval) : interval_(interval) {}
  // The number of repeats left out since the last warning when this one may be logged.
  std::optional<int64_t> Due() {
    auto now = std::chrono::steady_clock::now();
    if (logged_ && now - last_ < interval_) {
      ++suppressed_;
      return std::nullopt;
    }
    logged_ = true;
    last_ = now;
    return std::exchange(suppressed_, 0);
  }

 private:
  std::chrono::steady_clock::duration interval_;
  bool logged_ = false;
  std::chrono::steady_clock::time_point last_;
  int64_t suppressed_ = 0;
};

bool OutOfDescriptors(const boost::system::error_code& ec) {
  return ec == boost::system::errc::too_many_files_open || ec == boost::system::errc::too_many_files_open_in_system;
}

// The cap on open connections: the configured one, else the default within
// what RLIMIT_NOFILE leaves after the reserve. Logs when the two disagree.
size_t EffectiveMaxConnections(const ServerOptions& options) {
  rlimit limit{};
  std::optional<size_t> room;
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    auto descriptors = static_cast<size_t>(limit.rlim_cur);
    room = descriptors > options.reserved_descriptors + 1 ? descriptors - options.reserved_descriptors : 1;
  }
  if (options.max_connections > 0) {
    if (room && options.max_connections > *room) {
      log::Warn("max_connections exceeds what the descriptor limit leaves; accepting will pause when they run out",
                {{"max_connections", static_cast<uint64_t>(options.max_connections)},
                 {"descriptor_limit", static_cast<uint64_t>(limit.rlim_cur)},
                 {"reserved_descriptors", static_cast<uint64_t>(options.reserved_descriptors)}});
    }
    return options.max_connections;
  }
  if (room && *room < kDefaultMaxConnections) {
    log::Info("max_connections lowered to fit the descriptor limit",
              {{"max_connections", static_cast<uint64_t>(*room)},
               {"descriptor_limit", static_cast<uint64_t>(limit.rlim_cur)},
               {"reserved_descriptors", static_cast<uint64_t>(options.reserved_descriptors)}});
    return *room;
  }
  return kDefaultMaxConnections;
}

// Cancels pending I/O; the connection may already be closed, which is fine.
void CancelQuietly(Connection& connection) {
  boost::system::error_code ignored;
  connection.stream.socket().cancel(ignored);
}

class BeastServer final : public Server {
 public:
  BeastServer(const ServerOptions& options, RequestHandler& handler)
      : options_(options),
        handler_(handler),
        io_threads_(options.io_threads > 0 ? options.io_threads : std::max(1u, std::thread::hardware_concurrency())),
        ioc_(io_threads_),
        acceptor_(asio::make_strand(ioc_)),
        accept_pause_(acceptor_.get_executor()),
        workers_(static_cast<size_t>(std::max(1, options.worker_threads))),
        signals_(ioc_),
        max_connections_(EffectiveMaxConnections(options)),
        descriptor_warning_(options.warning_interval),
        accept_error_warning_(options.warning_interval),
        total_cap_warning_(options.warning_interval),
        per_address_cap_warning_(options.warning_interval) {
    if (options_.metrics != nullptr) options_.metrics->limit.Set(static_cast<int64_t>(max_connections_));
  }

  ~BeastServer() override { workers_.join(); }

  Status Listen() {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(options_.address, ec);
    if (ec) return InvalidArgument("cannot listen on '" + options_.address + "': not an IP address");
    tcp::endpoint endpoint(address, options_.port);
    std::string where = options_.address + ":" + std::to_string(options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(1024, ec);
    if (ec) return Unavailable("cannot listen on " + where + ": " + ec.message());
    port_ = acceptor_.local_endpoint().port();
    // Caught from here on, not only once Run() starts: a SIGTERM sent as soon
    // as the server is listening (and says so) waits for the loop instead of
    // killing the process outright.
    if (options_.handle_signals) {
      signals_.add(SIGINT);
      signals_.add(SIGTERM);
      signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        log::Info("shutdown requested", {{"signal", signo == SIGTERM ? "SIGTERM" : "SIGINT"}});
        Shutdown();
      });
    }
    return OkStatus();
  }

  uint16_t port() const override { return port_; }
  size_t max_connections() const override { return max_connections_; }

  void Run() override {
    asio::co_spawn(acceptor_.get_executor(), Accept(), asio::detached);
    std::vector<std::thread> threads;
    for (int i = 1; i < io_threads_; ++i) threads.emplace_back([this] { RunLoop(); });
    RunLoop();
    for (auto& t : threads) t.join();
  }

  // Runs the event loop until it is stopped. A handler that throws is a bug; it
  // is logged and the loop goes on rather than taking the process down.
  void RunLoop() {
    while (true) {
      try {
        ioc_.run();
        return;
      } catch (const std::exception& e) {
        log::Error("exception escaped an I/O handler", {{"error", e.what()}});
      }
    }
  }

  void Shutdown() override {
    if (stopping_.exchange(true)) return;
    asio::post(acceptor_.get_executor(), [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      accept_pause_.cancel();
      signals_.cancel(ignored);
      CloseIdleConnections();
      StartGraceTimer();
      MaybeFinish();
    });
  }

 private:
  asio::awaitable<void> Accept() {
    auto pause = kFirstAcceptPause;
    while (!stopping_) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(ioc_), kTuple);
      if (!ec) {
        pause = kFirstAcceptPause;
        Admit(std::move(socket));
        continue;
      }
      if (stopping_ || ec == asio::error::operation_aborted) break;
      if (ec == asio::error::connection_aborted) continue;  // that client left; the next one may be waiting
      // Retrying at once would fail again at once (the listening socket stays
      // readable) and spin a core, so pause; without descriptors, first close
      // the connection idle longest so that the next attempt can succeed.
      bool descriptors = OutOfDescriptors(ec);
      bool freed = false;
      if (descriptors) {
        Count(/*evicted=*/false, "descriptors");
        std::shared_ptr<Connection> victim;
        {
          std::lock_guard lock(mutex_);
          victim = EvictLocked(idle_);
        }
        if (victim) {
          freed = true;
          Count(/*evicted=*/true, "descriptors");
          CloseEvicted(victim);
        }
      }
      ThrottledWarning& warning = descriptors ? descriptor_warning_ : accept_error_warning_;
      if (auto suppressed = warning.Due()) {
        log::Warn(descriptors ? "out of file descriptors; pausing accept" : "accept failed; pausing accept",
                  {{"error", ec.message()},
                   {"pause_ms", static_cast<int64_t>(pause.count())},
                   {"closing_idle_connection", freed},
                   {"suppressed", *suppressed}});
      }
      accept_pause_.expires_after(pause);
      co_await accept_pause_.async_wait(kTuple);
      pause = std::min(pause * 2, kLastAcceptPause);
    }
    MaybeFinish();
  }

  // Takes an accepted connection in, within the caps: over one, the connection
  // idle longest (of the same address, for the per-address cap) is closed to
  // make room; when there is none, the new connection is closed at once.
  void Admit(tcp::socket socket) {
    boost::system::error_code ec;
    auto endpoint = socket.remote_endpoint(ec);
    if (ec) return;  // the client is gone already; the socket closes here
    socket.set_option(tcp::no_delay(true), ec);
    std::string address = endpoint.address().to_string();

    const char* cap = nullptr;  // the cap this connection met, if any
    std::shared_ptr<Connection> connection, victim;
    std::list<std::shared_ptr<Connection>>::iterator it;
    {
      std::lock_guard lock(mutex_);
      auto [peer_it, inserted] = peers_.try_emplace(address);
      Peer& peer = peer_it->second;
      size_t per_address = options_.max_connections_per_address;
      if (per_address > 0 && peer.open - peer.leaving >= per_address && !options_.uncapped_peers.Contains(address)) {
        cap = "per_address_cap";
        victim = EvictLocked(peer.idle);
      } else if (connections_.size() - leaving_ >= max_connections_) {
        cap = "total_cap";
        victim = EvictLocked(idle_);
      }
      if (cap == nullptr || victim) {
        connection = std::make_shared<Connection>(std::move(socket), address, peer);
        connections_.push_front(connection);
        it = connections_.begin();
        ++peer.open;
      } else if (peer.open == 0) {
        peers_.erase(peer_it);
      }
    }
    if (cap != nullptr) {
      Count(victim != nullptr, cap);
      const char* action = victim ? "closed the connection idle longest" : "refused the new connection";
      if (cap == std::string_view("per_address_cap")) {
        if (auto suppressed = per_address_cap_warning_.Due()) {
          log::Warn("connections from one address at their cap",
                    {{"limit", static_cast<uint64_t>(options_.max_connections_per_address)},
                     {"address", address},
                     {"action", action},
                     {"suppressed", *suppressed}});
        }
      } else if (auto suppressed = total_cap_warning_.Due()) {
        log::Warn(
            "connections at their cap",
            {{"limit", static_cast<uint64_t>(max_connections_)}, {"action", action}, {"suppressed", *suppressed}});
      }
      if (victim) CloseEvicted(victim);
    }
    if (!connection) return;  // refused: the socket closes here
    if (options_.metrics != nullptr) options_.metrics->open.Inc();
    asio::co_spawn(connection->stream.get_executor(), Serve(connection), [this, it](const std::exception_ptr& e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          log::Error("connection failed", {{"error", ex.what()}});
        }
      }
      Release(it);
      MaybeFinish();
    });
  }

  // Forgets an ended connection.
  void Release(std::list<std::shared_ptr<Connection>>::iterator it) {
    {
      std::lock_guard lock(mutex_);
      Connection& connection = **it;
      SetIdleLocked(connection, false);
      if (connection.evicted) {
        --leaving_;
        --connection.peer.leaving;
      }
      if (--connection.peer.open == 0) peers_.erase(connection.address);
      connections_.erase(it);
    }
    if (options_.metrics != nullptr) options_.metrics->open.Dec();
  }

  // Enters the idle lists (as their most recently active) or leaves them.
  void SetIdleLocked(Connection& connection, bool idle) {
    if (idle == connection.idle) return;
    if (idle) {
      if (connection.evicted) return;  // closing anyway
      connection.idle_pos = idle_.insert(idle_.end(), &connection);
      connection.peer_idle_pos = connection.peer.idle.insert(connection.peer.idle.end(), &connection);
    } else {
      idle_.erase(connection.idle_pos);
      connection.peer.idle.erase(connection.peer_idle_pos);
    }
    connection.idle = idle;
  }

  void SetIdle(Connection& connection, bool idle) {
    std::lock_guard lock(mutex_);
    SetIdleLocked(connection, idle);
  }

  // Takes the least recently active connection off `idle` (idle_ or a peer's)
  // and marks it to be closed; null when there is none. CloseEvicted() closes it.
  std::shared_ptr<Connection> EvictLocked(std::list<Connection*>& idle) {
    if (idle.empty()) return nullptr;
    Connection& victim = *idle.front();
    SetIdleLocked(victim, false);
    victim.evicted = true;
    ++leaving_;
    ++victim.peer.leaving;
    return victim.shared_from_this();
  }

  // Cancels the evicted connection's wait for a request, unless a request came
  // in meanwhile (being handled, or bytes the kernel holds for us): that one is
  // answered, and the connection closed after it. A header that has been
  // trickling in for a while is cut: holding it would let slow clients pass the caps.
  static void CloseEvicted(const std::shared_ptr<Connection>& victim) {
    asio::post(victim->stream.get_executor(), [victim] {
      if (victim->busy) return;
      boost::system::error_code ec;
      if (victim->stream.socket().available(ec) > 0) return;
      CancelQuietly(*victim);
    });
  }

  // Counts a connection evicted or refused (or a failed accept) when the server has metrics.
  void Count(bool evicted, const char* reason) {
    if (options_.metrics == nullptr) return;
    (evicted ? options_.metrics->evicted : options_.metrics->refused).WithLabels({reason}).Inc();
  }

  // Reads requests on one connection until it closes, it errs, or shutdown.
  asio::awaitable<void> Serve(std::shared_ptr<Connection> connection) {
    beast::tcp_stream& stream = connection->stream;
    beast::flat_buffer buffer;
    const std::string& remote = connection->address;
    bool unread_input = false;  // the last request may have left bytes unread
    while (!stopping_) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options_.header_limit));
      // The body limit depends on the route, known once the header is read;
      // until then Beast must not refuse a large Content-Length by itself.
      parser.body_limit(std::numeric_limits<std::uint64_t>::max());

      // Wait for the next request with the idle timeout, then read it with the read timeout.
      stream.expires_after(buffer.size() > 0 ? options_.read_timeout : options_.idle_timeout);
      // Waiting for the next request: this connection may be chosen to make room.
      if (buffer.size() == 0) SetIdle(*connection, true);
      auto [header_ec, header_bytes] = co_await bhttp::async_read_header(stream, buffer, parser, kTuple);
      (void)header_bytes;
      connection->busy = true;
      SetIdle(*connection, false);
      Request request;
      request.remote_address = remote;
      bool keep_alive = false;
      if (header_ec) {
        if (header_ec == bhttp::error::end_of_stream || header_ec == beast::error::timeout ||
            header_ec == asio::error::operation_aborted || header_ec == asio::error::connection_reset ||
            header_ec == asio::error::eof || stopping_) {
          break;  // closed, timed out or shut down between requests: nothing to answer
        }
        if (header_ec == bhttp::error::header_limit) {
          request.transport_error =
              Error(ErrorCode::kHeadersTooLarge, "header_too_large",
                    "request headers exceed the " + std::to_string(options_.header_limit) + "-byte limit");
        } else {
          request.transport_error =
              Error(ErrorCode::kInvalidArgument, "bad_request", "malformed HTTP request: " + header_ec.message());
        }
      }
      if (!header_ec) {
        const auto& header = parser.get();
        request.method = ParseMethod(std::string_view(header.method_string()));
        request.target = std::string(header.target());
        std::string_view target = request.target;
        auto question = target.find('?');
        request.path = PercentDecode(target.substr(0, question));
        if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
        for (const auto& field : header) {
          request.headers.Add(std::string(field.name_string()), std::string(field.value()));
        }
        size_t limit = handler_.BodyLimit(request);
        if (limit == 0) limit = options_.body_limit;
        auto content_length = parser.content_length();
        if (content_length && *content_length > limit) {
          // Refuse before reading: the client learns at once and nothing is buffered.
          request.transport_error = TooLarge(limit);
        } else {
          parser.body_limit(limit);  // for chunked bodies
          stream.expires_after(options_.read_timeout);
          auto [body_ec, body_bytes] = co_await bhttp::async_read(stream, buffer, parser, kTuple);
          (void)body_bytes;
          if (body_ec == bhttp::error::body_limit) {
            request.transport_error = TooLarge(limit);
          } else if (body_ec) {
            if (body_ec == beast::error::timeout || body_ec == asio::error::eof ||
                body_ec == bhttp::error::partial_message || body_ec == asio::error::connection_reset) {
              break;  // the client went away mid-request
            }
            request.transport_error =
                Error(ErrorCode::kInvalidArgument, "bad_request", "malformed HTTP body: " + body_ec.message());
          }
        }
        if (!request.transport_error) request.body = std::move(parser.get().body());
        keep_alive = header.keep_alive() && !request.transport_error;
      }
      request.received_at = std::chrono::steady_clock::now();

      Response response;
      if (handler_.IsCheap(request)) {
        response = handler_.Handle(request);
      } else {
        // Run on the worker pool; resume on this connection's strand.
        response = co_await asio::co_spawn(
            workers_, [this, &request]() -> asio::awaitable<Response> { co_return handler_.Handle(request); },
            asio::bind_executor(stream.get_executor(), asio::use_awaitable));
      }

      bool close = !keep_alive || response.close_connection || stopping_ || connection->evicted;
      bool is_head = request.method == Method::kHead;
      if (response.stream && !is_head) {
        bool complete = co_await WriteStreamed(stream, response, close);
        connection->busy = false;
        if (!complete || close) break;
        continue;
      }
      bhttp::response<bhttp::string_body> out;
      out.version(11);
      out.result(static_cast<unsigned>(response.status));
      for (const auto& [name, value] : response.headers.fields()) out.insert(name, value);
      out.keep_alive(!close);
      out.content_length(response.body.size());
      if (!is_head) out.body() = std::move(response.body);
      stream.expires_after(std::chrono::seconds(30));
      boost::system::error_code write_ec;
      if (is_head) {
        bhttp::response_serializer<bhttp::string_body> serializer(out);
        std::tie(write_ec, std::ignore) = co_await bhttp::async_write_header(stream, serializer, kTuple);
      } else {
        std::tie(write_ec, std::ignore) = co_await bhttp::async_write(stream, out, kTuple);
      }
      connection->busy = false;
      if (request.transport_error) unread_input = true;
      if (write_ec || close) break;
      if (header_ec) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    if (unread_input) co_await DrainBeforeClose(stream);
    stream.close();
  }

  // Writes a response whose body comes in pieces (Response::stream) with
  // chunked encoding: each piece is produced on the worker pool, then written.
  // False when the body could not be completed (the connection must close).
  asio::awaitable<bool> WriteStreamed(beast::tcp_stream& stream, Response& response, bool close) {
    bhttp::response<bhttp::empty_body> head;
    head.version(11);
    head.result(static_cast<unsigned>(response.status));
    for (const auto& [name, value] : response.headers.fields()) head.insert(name, value);
    head.keep_alive(!close);
    head.chunked(true);
    bhttp::response_serializer<bhttp::empty_body> serializer(head);
    stream.expires_after(std::chrono::seconds(30));
    auto [header_ec, header_bytes] = co_await bhttp::async_write_header(stream, serializer, kTuple);
    (void)header_bytes;
    if (header_ec) co_return false;
    while (true) {
      std::string piece;
      std::string failure;
      // 1: more to come, 0: complete, -1: failed (the error in `failure`).
      int more = co_await asio::co_spawn(
          workers_,
          [&response, &piece, &failure]() -> asio::awaitable<int> {
            Result<bool> next = response.stream(piece);
            if (!next.ok()) failure = next.error().message;
            co_return next.ok() ? (*next ? 1 : 0) : -1;
          },
          asio::bind_executor(stream.get_executor(), asio::use_awaitable));
      if (more < 0) {
        log::Error("streamed response failed", {{"error", failure}});
        co_return false;
      }
      stream.expires_after(std::chrono::seconds(30));
      if (!piece.empty()) {
        auto [ec, n] = co_await asio::async_write(stream, bhttp::make_chunk(asio::buffer(piece)), kTuple);
        (void)n;
        if (ec) co_return false;
      }
      if (more == 0) {
        auto [ec, n] = co_await asio::async_write(stream, bhttp::make_chunk_last(), kTuple);
        (void)n;
        co_return !ec;
      }
    }
  }

  // Closing a socket whose receive buffer still holds data makes the kernel
  // send a reset, which can destroy the error response before the client
  // reads it (a refused 2 MiB upload is still arriving). So after an error,
  // read and discard what the client still sends, for a bounded time and
  // amount, before closing ("lingering close").
  static asio::awaitable<void> DrainBeforeClose(beast::tcp_stream& stream) {
    constexpr size_t kMaxDrainBytes = 64u << 20;
    stream.expires_after(std::chrono::seconds(2));
    std::array<char, size_t{64} * 1024> sink;
    size_t drained = 0;
    while (drained < kMaxDrainBytes) {
      auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), kTuple);
      if (ec) break;
      drained += n;
    }
  }

  static Error TooLarge(size_t limit) {
    return Error(ErrorCode::kPayloadTooLarge, "payload_too_large",
                 "request body exceeds the " + std::to_string(limit) + "-byte limit");
  }

  // Closes connections that are waiting for a request; busy ones finish theirs.
  void CloseIdleConnections() {
    std::lock_guard lock(mutex_);
    for (auto& connection : connections_) {
      if (connection->busy) continue;
      asio::post(connection->stream.get_executor(), [connection] {
        if (!connection->busy) CancelQuietly(*connection);
      });
    }
  }

  void StartGraceTimer() {
    grace_timer_ = std::make_unique<asio::steady_timer>(acceptor_.get_executor(), options_.shutdown_grace);
    grace_timer_->async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      std::lock_guard lock(mutex_);
      if (!connections_.empty()) {
        log::Warn("shutdown grace period over; closing connections",
                  {{"connections", static_cast<int64_t>(connections_.size())}});
      }
      for (auto& connection : connections_) {
        asio::post(connection->stream.get_executor(), [connection] { CancelQuietly(*connection); });
      }
      ioc_.stop();
    });
  }

  // Stops the event loop once shutting down and no connection is left.
  void MaybeFinish() {
    if (!stopping_) return;
    std::lock_guard lock(mutex_);
    if (!connections_.empty()) {
      // Connections that went idle since shutdown started are closed now.
      for (auto& connection : connections_) {
        if (connection->busy) continue;
        asio::post(connection->stream.get_executor(), [connection] {
          if (!connection->busy) CancelQuietly(*connection);
        });
      }
      return;
    }
    asio::post(acceptor_.get_executor(), [this] {
      if (grace_timer_) grace_timer_->cancel();
      ioc_.stop();
    });
  }

  ServerOptions options_;
  RequestHandler& handler_;
  int io_threads_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_pause_;  // on the acceptor's strand
  asio::thread_pool workers_;
  asio::signal_set signals_;
  std::unique_ptr<asio::steady_timer> grace_timer_;
  uint16_t port_ = 0;
  const size_t max_connections_;
  std::atomic<bool> stopping_{false};
  // Used by the accept loop only.
  ThrottledWarning descriptor_warning_, accept_error_warning_, total_cap_warning_, per_address_cap_warning_;
  std::mutex mutex_;
  std::list<std::shared_ptr<Connection>> connections_;  // newest first
  std::list<Connection*> idle_;                         // least recently active first
  std::unordered_map<std::string, Peer> peers_;         // by client address
  size_t leaving_ = 0;                                  // connections evicted and not ended yet
};

}  // namespace

ConnectionMetrics::ConnectionMetrics(observability::Registry& registry)
    : open(registry.AddGauge("meterline_http_connections_open", "Client connections open now.", {}).WithLabels({})),
      limit(registry.AddGauge("meterline_http_connections_limit", "Most client connections open at once.", {})
                .WithLabels({})),
      refused(registry.AddCounter("meterline_http_connections_refused_total",
                                  "New connections closed at once at a cap (total_cap, per_address_cap), and accept "
                                  "failures for lack of file descriptors (descriptors).",
                                  {"reason"})),
      evicted(registry.AddCounter("meterline_http_connections_evicted_total",
                                  "Idle connections closed to make room for new ones.", {"reason"})) {
  // Every reason from the start, so that rate() sees the first increase.
  for (const char* reason : {"total_cap", "per_address_cap", "descriptors"}) {
    refused.WithLabels({reason});
    evicted.WithLabels({reason});
  }
}

Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options, RequestHandler& handler) {
  auto server = std::make_unique<BeastServer>(options, handler);
  MTL_RETURN_IF_ERROR(server->Listen());
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace meterline::http
