#include "webhooks/target_guard.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/url/parse.hpp>

#include <array>
#include <cstdint>
#include <cstring>

namespace meterline::webhooks {

namespace {

constexpr size_t kMaxUrlLength = 2048;

// A host-order IPv4 address against `prefix`/`bits`.
bool In(uint32_t ip, uint32_t prefix, int bits) {
  uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  return (ip & mask) == (prefix & mask);
}

constexpr uint32_t V4(int a, int b, int c, int d) {
  return (static_cast<uint32_t>(a) << 24) | (static_cast<uint32_t>(b) << 16) | (static_cast<uint32_t>(c) << 8) |
         static_cast<uint32_t>(d);
}

std::string NonPublicV4(uint32_t ip) {
  struct Range {
    uint32_t prefix;
    int bits;
    const char* reason;
  };
  // RFC 6890 special-purpose ranges that are not globally reachable.
  static constexpr Range kRanges[] = {
      {V4(0, 0, 0, 0), 8, "unspecified"},         {V4(10, 0, 0, 0), 8, "private"},
      {V4(100, 64, 0, 0), 10, "shared"},          {V4(127, 0, 0, 0), 8, "loopback"},
      {V4(169, 254, 0, 0), 16, "link-local"},  // cloud metadata (169.254.169.254) among them
      {V4(172, 16, 0, 0), 12, "private"},         {V4(192, 0, 0, 0), 24, "reserved"},
      {V4(192, 0, 2, 0), 24, "documentation"},    {V4(192, 88, 99, 0), 24, "reserved"},
      {V4(192, 168, 0, 0), 16, "private"},        {V4(198, 18, 0, 0), 15, "benchmarking"},
      {V4(198, 51, 100, 0), 24, "documentation"}, {V4(203, 0, 113, 0), 24, "documentation"},
      {V4(224, 0, 0, 0), 4, "multicast"},         {V4(240, 0, 0, 0), 4, "reserved"},
  };
  for (const Range& r : kRanges) {
    if (In(ip, r.prefix, r.bits)) return r.reason;
  }
  return "";
}

std::string NonPublicV6(const std::array<uint8_t, 16>& a) {
  static constexpr std::array<uint8_t, 16> kZero{};
  std::array<uint8_t, 16> loopback{};
  loopback[15] = 1;
  if (a == kZero) return "unspecified";
  if (a == loopback) return "loopback";
  auto v4_at = [&](size_t at) {
    return (uint32_t{a[at]} << 24) | (uint32_t{a[at + 1]} << 16) | (uint32_t{a[at + 2]} << 8) | uint32_t{a[at + 3]};
  };
  // ::ffff:a.b.c.d (mapped) and 64:ff9b::a.b.c.d (NAT64): the IPv4 address decides.
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static constexpr uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(a.data(), kMapped, 12) == 0 || std::memcmp(a.data(), kNat64, 12) == 0) {
    return NonPublicV4(v4_at(12));
  }
  if ((a[0] & 0xfe) == 0xfc) return "private";                     // fc00::/7 unique local (AWS metadata fd00:ec2::254)
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return "link-local";  // fe80::/10
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) return "private";     // fec0::/10 site-local (deprecated)
  if (a[0] == 0xff) return "multicast";
  if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8) return "documentation";  // 2001:db8::/32
  // IPv4-compatible ::a.b.c.d (deprecated) and the rest of ::/96.
  if (std::memcmp(a.data(), kZero.data(), 12) == 0) return "reserved";
  return "";
}

}  // namespace

std::string NonPublicReason(const sockaddr* address) {
  if (address == nullptr) return "unknown";
  if (address->sa_family == AF_INET) {
    sockaddr_in v4{};
    std::memcpy(&v4, address, sizeof v4);
    return NonPublicV4(ntohl(v4.sin_addr.s_addr));
  }
  if (address->sa_family == AF_INET6) {
    sockaddr_in6 v6{};
    std::memcpy(&v6, address, sizeof v6);
    std::array<uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), &v6.sin6_addr, 16);
    return NonPublicV6(bytes);
  }
  return "not an internet address";
}

Result<std::string> CheckEndpointUrl(std::string_view url, bool allow_private) {
  if (url.empty()) return InvalidParam("url", "url is required");
  if (url.size() > kMaxUrlLength) {
    return InvalidParam("url", "url must be at most " + std::to_string(kMaxUrlLength) + " characters");
  }
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return InvalidParam("url", "url must be an absolute http or https URL");
  std::string scheme(parsed->scheme());
  if (scheme != "https" && scheme != "http") return InvalidParam("url", "url must use https");
  if (scheme == "http" && !allow_private) {
    return InvalidParam("url", "url must use https (http is only for private targets, which are not allowed here)");
  }
  if (parsed->has_userinfo()) return InvalidParam("url", "url must not carry a user name or password");
  if (parsed->has_fragment()) return InvalidParam("url", "url must not have a #fragment");
  std::string host(parsed->encoded_host());
  if (host.empty()) return InvalidParam("url", "url must name a host");
  if (allow_private) return std::string(url);
  // An IPv6 literal comes bracketed; getaddrinfo takes it bare.
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0 || found == nullptr) {
    return InvalidParam("url", "the host of url does not resolve: " + std::string(gai_strerror(rc)));
  }
  std::string why;
  for (addrinfo* a = found; a != nullptr && why.empty(); a = a->ai_next) why = NonPublicReason(a->ai_addr);
  freeaddrinfo(found);
  if (!why.empty()) {
    return InvalidParam("url", "url resolves to a " + why +
                                   " address; webhooks are only sent to public addresses "
                                   "(WEBHOOK_ALLOW_PRIVATE_TARGETS=true allows others)");
  }
  return std::string(url);
}

}  // namespace meterline::webhooks
