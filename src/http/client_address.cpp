#include "http/client_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <optional>

namespace meterline::http {

namespace {

using Bytes = std::array<uint8_t, 16>;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// An IPv4 or IPv6 address as 16 bytes (IPv4 mapped into ::ffff:0:0/96).
std::optional<Bytes> ParseIp(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  std::string z(text);
  Bytes out{};
  in_addr v4{};
  if (inet_pton(AF_INET, z.c_str(), &v4) == 1) {
    out[10] = out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, z.c_str(), &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

bool IsMappedV4(const Bytes& b) {
  for (int i = 0; i < 10; ++i) {
    if (b[i] != 0) return false;
  }
  return b[10] == 0xff && b[11] == 0xff;
}

// One spelling per address, so that rate limits and lockouts count each once:
// dotted IPv4 (also for ::ffff:a.b.c.d) and compressed lower-case IPv6.
std::string Canonical(const Bytes& b) {
  char text[INET6_ADDRSTRLEN] = {};
  if (IsMappedV4(b)) {
    inet_ntop(AF_INET, b.data() + 12, text, sizeof text);
  } else {
    inet_ntop(AF_INET6, b.data(), text, sizeof text);
  }
  return text;
}

// The address in a hop: "[2001:db8::1]:4711" and "192.0.2.1:80" lose the
// brackets and port; quotes (Forwarded) are removed.
std::string_view HopHost(std::string_view hop) {
  hop = Trim(hop);
  if (hop.size() >= 2 && hop.front() == '"' && hop.back() == '"') hop = hop.substr(1, hop.size() - 2);
  if (!hop.empty() && hop.front() == '[') {
    size_t close = hop.find(']');
    return close == std::string_view::npos ? std::string_view() : hop.substr(1, close - 1);
  }
  size_t colon = hop.find(':');
  if (colon != std::string_view::npos && hop.find(':', colon + 1) == std::string_view::npos) {
    return hop.substr(0, colon);  // IPv4 with a port
  }
  return hop;
}

// The hops the proxies recorded, nearest the client first: every Forwarded
// field's for= values, else every X-Forwarded-For field's entries.
std::vector<std::string_view> Hops(const Headers& headers) {
  std::vector<std::string_view> forwarded, x_forwarded_for;
  for (const auto& [name, value] : headers.fields()) {
    bool is_forwarded = EqualsIgnoreCase(name, "Forwarded");
    if (!is_forwarded && !EqualsIgnoreCase(name, "X-Forwarded-For")) continue;
    std::string_view rest = value;
    while (true) {
      size_t comma = rest.find(',');
      std::string_view element = rest.substr(0, comma);
      if (is_forwarded) {
        // for=…;proto=…;by=…: keep the for= value; an element without one is an unknown hop.
        std::string_view host;
        std::string_view pairs = element;
        while (true) {
          size_t semi = pairs.find(';');
          std::string_view pair = Trim(pairs.substr(0, semi));
          if (pair.size() > 4 && EqualsIgnoreCase(pair.substr(0, 4), "for=")) host = pair.substr(4);
          if (semi == std::string_view::npos) break;
          pairs.remove_prefix(semi + 1);
        }
        forwarded.push_back(host);
      } else {
        x_forwarded_for.push_back(element);
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return forwarded.empty() ? x_forwarded_for : forwarded;
}

}  // namespace

Result<TrustedProxies> TrustedProxies::Parse(std::string_view list) {
  TrustedProxies out;
  while (!Trim(list).empty()) {
    size_t comma = list.find(',');
    std::string_view entry = Trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    size_t slash = entry.find('/');
    auto address = ParseIp(entry.substr(0, slash));
    if (!address) return InvalidArgument("'" + std::string(entry) + "' is not an IP address or CIDR block");
    bool v4 = IsMappedV4(*address) && entry.substr(0, slash).find(':') == std::string_view::npos;
    int bits = v4 ? 32 : 128;
    if (slash != std::string_view::npos) {
      std::string_view length = entry.substr(slash + 1);
      int parsed = -1;
      if (!length.empty() && length.size() <= 3 && length.find_first_not_of("0123456789") == std::string_view::npos) {
        parsed = std::stoi(std::string(length));
      }
      if (parsed < 0 || parsed > bits) {
        return InvalidArgument("'" + std::string(entry) + "' has a prefix length outside 0-" + std::to_string(bits));
      }
      bits = parsed;
    }
    Block block;
    block.bits = v4 ? 96 + bits : bits;
    block.prefix = *address;
    out.blocks_.push_back(block);
  }
  return out;
}

bool TrustedProxies::Contains(std::string_view address) const {
  auto ip = ParseIp(address);
  if (!ip) return false;
  for (const Block& block : blocks_) {
    int full = block.bits / 8, rest = block.bits % 8;
    bool match = std::equal(block.prefix.begin(), block.prefix.begin() + full, ip->begin());
    if (match && rest > 0) {
      uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
      match = (block.prefix[full] & mask) == ((*ip)[full] & mask);
    }
    if (match) return true;
  }
  return false;
}

std::string ResolveClientAddress(std::string_view peer, const Headers& headers, const TrustedProxies& trusted) {
  auto peer_ip = ParseIp(peer);
  std::string client = peer_ip ? Canonical(*peer_ip) : std::string(peer);
  if (trusted.empty() || !trusted.Contains(peer)) return client;
  std::vector<std::string_view> hops = Hops(headers);
  // Right to left: each trusted proxy vouches for the hop before it.
  for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
    auto ip = ParseIp(HopHost(*hop));
    if (!ip) return client;  // "unknown", obfuscated or garbage: the last proxy is all we know
    client = Canonical(*ip);
    if (!trusted.Contains(client)) return client;
  }
  return client;
}

}  // namespace meterline::http
