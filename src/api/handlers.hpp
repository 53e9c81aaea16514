// Handler factories, one group per file (meta.cpp, health.cpp, openapi.cpp).
#pragma once

#include "api/context.hpp"
#include "http/router.hpp"

namespace meterline::api {

// meta.cpp
http::Handler MetaFeatures(const ApiContext& context);
http::Handler MetaInfo(const ApiContext& context);

// health.cpp
http::Handler Health();
http::Handler Ready(ApiContext& context);
http::Handler Metrics(ApiContext& context);

// auth.cpp
http::Handler Login(ApiContext& context);
http::Handler Logout(ApiContext& context);
http::Handler Me(ApiContext& context);

// customers.cpp
http::Handler ListCustomers(ApiContext& context);
http::Handler GetCustomer(ApiContext& context);
http::Handler CreateCustomer(ApiContext& context);
http::Handler UpdateCustomer(ApiContext& context);
http::Handler ListAuditEntries(ApiContext& context);

// api_keys.cpp
http::Handler ListApiKeys(ApiContext& context);
http::Handler CreateApiKey(ApiContext& context);
http::Handler RevokeApiKey(ApiContext& context);

// users.cpp
http::Handler ListUsers(ApiContext& context);
http::Handler UpdateUser(ApiContext& context);
http::Handler RevokeUserSessions(ApiContext& context);

// subscriptions.cpp
http::Handler CreateSubscription(ApiContext& context);
http::Handler GetSubscription(ApiContext& context);
http::Handler ChangeSubscriptionPlan(ApiContext& context);
http::Handler PreviewSubscriptionPlanChange(ApiContext& context);
http::Handler WithdrawScheduledChange(ApiContext& context);
http::Handler CancelSubscription(ApiContext& context);
http::Handler ReactivateSubscription(ApiContext& context);

// usage.cpp
http::Handler IngestUsage(ApiContext& context);
http::Handler CurrentUsage(ApiContext& context);
http::Handler UsageHistory(ApiContext& context);
http::Handler UsageForecast(ApiContext& context);  // forecast.cpp
http::Handler GetBudget(ApiContext& context);      // budget.cpp
http::Handler SetBudget(ApiContext& context);
http::Handler DeleteBudget(ApiContext& context);
http::Handler AnalyticsMrr(ApiContext& context);  // analytics.cpp
http::Handler AnalyticsRevenue(ApiContext& context);
http::Handler AnalyticsTopCustomers(ApiContext& context);
http::Handler AnalyticsReceivablesAging(ApiContext& context);
http::Handler RefreshAnalytics(ApiContext& context);
http::Handler ExportRows(ApiContext& context);  // exports.cpp
http::Handler ListUsageEvents(ApiContext& context);

// plans.cpp
http::Handler ListPlans(ApiContext& context);
http::Handler GetPlan(ApiContext& context);
http::Handler ListAvailablePlans(ApiContext& context);
http::Handler CreatePlan(ApiContext& context);
http::Handler AddPlanVersion(ApiContext& context);
http::Handler ArchivePlan(ApiContext& context);
http::Handler MigratePlan(ApiContext& context);
http::Handler PricePreview(ApiContext& context);

// webhooks.cpp
http::Handler StripeWebhook(ApiContext& context);
http::Handler ListStripeWebhookEvents(ApiContext& context);
http::Handler RetryStripeWebhookEvent(ApiContext& context);

// reconciliation.cpp
http::Handler Reconcile(ApiContext& context);
http::Handler ListReconciliations(ApiContext& context);
http::Handler GetReconciliation(ApiContext& context);

// invoices.cpp
http::Handler ListInvoices(ApiContext& context);
http::Handler GetInvoice(ApiContext& context);
http::Handler InvoicePdf(ApiContext& context);
http::Handler VoidInvoice(ApiContext& context);
// Credit notes (credit_notes.cpp) and prepaid credits (credits.cpp).
http::Handler IssueCreditNote(ApiContext& context);
http::Handler ListInvoiceCreditNotes(ApiContext& context);
http::Handler GetCreditNote(ApiContext& context);
http::Handler CreditNotePdf(ApiContext& context);
http::Handler GetCredits(ApiContext& context);
http::Handler GrantCredits(ApiContext& context);

// Dunning campaigns of failed payments (dunning.cpp).
http::Handler ListDunningCampaigns(ApiContext& context);
http::Handler GetDunningCampaign(ApiContext& context);

// A Stripe Customer Portal session for payment methods (portal.cpp).
http::Handler CreatePortalSession(ApiContext& context);

// Outgoing webhook endpoints and their deliveries (webhook_endpoints.cpp).
http::Handler CreateWebhookEndpoint(ApiContext& context);
http::Handler ListWebhookEndpoints(ApiContext& context);
http::Handler GetWebhookEndpoint(ApiContext& context);
http::Handler DeleteWebhookEndpoint(ApiContext& context);
http::Handler RotateWebhookSecret(ApiContext& context);
http::Handler EnableWebhookEndpoint(ApiContext& context);
http::Handler ListWebhookDeliveries(ApiContext& context);
http::Handler GetWebhookDelivery(ApiContext& context);
http::Handler RedeliverWebhookDelivery(ApiContext& context);

// openapi.cpp
http::Handler OpenApiDocument();

}  // namespace meterline::api
