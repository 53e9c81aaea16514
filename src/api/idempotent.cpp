#include "api/idempotent.hpp"

#include "core/digest.hpp"
#include "idempotency/idempotency_store.hpp"

namespace meterline::api {

http::Handler Idempotent(ApiContext& context, std::string scope, http::Handler handler,
                         std::function<std::string(const std::string&)> replay_body) {
  return [&context, scope = std::move(scope), handler = std::move(handler),
          replay_body = std::move(replay_body)](http::Request& request) -> Result<http::Response> {
    std::string key(request.headers.Get("Idempotency-Key"));
    if (key.empty()) return handler(request);
    if (key.size() < idempotency::kMinKeyLength || key.size() > idempotency::kMaxKeyLength) {
      Error e(ErrorCode::kInvalidArgument, "invalid_idempotency_key", "Idempotency-Key must be 16 to 255 characters");
      e.param = "Idempotency-Key";
      return e;
    }
    std::string fingerprint =
        Sha256Hex(std::string(http::MethodName(request.method)) + " " + request.path + "\n" + request.body);
    auto reply = context.idempotency.Once(scope + ":" + request.principal->id, key, fingerprint,
                                          [&]() -> Result<idempotency::Reply> {
                                            MTL_ASSIGN_OR_RETURN(auto response, handler(request));
                                            idempotency::Reply r{response.status, response.body, false, ""};
                                            if (replay_body && response.status < 300)
                                              r.replay_body = replay_body(response.body);
                                            return r;
                                          });
    if (!reply.ok()) return std::move(reply).error();
    http::Response response = http::Response::Json(reply->status, reply->body);
    if (reply->replayed) response.headers.Set("Idempotent-Replayed", "true");
    return response;
  };
}

}  // namespace meterline::api
