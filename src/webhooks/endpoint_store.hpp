// EndpointStore: the webhook endpoints customers and the platform register
// (docs/webhooks.md). An admin's endpoint is platform-wide: it gets every
// customer's events and the platform's own; a member's gets their customer's.
// Each has a signing secret ("whsec_…") shown only when it is made or
// rotated; a rotated-out secret keeps signing beside the new one for an
// overlap, so receivers can switch without missing a delivery. Thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/paging.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"

namespace meterline::webhooks {

// The event types an endpoint may subscribe to (docs/webhooks.md); "*" is every one.
const std::vector<std::string>& EventTypes();

struct Endpoint {
  std::string id;           // "we_…"
  std::string customer_id;  // "" for a platform-wide endpoint
  std::string url;
  std::string description;
  std::vector<std::string> event_types;  // {"*"}: every type
  bool enabled = true;
  std::string disabled_reason;                          // why, when disabled
  std::optional<TimePoint> failing_since;               // first failure since its last success
  std::optional<TimePoint> previous_secret_expires_at;  // a rotation's overlap
  std::string created_by;
  TimePoint created_at;
  TimePoint updated_at;

  bool Wants(const std::string& type) const;
};

// Who asks: "" for admins (every endpoint), else a member's customer (only
// theirs; another customer's is a 404).
using Scope = std::string;

struct NewEndpoint {
  std::string customer_id;  // "" for a platform-wide endpoint (admins)
  std::string url;
  std::string description;
  std::vector<std::string> event_types;
  std::string actor;
};

class EndpointStore {
 public:
  // Most endpoints per customer, and platform-wide (as Stripe allows).
  static constexpr int64_t kMaxEndpoints = 16;

  // `allow_private`: WEBHOOK_ALLOW_PRIVATE_TARGETS (target_guard.hpp).
  EndpointStore(storage::Database& db, const Clock& clock, bool allow_private)
      : db_(db), clock_(clock), allow_private_(allow_private) {}

  // Registers an endpoint; returns it and its secret (shown only now).
  // kInvalidArgument for a bad url (target_guard.hpp), events or description;
  // kConflict "too_many_endpoints" past kMaxEndpoints. Audited.
  Result<std::pair<Endpoint, std::string>> Create(const NewEndpoint& request);
  Result<Page<Endpoint>> List(const Scope& scope, const PageRequest& page);
  // kNotFound when missing, deleted or outside `scope`.
  Result<Endpoint> Get(const std::string& id, const Scope& scope);
  // Deletes it: nothing more is sent to it; its delivery log stays. Audited.
  Status Delete(const std::string& id, const Scope& scope, const std::string& actor);
  // A new secret; the old one still signs for `overlap` (0: not at all).
  // Returns the new secret. Audited.
  Result<std::string> RotateSecret(const std::string& id, const Scope& scope, std::chrono::hours overlap,
                                   const std::string& actor);
  // Turns a disabled endpoint back on (its failures forgotten). Audited.
  Result<Endpoint> Enable(const std::string& id, const Scope& scope, const std::string& actor);

  // The secrets that sign a delivery to `id` now: the current one, and the
  // previous one while its overlap lasts.
  static Result<std::vector<std::string>> SigningSecrets(storage::Executor& ex, const std::string& id, TimePoint now);

  bool allow_private() const { return allow_private_; }

 private:
  storage::Database& db_;
  const Clock& clock_;
  bool allow_private_;
};

}  // namespace meterline::webhooks
