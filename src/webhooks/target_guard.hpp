// TargetGuard: which URLs and addresses outgoing webhooks may reach. A
// webhook URL is chosen by whoever registers the endpoint, so without a guard
// Meterline would send requests into its own network for them (server-side
// request forgery): loopback, private, link-local and cloud metadata
// addresses are refused unless the operator allows private targets
// (WEBHOOK_ALLOW_PRIVATE_TARGETS=true, which the tests set). The check runs
// when an endpoint is registered and again on every connection (the address
// the name resolves to then), so a name that later resolves elsewhere is
// caught too.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

struct sockaddr;

namespace meterline::webhooks {

// Why `address` is not a public unicast address ("loopback", "private",
// "link-local", "unspecified", "multicast", "reserved", "shared", …), or ""
// when it is public. IPv4-mapped and NAT64 IPv6 addresses are judged by the
// IPv4 address they carry.
std::string NonPublicReason(const sockaddr* address);

// Checks an endpoint URL before it is stored: http or https (https only when
// private targets are not allowed), a host, no user info, no fragment, at
// most 2,048 characters; unless private targets are allowed, every address
// the host resolves to must be public. kInvalidArgument (param "url") saying
// what is wrong. Returns the URL as given.
Result<std::string> CheckEndpointUrl(std::string_view url, bool allow_private);

}  // namespace meterline::webhooks
