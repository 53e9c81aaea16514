#include "http/content_encoding.hpp"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>

namespace meterline::http {

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The room to reserve for the decoded body: the size the encoder declared, when
// it did, else four times the encoded size; never past the bound, nor past
// 1,024 times the encoded size (a tiny body declaring gigabytes reserves
// little). Only a hint, not trusted: a good one saves the output's regrowth, a
// copy of everything decoded so far at every doubling, which at
// 100,000-event requests cost more than the decoding.
size_t DecodedSizeHint(size_t declared, size_t encoded, size_t max_decoded) {
  size_t hint = declared > 0 ? std::min(declared, encoded * 1024) : encoded * 4;
  return std::min(max_decoded, hint);
}

Status Gunzip(std::string& body, size_t max_decoded) {
  z_stream stream{};
  // 15 + 16: a gzip wrapper (not zlib or raw deflate), the largest window.
  if (inflateInit2(&stream, 15 + 16) != Z_OK) return Internal("inflateInit2 failed");
  // A gzip member ends with its decoded size modulo 2^32 (ISIZE, little endian).
  size_t declared = 0;
  if (body.size() >= 18) {
    for (int i = 1; i <= 4; ++i) declared = declared << 8 | static_cast<unsigned char>(body[body.size() - i]);
  }
  std::string out;
  out.reserve(DecodedSizeHint(declared, body.size(), max_decoded));
  std::array<char, size_t{64} * 1024> buffer;
  stream.next_in = reinterpret_cast<Bytef*>(body.data());
  stream.avail_in = static_cast<uInt>(body.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer.data());
    stream.avail_out = static_cast<uInt>(buffer.size());
    rc = inflate(&stream, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&stream);
      return Error(ErrorCode::kInvalidArgument, "invalid_encoding",
                   "the body is not valid gzip (Content-Encoding: gzip)");
    }
    size_t produced = buffer.size() - stream.avail_out;
    if (out.size() + produced > max_decoded) {
      inflateEnd(&stream);
      return Error(ErrorCode::kPayloadTooLarge, "payload_too_large",
                   "the decoded body exceeds the " + std::to_string(max_decoded) + "-byte limit");
    }
    out.append(buffer.data(), produced);
    if (rc == Z_OK && produced == 0 && stream.avail_in == 0) {
      inflateEnd(&stream);
      return Error(ErrorCode::kInvalidArgument, "invalid_encoding", "the gzip body ends early");
    }
  }
  bool trailing = stream.avail_in != 0;
  inflateEnd(&stream);
  if (trailing) return Error(ErrorCode::kInvalidArgument, "invalid_encoding", "data after the end of the gzip body");
  body = std::move(out);
  return OkStatus();
}

Status Unzstd(std::string& body, size_t max_decoded) {
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> context(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!context) return Internal("ZSTD_createDCtx failed");
  // A 16 MiB window at most: a frame asking for more (zstd --long) is refused
  // rather than allocated.
  ZSTD_DCtx_setParameter(context.get(), ZSTD_d_windowLogMax, 24);
  // The first frame's content size, when its header records it (zstd's one-shot
  // compression does).
  unsigned long long frame_size = ZSTD_getFrameContentSize(body.data(), body.size());
  size_t declared = frame_size == ZSTD_CONTENTSIZE_UNKNOWN || frame_size == ZSTD_CONTENTSIZE_ERROR
                        ? 0
                        : static_cast<size_t>(std::min<unsigned long long>(frame_size, SIZE_MAX));
  std::string out;
  out.reserve(DecodedSizeHint(declared, body.size(), max_decoded));
  std::array<char, size_t{64} * 1024> buffer;
  ZSTD_inBuffer in{body.data(), body.size(), 0};
  size_t rc = 1;  // 0 once a frame is complete
  while (in.pos < in.size || rc != 0) {
    ZSTD_outBuffer out_buffer{buffer.data(), buffer.size(), 0};
    rc = ZSTD_decompressStream(context.get(), &out_buffer, &in);
    if (ZSTD_isError(rc)) {
      return Error(ErrorCode::kInvalidArgument, "invalid_encoding",
                   std::string("the body is not valid zstd (Content-Encoding: zstd): ") + ZSTD_getErrorName(rc));
    }
    if (out.size() + out_buffer.pos > max_decoded) {
      return Error(ErrorCode::kPayloadTooLarge, "payload_too_large",
                   "the decoded body exceeds the " + std::to_string(max_decoded) + "-byte limit");
    }
    out.append(buffer.data(), out_buffer.pos);
    if (rc != 0 && in.pos == in.size && out_buffer.pos < out_buffer.size) {
      return Error(ErrorCode::kInvalidArgument, "invalid_encoding", "the zstd body ends early");
    }
  }
  body = std::move(out);
  return OkStatus();
}

}  // namespace

Status DecodeBody(std::string_view content_encoding, std::string& body, size_t max_decoded) {
  std::string_view coding = Trim(content_encoding);
  if (coding.empty() || EqualsIgnoreCase(coding, "identity")) return OkStatus();
  if (EqualsIgnoreCase(coding, "gzip") || EqualsIgnoreCase(coding, "x-gzip")) return Gunzip(body, max_decoded);
  if (EqualsIgnoreCase(coding, "zstd")) return Unzstd(body, max_decoded);
  return Error(ErrorCode::kUnsupportedMediaType, "unsupported_encoding",
               "Content-Encoding must be gzip, zstd or identity, not " + std::string(coding.substr(0, 40)));
}

}  // namespace meterline::http
