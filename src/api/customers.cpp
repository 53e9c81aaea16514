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
  return o;
}

}  // namespace

http::Handler ListCustomers(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    auto limit = IntQuery(request, "limit", 20, 1, 100);
    if (!limit.ok()) return std::move(limit).error();
    auto offset = IntQuery(request, "offset", 0, 0, 1'000'000);
    if (!offset.ok()) return std::move(offset).error();
    MTL_ASSIGN_OR_RETURN(auto customers, context.customers.List(static_cast<int>(*limit), static_cast<int>(*offset)));
    boost::json::array data;
    for (const auto& c : customers) data.push_back(CustomerJson(c));
    boost::json::object out;
    out["data"] = std::move(data);
    out["limit"] = *limit;
    out["offset"] = *offset;
    return JsonResponse(200, out);
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
    customers::NewCustomer input;
    MTL_ASSIGN_OR_RETURN(auto name, RequiredString(body, "name", 200));
    input.name = name;
    MTL_ASSIGN_OR_RETURN(auto email, OptionalString(body, "email", 254));
    input.email = email;
    MTL_ASSIGN_OR_RETURN(auto country, OptionalString(body, "country", 2));
    input.country = country;
    MTL_ASSIGN_OR_RETURN(auto currency, OptionalString(body, "currency", 3));
    if (!currency.empty()) input.currency = currency;
    MTL_ASSIGN_OR_RETURN(auto customer, context.customers.Create(input, request.principal->id, OriginOf(request)));
    return JsonResponse(201, CustomerJson(customer));
  };
}

}  // namespace meterline::api
