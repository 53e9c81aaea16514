// Client address behind reverse proxies (TRUSTED_PROXIES).
//
// A request's peer is the client unless the peer is a trusted proxy; then the
// client is the right-most hop of Forwarded (RFC 7239, `for=`) or, without
// it, X-Forwarded-For that is not itself a trusted proxy. Hops a proxy did not
// add (anything left of the first untrusted one) are the client's own claims
// and are never used, so a spoofed header from an untrusted peer changes
// nothing. Pure code; thread-safe once built.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "http/headers.hpp"

namespace meterline::http {

class TrustedProxies {
 public:
  TrustedProxies() = default;  // trusts nobody

  // "10.0.0.0/8,192.168.1.7,fd00::/8": CIDR blocks or single addresses, IPv4
  // or IPv6, comma-separated. kInvalidArgument naming the bad entry.
  static Result<TrustedProxies> Parse(std::string_view list);

  bool empty() const { return blocks_.empty(); }
  // True when `address` (textual IPv4/IPv6) is inside one of the blocks.
  bool Contains(std::string_view address) const;

 private:
  struct Block {
    std::array<uint8_t, 16> prefix{};  // IPv4 as ::ffff:a.b.c.d
    int bits = 0;                      // of the 128
  };
  std::vector<Block> blocks_;
};

// The client's address for a request from `peer` with these headers.
std::string ResolveClientAddress(std::string_view peer, const Headers& headers, const TrustedProxies& trusted);

}  // namespace meterline::http
