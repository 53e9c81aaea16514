// BackgroundJobs: work that 'billingd serve' runs on a timer beside the HTTP
// server: the invoice scheduler, the Stripe outbox, Stripe webhook processing
// and the hourly purge of expired idempotency keys and revoked sessions.
// Each job has its own thread; Stop() wakes and joins them all.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace meterline::app {

class BackgroundJobs {
 public:
  BackgroundJobs() = default;
  ~BackgroundJobs() { Stop(); }
  BackgroundJobs(const BackgroundJobs&) = delete;
  BackgroundJobs& operator=(const BackgroundJobs&) = delete;

  // Runs `job` now and then every `interval` until Stop().
  void Every(std::string name, std::chrono::milliseconds interval, std::function<void()> job);

  void Stop();

 private:
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace meterline::app
