// The HTTP/1.1 transport: Boost.Beast + Asio with C++20 coroutines.
//
// Threads: one io_context run by `io_threads` threads; each connection is a
// coroutine on its own strand. Requests the handler calls cheap run inline on
// the strand; the rest are posted to a thread pool and the coroutine resumes
// on its strand when the response is ready, so a slow database never stalls
// the event loop.
//
// Shutdown: stop accepting; close connections that wait for a request; let a
// connection with a request in flight finish it (answered with
// Connection: close); Run() returns when no connection is left, or force-closes
// what remains after `shutdown_grace`.
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
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <atomic>
#include <limits>
#include <list>
#include <mutex>
#include <thread>

#include "core/log.hpp"
#include "http/server.hpp"

namespace meterline::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Percent-decodes a path (not '+', which is literal in paths).
std::string DecodePath(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 2 < path.size() && hex(path[i + 1]) >= 0 && hex(path[i + 2]) >= 0) {
      out += static_cast<char>(hex(path[i + 1]) * 16 + hex(path[i + 2]));
      i += 2;
    } else {
      out += path[i];
    }
  }
  return out;
}

class BeastServer;
struct Connection;
void CancelQuietly(Connection& connection);

// One accepted connection. Lives in BeastServer::connections_ until its coroutine ends.
struct Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  // True while a request is being handled or its response written; an idle
  // connection (waiting for a request) may be closed at once on shutdown.
  std::atomic<bool> busy{false};
};

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
        io_threads_(options.io_threads > 0 ? options.io_threads
                                           : std::max(1u, std::thread::hardware_concurrency())),
        ioc_(io_threads_),
        acceptor_(asio::make_strand(ioc_)),
        workers_(static_cast<size_t>(std::max(1, options.worker_threads))),
        signals_(ioc_) {}

  ~BeastServer() override {
    workers_.join();
  }

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
    return OkStatus();
  }

  uint16_t port() const override { return port_; }

  void Run() override {
    if (options_.handle_signals) {
      signals_.add(SIGINT);
      signals_.add(SIGTERM);
      signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        log::Info("shutdown requested", {{"signal", signo == SIGTERM ? "SIGTERM" : "SIGINT"}});
        Shutdown();
      });
    }
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
      signals_.cancel(ignored);
      CloseIdleConnections();
      StartGraceTimer();
      MaybeFinish();
    });
  }

 private:
  asio::awaitable<void> Accept() {
    while (!stopping_) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(ioc_), kTuple);
      if (ec) {
        if (stopping_ || ec == asio::error::operation_aborted) break;
        log::Debug("accept failed", {{"error", ec.message()}});
        continue;
      }
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::list<std::shared_ptr<Connection>>::iterator it;
      {
        std::lock_guard lock(mutex_);
        connections_.push_front(std::make_shared<Connection>(std::move(socket)));
        it = connections_.begin();
      }
      auto connection = *it;
      asio::co_spawn(connection->stream.get_executor(), Serve(connection),
                     [this, it](std::exception_ptr e) {
                       if (e) {
                         try {
                           std::rethrow_exception(e);
                         } catch (const std::exception& ex) {
                           log::Error("connection failed", {{"error", ex.what()}});
                         }
                       }
                       {
                         std::lock_guard lock(mutex_);
                         connections_.erase(it);
                       }
                       MaybeFinish();
                     });
    }
    MaybeFinish();
  }

  // Reads requests on one connection until it closes, it errs, or shutdown.
  asio::awaitable<void> Serve(std::shared_ptr<Connection> connection) {
    beast::tcp_stream& stream = connection->stream;
    beast::flat_buffer buffer;
    std::string remote;
    {
      boost::system::error_code ec;
      auto endpoint = stream.socket().remote_endpoint(ec);
      if (!ec) remote = endpoint.address().to_string();
    }
    bool unread_input = false;  // the last request may have left bytes unread
    while (!stopping_) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options_.header_limit));
      // The body limit depends on the route, known once the header is read;
      // until then Beast must not refuse a large Content-Length by itself.
      parser.body_limit(std::numeric_limits<std::uint64_t>::max());

      // Wait for the next request with the idle timeout, then read it with the read timeout.
      stream.expires_after(buffer.size() > 0 ? options_.read_timeout : options_.idle_timeout);
      auto [header_ec, header_bytes] = co_await bhttp::async_read_header(stream, buffer, parser, kTuple);
      (void)header_bytes;
      connection->busy = true;
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
          request.transport_error = Error(ErrorCode::kInvalidArgument, "header_too_large",
                                          "request headers exceed the " + std::to_string(options_.header_limit) +
                                              "-byte limit");
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
        request.path = DecodePath(target.substr(0, question));
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

      bool close = !keep_alive || response.close_connection || stopping_;
      bhttp::response<bhttp::string_body> out;
      out.version(11);
      out.result(static_cast<unsigned>(response.status));
      for (const auto& [name, value] : response.headers.fields()) out.insert(name, value);
      out.keep_alive(!close);
      bool is_head = request.method == Method::kHead;
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

  // Closing a socket whose receive buffer still holds data makes the kernel
  // send a reset, which can destroy the error response before the client
  // reads it (a refused 2 MiB upload is still arriving). So after an error,
  // read and discard what the client still sends, for a bounded time and
  // amount, before closing ("lingering close").
  static asio::awaitable<void> DrainBeforeClose(beast::tcp_stream& stream) {
    constexpr size_t kMaxDrainBytes = 64u << 20;
    stream.expires_after(std::chrono::seconds(2));
    std::array<char, 64 * 1024> sink;
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
  asio::thread_pool workers_;
  asio::signal_set signals_;
  std::unique_ptr<asio::steady_timer> grace_timer_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::list<std::shared_ptr<Connection>> connections_;
};

}  // namespace

Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options, RequestHandler& handler) {
  auto server = std::make_unique<BeastServer>(options, handler);
  MTL_RETURN_IF_ERROR(server->Listen());
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace meterline::http
