#include "support/webhook_receiver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace meterline::testing {

WebhookReceiver::WebhookReceiver() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(listen_fd_, 64) != 0) {
    throw std::runtime_error("webhook receiver: cannot listen on 127.0.0.1");
  }
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

WebhookReceiver::~WebhookReceiver() {
  stop_ = true;
  thread_.join();
  close(listen_fd_);
}

std::string WebhookReceiver::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void WebhookReceiver::Script(std::vector<Answer> answers) {
  std::lock_guard lock(mu_);
  script_.assign(answers.begin(), answers.end());
}

void WebhookReceiver::SetFallback(Answer answer) {
  std::lock_guard lock(mu_);
  fallback_ = std::move(answer);
}

std::vector<WebhookReceiver::Received> WebhookReceiver::Requests() {
  std::lock_guard lock(mu_);
  return received_;
}

size_t WebhookReceiver::Count() {
  std::lock_guard lock(mu_);
  return received_.size();
}

bool WebhookReceiver::WaitFor(size_t n, std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (Count() < n) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

void WebhookReceiver::Serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    // Each connection on its own thread: a slow answer holds no one else up.
    std::lock_guard lock(mu_);
    handlers_.emplace_back([this, fd] {
      Handle(fd);
      close(fd);
    });
  }
  std::vector<std::thread> handlers;
  {
    std::lock_guard lock(mu_);
    handlers.swap(handlers_);
  }
  for (std::thread& t : handlers) t.join();
}

void WebhookReceiver::Handle(int fd) {
  std::string data;
  char buffer[8192];
  size_t header_end = std::string::npos;
  size_t length = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    data.append(buffer, static_cast<size_t>(n));
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end == std::string::npos) continue;
      std::string lower = data.substr(0, header_end);
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      size_t at = lower.find("content-length:");
      if (at != std::string::npos) length = std::stoul(lower.substr(at + 15));
    }
    if (data.size() >= header_end + 4 + length) break;
  }
  if (header_end == std::string::npos) return;
  Received r;
  size_t line_end = data.find("\r\n");
  std::string request_line = data.substr(0, line_end);
  size_t sp1 = request_line.find(' ');
  size_t sp2 = request_line.find(' ', sp1 + 1);
  r.path = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  for (size_t pos = line_end + 2; pos < header_end;) {
    size_t next = data.find("\r\n", pos);
    std::string line = data.substr(pos, next - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      size_t v = line.find_first_not_of(' ', colon + 1);
      r.headers[name] = v == std::string::npos ? "" : line.substr(v);
    }
    pos = next + 2;
  }
  r.body = data.substr(header_end + 4, length);
  Answer answer;
  {
    std::lock_guard lock(mu_);
    if (!script_.empty()) {
      answer = script_.front();
      script_.pop_front();
    } else {
      answer = fallback_;
    }
    received_.push_back(std::move(r));
  }
  if (answer.delay.count() > 0) std::this_thread::sleep_for(answer.delay);
  std::string response = "HTTP/1.1 " + std::to_string(answer.status) + " X\r\nContent-Type: text/plain\r\n" +
                         "Content-Length: " + std::to_string(answer.body.size()) + "\r\nConnection: close\r\n\r\n" +
                         answer.body;
  for (size_t sent = 0; sent < response.size();) {
    ssize_t n = send(fd, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
}

}  // namespace meterline::testing
