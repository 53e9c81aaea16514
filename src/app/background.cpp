#include "app/background.hpp"

#include "core/log.hpp"

namespace meterline::app {

void BackgroundJobs::Every(std::string name, std::chrono::milliseconds interval, std::function<void()> job) {
  threads_.emplace_back([this, name = std::move(name), interval, job = std::move(job)] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      try {
        job();
      } catch (const std::exception& e) {
        log::Error("background job failed", {{"job", name}, {"error", e.what()}});
      }
      lock.lock();
      wake_.wait_for(lock, interval, [this] { return stopping_; });
    }
  });
}

void BackgroundJobs::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace meterline::app
