// Middleware: one step of the request pipeline. A step either answers the
// request itself or calls next(request) and may adjust what comes back.
// Steps are built once (configuration parsed in the constructor) and must be
// thread-safe: Handle() runs concurrently for many requests.
#pragma once

#include "http/request.hpp"
#include "http/response.hpp"

namespace meterline::http {

class Pipeline;

// Continues the pipeline after the current step. Cheap to copy.
class Next {
 public:
  Next(const Pipeline& pipeline, size_t index) : pipeline_(&pipeline), index_(index) {}
  Response operator()(Request& request) const;

 private:
  const Pipeline* pipeline_;
  size_t index_;
};

class Middleware {
 public:
  virtual ~Middleware() = default;
  virtual Response Handle(Request& request, const Next& next) = 0;
};

}  // namespace meterline::http
