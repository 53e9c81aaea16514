// Pipeline: the ordered middleware chain in front of the router. It is the
// RequestHandler the transport calls. The order is set by the caller (see
// app/wiring.cpp, which says why each step sits where it does); the pipeline
// always ends with the terminal step:
//   transport error → static files (non-API GET) → 404/405 → JSON body check → handler.
// Any exception escaping a handler becomes a 500 whose body carries only the
// request id, while the log line carries the details.
#pragma once

#include <memory>
#include <vector>

#include "http/middleware/middleware.hpp"
#include "http/router.hpp"
#include "http/server.hpp"

namespace meterline::http {

class StaticFiles;

class Pipeline final : public RequestHandler {
 public:
  // `router` and `static_files` (may be null: no console) must outlive the pipeline.
  Pipeline(const Router& router, const StaticFiles* static_files);

  // Appends a step; steps run in the order added. Not thread-safe: call before serving.
  void Use(std::unique_ptr<Middleware> step);

  Response Handle(Request& request) override;
  bool IsCheap(const Request& request) const override;
  size_t BodyLimit(const Request& request) const override;

 private:
  friend class Next;
  Response RunFrom(size_t index, Request& request) const;
  Response Terminal(Request& request) const;

  const Router& router_;
  const StaticFiles* static_files_;
  std::vector<std::unique_ptr<Middleware>> steps_;
};

}  // namespace meterline::http
