// Response: what a handler returns; the transport writes it.
#pragma once

#include <functional>
#include <string>

#include "core/result.hpp"
#include "http/headers.hpp"

namespace meterline::http {

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  // Close the connection after writing (set for errors that leave the stream unusable).
  bool close_connection = false;
  // A body produced in pieces (exports), instead of `body`: the transport calls
  // it on a worker thread, each call appending the next piece to `piece`, until
  // it returns false, and sends the pieces with chunked transfer encoding. An
  // error ends the response without its last chunk, so the client sees it
  // incomplete rather than short.
  std::function<Result<bool>(std::string& piece)> stream;

  // A JSON response; `json` must be a serialized JSON document.
  static Response Json(int status, std::string json);
  static Response Text(int status, std::string text, std::string content_type = "text/plain; charset=utf-8");
  static Response NoContent(int status = 204);
};

}  // namespace meterline::http
