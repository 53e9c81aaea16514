// Request bodies sent compressed (Content-Encoding), on the routes that accept
// them (Route::encoded_body: usage ingestion). An edge collector compresses
// its batches (gzip or zstd); the body is decoded before anything reads it, within a bound, so a
// small body cannot expand without limit (a "zip bomb").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace meterline::http {

// Decodes `body` per `content_encoding` ("gzip", "zstd", "identity" or empty) in
// place. Errors: kUnsupportedMediaType for another coding, kPayloadTooLarge
// ("payload_too_large") when the decoded body would pass `max_decoded` bytes,
// kInvalidArgument ("invalid_encoding") for a body that is not what it claims.
Status DecodeBody(std::string_view content_encoding, std::string& body, size_t max_decoded);

}  // namespace meterline::http
