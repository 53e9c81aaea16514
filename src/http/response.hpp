// Response: what a handler returns; the transport writes it.
#pragma once

#include <string>

#include "http/headers.hpp"

namespace meterline::http {

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  // Close the connection after writing (set for errors that leave the stream unusable).
  bool close_connection = false;

  // A JSON response; `json` must be a serialized JSON document.
  static Response Json(int status, std::string json);
  static Response Text(int status, std::string text, std::string content_type = "text/plain; charset=utf-8");
  static Response NoContent(int status = 204);
};

}  // namespace meterline::http
