// Customers (admin) and a member's own customer.
#include <boost/json/value.hpp>

#include "api/handlers.hpp"
#include "api/input.hpp"
#include "api/scope.hpp"
#include "customers/customer_store.hpp"

namespace meterline::api {

namespace {

boost::json::object CustomerJson(const customers::Customer& c) {
  boost::json::object o;
  o["id"] = c.id;
  o["name"] = c.name;
  o["email"] = c.email.empty() ? boost::json::value(nullptr) : boost::json::value(c.email);
  o["country"] = c.country.empty() ? boost::json::value(nullptr) : boost::json::value(c.country);
  o["currency"] = c.currency;
  o["created_at"] = FormatIso8601(c.created_at);
  o["external_id"] = c.external_id.empty() ? boost::json::value(nullptr) : boost::json::value(c.external_id);
  boost::json::object metadata;
  for (const auto& [key, value] : c.metadata) metadata[key] = value;
  o["metadata"] = std::move(metadata);
  return o;
}

// "metadata": {"key": "value", …}; in a change a null or "" value removes the key.
Result<std::optional<customers::Metadata>> MetadataField(const boost::json::object& body, bool change) {
  auto it = body.find("metadata");
  if (it == body.end()) return std::optional<customers::Metadata>();
  if (it->value().is_null() && change) return std::optional<customers::Metadata>();
  if (!it->value().is_object()) return InvalidParam("metadata", "metadata must be an object of string values");
  customers::Metadata out;
  for (const auto& [key, value] : it->value().as_object()) {
    if (value.is_string()) {
      out[std::string(key)] = std::string(value.as_string());
    } else if (value.is_null() && change) {
      out[std::string(key)] = "";
    } else {
      return InvalidParam("metadata[" + std::string(key) + "]", "metadata values must be strings");
    }
  }
  return std::optional<customers::Metadata>(std::move(out));
}

}  // namespace

http::Handler ListCustomers(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto page, PageOf(request));
    customers::CustomerQuery query;
    query.search = request.QueryParam("q").value_or("");
    if (query.search.size() > 200) return InvalidParam("q", "q must be at most 200 characters");
    query.limit = page.limit;
    query.offset = page.offset;
    MTL_ASSIGN_OR_RETURN(auto customers, context.customers.List(query));
    return JsonResponse(200, ListJson(TrimPage(std::move(customers), page), page, CustomerJson));
  };
}

http::Handler GetCustomer(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    std::string id(request.PathParam("id"));
    if (!CanSeeCustomer(*request.principal, id)) return NotVisible("customer", id);
    MTL_ASSIGN_OR_RETURN(auto customer, context.customers.Get(id));
    return JsonResponse(200, CustomerJson(customer));
  };
}

http::Handler CreateCustomer(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto body, BodyObject(request));
    MTL_RETURN_IF_ERROR(RejectUnknownFields(body, {"name", "email", "country", "currency", "external_id", "metadata"}));
    customers::NewCustomer input;
    MTL_ASSIGN_OR_RETURN(input.name, RequiredString(body, "name", 200));
    MTL_ASSIGN_OR_RETURN(input.email, OptionalString(body, "email", 254));
    MTL_ASSIGN_OR_RETURN(input.country, OptionalString(body, "country", 2));
    MTL_ASSIGN_OR_RETURN(auto currency, OptionalString(body, "currency", 3));
    if (!currency.empty()) input.currency = currency;
    MTL_ASSIGN_OR_RETURN(input.external_id, OptionalString(body, "external_id", customers::kMaxExternalIdLength));
    MTL_ASSIGN_OR_RETURN(auto metadata, MetadataField(body, false));
    if (metadata) input.metadata = std::move(*metadata);
    MTL_ASSIGN_OR_RETURN(auto customer, context.customers.Create(input, request.principal->id, OriginOf(request)));
    return JsonResponse(201, CustomerJson(customer));
  };
}

http::Handler UpdateCustomer(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    std::string id(request.PathParam("id"));
    MTL_ASSIGN_OR_RETURN(auto body, BodyObject(request));
    MTL_RETURN_IF_ERROR(RejectUnknownFields(body, {"name", "email", "country", "currency", "external_id", "metadata"}));
    if (body.contains("currency")) {
      return InvalidParam("currency", "currency cannot be changed: invoices and prices follow it");
    }
    customers::CustomerChange change;
    // A field present (even null, for the optional ones) is changed.
    auto optional = [&](const char* name, size_t max_len, std::optional<std::string>& out) -> Status {
      if (!body.contains(name)) return OkStatus();
      MTL_ASSIGN_OR_RETURN(out, OptionalString(body, name, max_len));
      return OkStatus();
    };
    if (body.contains("name")) {
      MTL_ASSIGN_OR_RETURN(change.name, RequiredString(body, "name", 200));
    }
    MTL_RETURN_IF_ERROR(optional("email", 254, change.email));
    MTL_RETURN_IF_ERROR(optional("country", 2, change.country));
    MTL_RETURN_IF_ERROR(optional("external_id", customers::kMaxExternalIdLength, change.external_id));
    MTL_ASSIGN_OR_RETURN(change.metadata, MetadataField(body, true));
    MTL_ASSIGN_OR_RETURN(auto customer, context.customers.Update(id, change, request.principal->id, OriginOf(request)));
    return JsonResponse(200, CustomerJson(customer));
  };
}

}  // namespace meterline::api
