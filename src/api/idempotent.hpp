// Idempotent: the Idempotency-Key rule for POSTs that create something
// (customers, subscriptions, API keys), as Stripe has it. Without the header
// the handler just runs. With it (16-255 characters), the first request runs
// and its reply is kept 24 hours; a repeat with the same key and the same
// method, path and body gets that reply again (header Idempotent-Replayed:
// true) and creates nothing; the same key with another request is 422
// idempotency_key_reused; a repeat while the first still runs waits, then 409.
// Keys are per caller: two callers' keys never collide. A handler's error
// releases the key, so the client may retry. See idempotency/.
#pragma once

#include <functional>
#include <string>

#include "api/context.hpp"
#include "http/router.hpp"

namespace meterline::api {

// `scope` names the operation ("customer.create"). `replay_body`, when set,
// turns the first reply's body into what a replay answers (to leave out a
// secret that is shown only once).
http::Handler Idempotent(ApiContext& context, std::string scope, http::Handler handler,
                         std::function<std::string(const std::string&)> replay_body = nullptr);

}  // namespace meterline::api
