#include "api/routes.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/handlers.hpp"
#include "api/idempotent.hpp"

namespace meterline::api {

using http::Method;

namespace {

// A replayed key creation answers without the secret: it is shown once, and
// the stored reply must not keep it.
std::string WithoutSecret(const std::string& body) {
  boost::json::value v = boost::json::parse(body);
  if (v.is_object()) v.as_object()["secret"] = nullptr;
  return boost::json::serialize(v);
}

}  // namespace

void RegisterRoutes(http::Router& router, ApiContext& context) {
  const std::vector<Role> kAdmin = {Role::kAdmin};
  const std::vector<Role> kUsers = {Role::kAdmin, Role::kMember};
  // Usage may also be read by the platform's own servers (service keys), within their scope.
  const std::vector<Role> kUsageReaders = {Role::kAdmin, Role::kMember, Role::kService};

  // Each route: method, pattern, handler; the feature flag that must be on;
  // `cheap` = never blocks (runs on the I/O thread); `json_body` = the pipeline
  // checks the JSON body; the roles allowed (none = public); the rate-limit group.
  // Kept as written (one route per entry, not one field per line):
  // clang-format off
  const http::Route table[] = {
      // Operations: probes and metrics, public.
      {.method = Method::kGet, .pattern = "/health", .handler = Health(), .cheap = true},
      {.method = Method::kGet, .pattern = "/ready", .handler = Ready(context)},
      {.method = Method::kGet, .pattern = "/metrics", .handler = Metrics(context), .cheap = true},

      // Meta API: public, read by the console before login.
      {.method = Method::kGet, .pattern = "/api/v1/meta/features", .handler = MetaFeatures(context), .cheap = true},
      {.method = Method::kGet, .pattern = "/api/v1/meta/info", .handler = MetaInfo(context), .cheap = true},
      {.method = Method::kGet, .pattern = "/api/v1/openapi.yaml", .handler = OpenApiDocument(), .cheap = true},

      // Sessions.
      {.method = Method::kPost, .pattern = "/api/v1/auth/login", .handler = Login(context), .json_body = true,
       .rate_group = "auth"},
      {.method = Method::kPost, .pattern = "/api/v1/auth/logout", .handler = Logout(context), .rate_group = "auth"},
      {.method = Method::kGet, .pattern = "/api/v1/auth/me", .handler = Me(context), .roles = kUsers,
       .rate_group = "auth"},

      // Customers.
      {.method = Method::kGet, .pattern = "/api/v1/billing/customers", .handler = ListCustomers(context),
       .feature = "billing", .roles = kAdmin, .rate_group = "billing"},
      {.method = Method::kPost, .pattern = "/api/v1/billing/customers",
       .handler = Idempotent(context, "customer.create", CreateCustomer(context)),
       .feature = "billing", .json_body = true, .roles = kAdmin, .rate_group = "billing"},
      {.method = Method::kGet, .pattern = "/api/v1/billing/customers/:id", .handler = GetCustomer(context),
       .feature = "billing", .roles = kUsers, .rate_group = "billing"},
      {.method = Method::kPatch, .pattern = "/api/v1/billing/customers/:id", .handler = UpdateCustomer(context),
       .feature = "billing", .json_body = true, .roles = kAdmin, .rate_group = "billing"},

      // Usage: machines send events; people read the current period.
      {.method = Method::kPost, .pattern = "/api/v1/usage/events", .handler = IngestUsage(context),
       .json_body = true, .streamed_json_body = true, .roles = {Role::kService, Role::kAdmin},
       .rate_group = "ingest", .max_body_bytes = context.ingest_max_body_bytes, .encoded_body = true,
       .ndjson_body = true},
      {.method = Method::kGet, .pattern = "/api/v1/billing/usage/current", .handler = CurrentUsage(context),
       .feature = "billing", .roles = kUsageReaders, .rate_group = "billing"},
      {.method = Method::kGet, .pattern = "/api/v1/billing/usage/history", .handler = UsageHistory(context),
       .feature = "billing", .roles = kUsageReaders, .rate_group = "billing"},
      {.method = Method::kGet, .pattern = "/api/v1/billing/usage/forecast", .handler = UsageForecast(context),
       .feature = "billing", .roles = kUsageReaders, .rate_group = "billing"},
      {.method = Method::kGet, .pattern = "/api/v1/billing/budget", .handler = GetBudget(context),
       .feature = "billing", .roles = kUsers, .rate_group = "billing"},
      {.method = Method::kPut, .pattern = "/api/v1/billing/budget", .handler = SetBudget(context),
       .feature = "billing", .json_body = true, .roles = kUsers, .rate_group = "billing"},
      {.method = Method::kDelete, .pattern = "/api/v1/billing/budget", .handler = DeleteBudget(context),
       .feature = "billing", .roles = kUsers, .rate_group = "billing"},
      {.method = Method::kGet, .pattern = "/api/v1/billing/usage/events", .handler = ListUsageEvents(context),
       .feature = "billing", .roles = kUsageReaders, .rate_group = "billing"},
      // Plans and prices: admins manage the plans; anyone signed in may preview a price.
      {.method = Method::kGet, .pattern = "/api/v1/admin/plans", .handler = ListPlans(context),
       .feature = "billing", .roles = kAdmin, .rate_group = "admin"},
      {.method = Method::kGet, .pattern = "/api/v1/admin/plans/:id", .handler = GetPlan(context),
       .feature = "billing", .roles = kAdmin, .rate_group = "admin"},
      {.method = Method::kPost, .pattern = "/api/v1/admin/plans",
       .handler = Idempotent(context, "plan.create", CreatePlan(context)),
       .feature = "billing", .json_body = true, .roles = kAdmin, .rate_group = "admin"},
      {.method = Method::kPost, .pattern = "/api/v1/admin/plans/:id/versions",
       .handler = Idempotent(context, "plan.version.create", AddPlanVersion(context)),
       .feature = "billing", .json_body = true, .roles = kAdmin, .rate_group = "admin"},
      {.method = Method::kPost, .pattern = "/api/v1/admin/plans/:id/archive", .handler = ArchivePlan(context),
       .feature = "billing", .roles = kAdmin, .rate_group = "admin"},
      {.method = Method::kPost, .pattern = "/api/v1/admin/plans/:id/migrate", .handler = MigratePlan(context),
       .feature = "billing", .json_body = true, .roles = kAdmin, .rate_group = "admin"},
      {.method = Method::kGet, .pattern = "/api/v1/billing/plans", .handler = ListAvailablePlans(context),
       .feature = "billing", .roles = kUsers, .rate_group = "billing"},
      {.method = Method::kPost, .pattern = "/api/v1/billing/price-preview", .handler = PricePreview(context),
       .feature = "billing", .json_body = true, .roles = kUsers, .rate_group = "billing"},
      {.method = Method::kPost, .pattern = "/api/v1/billing/subscriptions",
       .handler = Idempotent(context, "subscription.create", CreateSubscription(context)),
       .feature = "billing", .json_body = true, .roles = kAdmin, .rate_group = "billing"},
      {.method = Method::kGet, .pattern = "/api/v1/billing/subscriptions/:id", .handler = GetSubscription(context),
       .feature = "billing", .roles = kUsers, .rate_group = "billing"},
      {.method = Method::kPost, .pattern = "/api/v1/billing/subscriptions/:id/change",
       .handler = Idempotent(context, "subscription.change", ChangeSubscriptionPlan(context)),
       .feature = "billing", .json_body = true, .roles = kUsers, .rate_group = "billing"},
      {.method = Method::kPost, .pattern = "/api/v1/billing/subscriptions/:id/change/preview",
       .handler = PreviewSubscriptionPlanChange(context), .feature = "billing", .json_body = true, .roles = kUsers,
       .rate_group = "billing"},
      {.method = Method::kDelete, .pattern = "/api/v1/billing/subscriptions/:id/scheduled-change",
       .handler = WithdrawScheduledChange(context), .feature = "billing", .roles = kUsers, .rate_group = "billing"},
      {.method = Method::kPost, .pattern = "/api/v1/billing/subscriptions/:id/cancel",
       .handler = Idempotent(context, "subscription.cancel", CancelSubscription(context)),
       .feature = "billing", .json_body = true, .roles = kUsers, .rate_group = "billing"},
      {.method = Method::kPost, .pattern = "/api/v1/billing/subscriptions/:id/reactivate",
       .handler = ReactivateSubscription(context), .feature = "billing", .json_body = true, .roles = kUsers,
       .rate_group = "billing"},

      // Invoices: members see their own customer's, admins everyone's.
      {.method = Method::kGet, .pattern = "/api/v1/billing/invoices", .handler = ListInvoices(context),
       .feature = "billing", .roles = kUsers, .rate_group = "billing"},
      {.method = Method::kGet, .pattern = "/api/v1/billing/invoices/:id", .handler = GetInvoice(context),
       .feature = "billing", .roles = kUsers, .rate_group = "billing"},
      {.method = Method::kPost, .pattern = "/api/v1/billing/invoices/:id/void",
       .handler = Idempotent(context, "invoice.void", VoidInvoice(context)), .feature = "billing", .json_body = true,
       .roles = kAdmin, .rate_group = "billing"},
      {.method = Method::kGet, .pattern = "/api/v1/billing/invoices/:id/pdf", .handler = InvoicePdf(context),
       .feature = "billing", .roles = kUsers, .rate_group = "billing"},
      {.method = Method::kPost, .pattern = "/api/v1/billing/invoices/:id/credit-notes",
       .handler = Idempotent(context, "credit_note.create", IssueCreditNote(context)), .feature = "billing",
       .json_body = true, .roles = kAdmin, .rate_group = "billing"},
      {.method = Method::kGet, .pattern = "/api/v1/billing/invoices/:id/credit-notes",
       .handler = ListInvoiceCreditNotes(context), .feature = "billing", .roles = kUsers, .rate_group = "billing"},
      {.method = Method::kGet, .pattern = "/api/v1/billing/credit-notes/:id", .handler = GetCreditNote(context),
       .feature = "billing", .roles = kUsers, .rate_group = "billing"},
      {.method = Method::kGet, .pattern = "/api/v1/billing/credit-notes/:id/pdf", .handler = CreditNotePdf(context),
       .feature = "billing", .roles = kUsers, .rate_group = "billing"},

      // Dunning: the retries of failed payments, members their own customer's.
      {.method = Method::kGet, .pattern = "/api/v1/billing/dunning-campaigns", .handler = ListDunningCampaigns(context),
       .feature = "billing", .roles = kUsers, .rate_group = "billing"},
      {.method = Method::kGet, .pattern = "/api/v1/billing/dunning-campaigns/:id",
       .handler = GetDunningCampaign(context), .feature = "billing", .roles = kUsers, .rate_group = "billing"},

      // Payment methods: a Stripe Customer Portal session for the caller's customer.
      {.method = Method::kPost, .pattern = "/api/v1/billing/portal-session", .handler = CreatePortalSession(context),
       .feature = "billing", .json_body = true, .roles = kUsers, .rate_group = "billing"},

      // Outgoing webhooks: admins' endpoints are platform-wide, members' their customer's.
      {.method = Method::kGet, .pattern = "/api/v1/webhook-endpoints", .handler = ListWebhookEndpoints(context),
       .roles = kUsers, .rate_group = "billing"},
      {.method = Method::kPost, .pattern = "/api/v1/webhook-endpoints",
       .handler = Idempotent(context, "webhook_endpoint.create", CreateWebhookEndpoint(context), WithoutSecret),
       .json_body = true, .roles = kUsers, .rate_group = "billing"},
      {.method = Method::kGet, .pattern = "/api/v1/webhook-endpoints/:id", .handler = GetWebhookEndpoint(context),
       .roles = kUsers, .rate_group = "billing"},
      {.method = Method::kDelete, .pattern = "/api/v1/webhook-endpoints/:id", .handler = DeleteWebhookEndpoint(context),
       .roles = kUsers, .rate_group = "billing"},
      {.method = Method::kPost, .pattern = "/api/v1/webhook-endpoints/:id/rotate-secret",
       .handler = RotateWebhookSecret(context), .json_body_optional = true, .roles = kUsers, .rate_group = "billing"},
      {.method = Method::kPost, .pattern = "/api/v1/webhook-endpoints/:id/enable",
       .handler = EnableWebhookEndpoint(context), .roles = kUsers, .rate_group = "billing"},
      {.method = Method::kGet, .pattern = "/api/v1/webhook-endpoints/:id/deliveries",
       .handler = ListWebhookDeliveries(context), .roles = kUsers, .rate_group = "billing"},
      {.method = Method::kGet, .pattern = "/api/v1/webhook-endpoints/:id/deliveries/:delivery_id",
       .handler = GetWebhookDelivery(context), .roles = kUsers, .rate_group = "billing"},
      {.method = Method::kPost, .pattern = "/api/v1/webhook-endpoints/:id/deliveries/:delivery_id/redeliver",
       .handler = RedeliverWebhookDelivery(context), .roles = kUsers, .rate_group = "billing"},

      // Prepaid credits: members read their own; admins read anyone's and grant.
      {.method = Method::kGet, .pattern = "/api/v1/billing/credits", .handler = GetCredits(context),
       .feature = "billing", .roles = kUsers, .rate_group = "billing"},
      {.method = Method::kPost, .pattern = "/api/v1/billing/credits",
       .handler = Idempotent(context, "credits.grant", GrantCredits(context)), .feature = "billing",
       .json_body = true, .roles = kAdmin, .rate_group = "billing"},

      // Reconciliation: admins only.
      {.method = Method::kPost, .pattern = "/api/v1/billing/reconcile", .handler = Reconcile(context),
       .feature = "billing", .json_body_optional = true, .roles = kAdmin, .rate_group = "billing"},
      {.method = Method::kGet, .pattern = "/api/v1/billing/reconciliations", .handler = ListReconciliations(context),
       .feature = "billing", .roles = kAdmin, .rate_group = "billing"},
      {.method = Method::kGet, .pattern = "/api/v1/billing/reconciliations/:id", .handler = GetReconciliation(context),
       .feature = "billing", .roles = kAdmin, .rate_group = "billing"},

      // Analytics: admins only.
      {.method = Method::kGet, .pattern = "/api/v1/admin/analytics/mrr", .handler = AnalyticsMrr(context),
       .feature = "billing", .roles = kAdmin, .rate_group = "admin"},
      {.method = Method::kGet, .pattern = "/api/v1/admin/analytics/revenue", .handler = AnalyticsRevenue(context),
       .feature = "billing", .roles = kAdmin, .rate_group = "admin"},
      {.method = Method::kGet, .pattern = "/api/v1/admin/analytics/top-customers",
       .handler = AnalyticsTopCustomers(context), .feature = "billing", .roles = kAdmin, .rate_group = "admin"},
      {.method = Method::kGet, .pattern = "/api/v1/admin/analytics/ar-aging",
       .handler = AnalyticsReceivablesAging(context), .feature = "billing", .roles = kAdmin, .rate_group = "admin"},
      {.method = Method::kPost, .pattern = "/api/v1/admin/analytics/refresh", .handler = RefreshAnalytics(context),
       .feature = "billing", .roles = kAdmin, .rate_group = "admin"},
      {.method = Method::kGet, .pattern = "/api/v1/admin/exports/:kind", .handler = ExportRows(context),
       .feature = "billing", .roles = kAdmin, .rate_group = "admin"},

      // Stripe: the signature on the raw body is the authentication.
      {.method = Method::kPost, .pattern = "/api/v1/webhooks/stripe", .handler = StripeWebhook(context),
       .rate_group = "webhook"},

      // Administration.
      {.method = Method::kGet, .pattern = "/api/v1/admin/api-keys", .handler = ListApiKeys(context),
       .roles = kAdmin, .rate_group = "admin"},
      {.method = Method::kPost, .pattern = "/api/v1/admin/api-keys",
       .handler = Idempotent(context, "api_key.create", CreateApiKey(context), WithoutSecret),
       .json_body = true, .roles = kAdmin, .rate_group = "admin"},
      {.method = Method::kDelete, .pattern = "/api/v1/admin/api-keys/:id", .handler = RevokeApiKey(context),
       .roles = kAdmin, .rate_group = "admin"},
      {.method = Method::kGet, .pattern = "/api/v1/admin/users", .handler = ListUsers(context), .roles = kAdmin,
       .rate_group = "admin"},
      {.method = Method::kPatch, .pattern = "/api/v1/admin/users/:id", .handler = UpdateUser(context),
       .json_body = true, .roles = kAdmin, .rate_group = "admin"},
      {.method = Method::kPost, .pattern = "/api/v1/admin/users/:id/revoke-sessions",
       .handler = RevokeUserSessions(context), .roles = kAdmin, .rate_group = "admin"},
      {.method = Method::kGet, .pattern = "/api/v1/admin/audit", .handler = ListAuditEntries(context),
       .roles = kAdmin, .rate_group = "admin"},
      {.method = Method::kGet, .pattern = "/api/v1/admin/webhooks/stripe", .handler = ListStripeWebhookEvents(context),
       .roles = kAdmin, .rate_group = "admin"},
      {.method = Method::kPost, .pattern = "/api/v1/admin/webhooks/stripe/:id/retry",
       .handler = RetryStripeWebhookEvent(context), .roles = kAdmin, .rate_group = "admin"},
  };
  // clang-format on
  for (const http::Route& route : table) router.Add(route);
}

}  // namespace meterline::api
