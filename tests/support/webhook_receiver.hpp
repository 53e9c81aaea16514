// WebhookReceiver: a real HTTP server on 127.0.0.1 that records what is
// posted to it and answers as scripted (a status, optionally after a delay),
// for the outgoing webhook tests. HTTP/1.1 with Content-Length bodies, each
// connection on its own thread and answered with "Connection: close".
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace meterline::testing {

class WebhookReceiver {
 public:
  struct Received {
    std::string path;
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;
  };
  struct Answer {
    int status = 200;
    std::chrono::milliseconds delay{0};
    std::string body = "ok";
  };

  WebhookReceiver();
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  std::string Url(const std::string& path = "/hooks") const;
  int port() const { return port_; }
  // The next requests get these answers, in order; then `fallback`.
  void Script(std::vector<Answer> answers);
  void SetFallback(Answer answer);
  std::vector<Received> Requests();
  size_t Count();
  // Waits until at least `n` requests arrived (or `timeout` passed).
  bool WaitFor(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  void Serve();
  void Handle(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::deque<Answer> script_;
  Answer fallback_;
  std::vector<Received> received_;
  std::vector<std::thread> handlers_;
  std::thread thread_;
};

}  // namespace meterline::testing
