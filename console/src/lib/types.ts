// The API's JSON shapes as the console uses them.
//
// Most are the types generated from docs/openapi.yaml (`npm run gen:api`, into
// the git-ignored generated/), named here: a response, a request body or a
// schema, exactly as the document has it.
//
// A few are written by hand because the console deliberately narrows the
// document: fields the document leaves optional but billingd always sends,
// and which the console relies on, are required here. contract.ts checks each
// of them against the document (the same fields at every level, each
// assignable to the documented type), so a change to the document that they
// do not follow fails `npm run typecheck`.
import type { components, paths } from './generated/openapi';

type Schemas = components['schemas'];

/** The JSON body of an operation's 200 answer, as docs/openapi.yaml has it. */
export type Answer<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: { 200: { content: { 'application/json': infer B } } };
}
  ? B
  : never;

/** The JSON body of an operation's answer with another status than 200 (201 Created, 202 Accepted). */
export type AnswerWith<P extends keyof paths, M extends keyof paths[P], S extends number> = paths[P][M] extends {
  responses: { [K in S]: { content: { 'application/json': infer B } } };
}
  ? B
  : never;

/** The JSON request body of an operation, as docs/openapi.yaml has it. */
export type RequestBody<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  requestBody: { content: { 'application/json': infer B } };
}
  ? B
  : never;

// Generated.

/** Money: exact integer minor units (cents for USD) with an ISO 4217 currency; `formatted` is not sent for every amount. */
export type Amount = Schemas['Amount'];

export type ApiErrorBody = Schemas['ErrorResponse'];

/**
 * What every list answers around its `data`: `has_more`, the `limit`, and by
 * offset the `offset` and `next_offset` (null on the last page); both are null
 * when the page was asked by cursor (starting_after / ending_before).
 */
export type ListEnvelope = Schemas['ListEnvelope'];

/** GET /meta/features */
export type FeatureFlags = Answer<'/api/v1/meta/features', 'get'>;

export type User = Schemas['User'];
export type Role = User['role'];

/** GET /admin/users: a page of console users, newest first (ListEnvelope). */
export type UserPage = Answer<'/api/v1/admin/users', 'get'>;

/** PATCH /admin/users/{id}: any of these (at least one). A member needs a customer. */
export type UserUpdate = RequestBody<'/api/v1/admin/users/{id}', 'patch'>;

/** POST /auth/login */
export type Session = Answer<'/api/v1/auth/login', 'post'>;

/** GET /auth/me */
export type Me = Answer<'/api/v1/auth/me', 'get'>;

export type Customer = Schemas['Customer'];

/** A customer's own key-value pairs (Stripe's limits: 50 keys of up to 40 characters, values up to 500). */
export type Metadata = Schemas['Metadata'];

/** GET /billing/customers: a page of customers, newest first (ListEnvelope), optionally searched with `q`. */
export type CustomerPage = Answer<'/api/v1/billing/customers', 'get'>;

/** POST /billing/customers: name is required; external_id is unique among customers. */
export type NewCustomer = RequestBody<'/api/v1/billing/customers', 'post'>;

/**
 * PATCH /billing/customers/{id}: the fields given change. email, country and
 * external_id are removed with null or ""; metadata is merged (a key with null
 * or "" is removed). The currency cannot change.
 */
export type CustomerUpdate = RequestBody<'/api/v1/billing/customers/{id}', 'patch'>;

export type ApiKey = Schemas['ApiKey'];

/** GET /admin/api-keys: a page of API keys, newest first (ListEnvelope); never their secrets. */
export type ApiKeyPage = Answer<'/api/v1/admin/api-keys', 'get'>;

/** POST /admin/api-keys */
export type NewApiKey = RequestBody<'/api/v1/admin/api-keys', 'post'>;

/** POST /admin/api-keys answers the key with its `secret`, shown this once (null on a replay of the Idempotency-Key). */
export type CreatedApiKey = AnswerWith<'/api/v1/admin/api-keys', 'post', 201>;

export type StripeWebhookEvent = Schemas['StripeWebhookEvent'];
export type StripeWebhookStatus = StripeWebhookEvent['status'];

/** GET /admin/webhooks/stripe: a page of received Stripe events, newest first (ListEnvelope; also by cursor). */
export type StripeWebhookEventPage = Answer<'/api/v1/admin/webhooks/stripe', 'get'>;

/** POST /admin/webhooks/stripe/{id}/retry (202): the event is queued again. */
export type StripeWebhookRetry = AnswerWith<'/api/v1/admin/webhooks/stripe/{id}/retry', 'post', 202>;

// Outgoing webhooks: endpoints that receive signed events, and their delivery log (docs/webhooks.md).

export type WebhookEndpoint = Schemas['WebhookEndpoint'];
export type WebhookEndpointStatus = WebhookEndpoint['status'];

/** An event type an endpoint subscribes to, or "*" for every one. */
export type WebhookEventType = Schemas['WebhookEventType'];

/** GET /webhook-endpoints: a page of endpoints, oldest first (ListEnvelope); never their secrets. */
export type WebhookEndpointPage = Answer<'/api/v1/webhook-endpoints', 'get'>;

/** POST /webhook-endpoints: url, events (or ["*"]) and an optional description. */
export type NewWebhookEndpoint = RequestBody<'/api/v1/webhook-endpoints', 'post'>;

/** POST /webhook-endpoints answers the endpoint with its `secret`, shown this once (null on a replay of the Idempotency-Key). */
export type CreatedWebhookEndpoint = AnswerWith<'/api/v1/webhook-endpoints', 'post', 201>;

/** POST /webhook-endpoints/{id}/rotate-secret: the endpoint and its new secret, shown this once. */
export type RotatedWebhookEndpoint = Answer<'/api/v1/webhook-endpoints/{id}/rotate-secret', 'post'>;

/** DELETE /webhook-endpoints/{id} */
export type DeletedWebhookEndpoint = Answer<'/api/v1/webhook-endpoints/{id}', 'delete'>;

/** One event sent (or to be sent) to one endpoint; `attempt_log` only when read on its own. */
export type WebhookDelivery = Schemas['WebhookDelivery'];
export type WebhookDeliveryStatus = WebhookDelivery['status'];
export type WebhookAttempt = NonNullable<WebhookDelivery['attempt_log']>[number];

/** GET /webhook-endpoints/{id}/deliveries: a page of an endpoint's deliveries, newest first (ListEnvelope). */
export type WebhookDeliveryPage = Answer<'/api/v1/webhook-endpoints/{id}/deliveries', 'get'>;

/** GET /billing/usage/current */
export type CurrentUsage = Answer<'/api/v1/billing/usage/current', 'get'>;

/** One metric of the current period: `percent` is for display only; the price as the catalog states it is `overage_price` (`amount` per `per` units). */
export type MetricUsage = CurrentUsage['metrics'][number];

export type Period = CurrentUsage['period'];

/**
 * GET /billing/usage/forecast: the current period projected to its end, per
 * metric (with an 80 % band and the day the limit is reached) and as the
 * invoice those usages make, before tax (docs/forecasting.md).
 */
export type UsageForecast = Answer<'/api/v1/billing/usage/forecast', 'get'>;

/** One metric's forecast: `days` are cumulative from the period start (empty for peak and latest-value metrics). */
export type MetricForecast = UsageForecast['metrics'][number];

/** One day of a metric's forecast: `actual` is that day's own usage (null for days to come). */
export type ForecastDay = MetricForecast['days'][number];

/**
 * GET /billing/budget: the customer's budget per billing period, the spend so
 * far and the projected invoice (both before tax). 404 when none is set.
 */
export type Budget = Answer<'/api/v1/billing/budget', 'get'>;

/** PUT /billing/budget: the amount in minor units of the customer's currency; admins name the customer. */
export type BudgetRequest = RequestBody<'/api/v1/billing/budget', 'put'>;

/** DELETE /billing/budget */
export type DeletedBudget = Answer<'/api/v1/billing/budget', 'delete'>;

/** A plan with each metric's charge model (GET /admin/plans). */
export type Plan = Schemas['Plan'];

/** GET /admin/plans: the catalog's plans (ListEnvelope). */
export type PlanPage = Answer<'/api/v1/admin/plans', 'get'>;

/** POST /billing/price-preview: the plan, its quantities and an optional tax rate. */
export type PricePreviewRequest = RequestBody<'/api/v1/billing/price-preview', 'post'>;

/** What one period of a plan would be invoiced for: lines, subtotal, tax, total. */
export type PricePreview = Schemas['PricePreview'];

/** GET /billing/subscriptions/{id}: the plan in force now, the current period and any scheduled change or end. */
export type Subscription = Schemas['Subscription'];
export type SubscriptionStatus = Subscription['status'];

/** A plan a customer can move to (GET /billing/plans), priced in the customer's currency. */
export type PlanOffer = Schemas['PlanOffer'];

/** GET /billing/plans: the plans a member can move to (every plan not archived). */
export type PlanOfferList = Answer<'/api/v1/billing/plans', 'get'>;

/** POST /billing/subscriptions/{id}/change and its preview: the plan, optionally its version and when. */
export type PlanChangeRequest = Schemas['PlanChangeRequest'];
export type PlanChangeTiming = NonNullable<PlanChangeRequest['effective']>;

/** A plan change as made (or as it would be made): from, to, and when it applies. */
export type PlanChange = Schemas['PlanChange'];

/** POST /billing/subscriptions/{id}/change/preview: the change and the invoices of the stretches before and after it. */
export type PlanChangePreview = Schemas['PlanChangePreview'];
export type PlanChangePart = PlanChangePreview['parts'][number];

/** POST /billing/subscriptions/{id}/change: the change made and the subscription after it. */
export type PlanChangeResult = Answer<'/api/v1/billing/subscriptions/{id}/change', 'post'>;

/** POST /billing/subscriptions/{id}/cancel: at the end of the period (default) or now. */
export type CancelTiming = NonNullable<RequestBody<'/api/v1/billing/subscriptions/{id}/cancel', 'post'>['at']>;

/** One stored usage event (GET /billing/usage/events), as first received. */
export type StoredUsageEvent = Schemas['StoredUsageEvent'];

/** GET /billing/usage/events: a customer's events, newest first (ListEnvelope; also by cursor). */
export type UsageEventPage = Answer<'/api/v1/billing/usage/events', 'get'>;

export type Granularity = NonNullable<
  NonNullable<paths['/api/v1/billing/usage/history']['get']['parameters']['query']>['granularity']
>;

/** A credit note on an invoice (GET /billing/credit-notes/{id}). */
export type CreditNote = Schemas['CreditNote'];
export type CreditNoteReason = CreditNote['reason'];
export type RefundTo = NonNullable<CreditNote['refund_to']>;

/** POST /billing/invoices/{id}/credit-notes: lines, a free amount, or both. */
export type CreditNoteRequest = Schemas['CreditNoteRequest'];

/** GET /billing/invoices/{id}/credit-notes: all of the invoice's credit notes, on one page. */
export type CreditNotePage = Answer<'/api/v1/billing/invoices/{id}/credit-notes', 'get'>;

/** A grant of prepaid credits (given, topped up, or from a credit note). */
export type CreditGrant = Schemas['CreditGrant'];
export type CreditGrantKind = CreditGrant['kind'];

/** POST /billing/credits (admins). */
export type CreditGrantRequest = Schemas['CreditGrantRequest'];

/** One entry of a customer's credit ledger. */
export type CreditLedgerEntry = Schemas['CreditLedgerEntry'];

/** GET /billing/credits: balances per currency, the newest grants, and a page of the ledger. */
export type Credits = Answer<'/api/v1/billing/credits', 'get'>;

/** One line of an invoice; `unit_price` is an exact decimal, major units per unit. */
export type InvoiceLine = NonNullable<Schemas['Invoice']['lines']>[number];

/** One currency's totals of a reconciliation: amounts in different currencies are never added. */
export type ReconciliationTotals = NonNullable<Schemas['Reconciliation']['totals']>[number];

type DocumentedFinding = NonNullable<Schemas['Reconciliation']['findings']>[number];
export type FindingKind = NonNullable<DocumentedFinding['kind']>;

// Analytics (admins): summaries per currency, from the last refresh (docs/openapi.yaml, tag analytics).

/** GET /admin/analytics/mrr: MRR, ARR, customers and NRR now and per month, per currency; as_of null before the first refresh. */
export type MrrAnalytics = Answer<'/api/v1/admin/analytics/mrr', 'get'>;

/**
 * One month of one currency's MRR: the MRR and the movements that made it
 * (new, expansion, reactivation up; contraction and churned down, sent as
 * positive amounts).
 */
export type AnalyticsMonth = Schemas['AnalyticsMonth'];

/**
 * One currency's MRR now (its fields are the current month's) with `months`,
 * oldest first, the current one last. The document gives it a `month` too
 * (from AnalyticsMonth), which billingd does not send: the console never reads it.
 */
export type MrrCurrency = MrrAnalytics['currencies'][number];

/** GET /admin/analytics/revenue: invoiced revenue per month by kind, metric and plan, and invoices by status. */
export type RevenueAnalytics = Answer<'/api/v1/admin/analytics/revenue', 'get'>;
export type RevenueCurrency = RevenueAnalytics['currencies'][number];
export type RevenueMonth = RevenueCurrency['months'][number];
export type InvoiceStatusTotal = RevenueCurrency['invoices_by_status'][number];

/** GET /admin/analytics/top-customers: the customers with the most revenue (or usage revenue) over 12 months. */
export type TopCustomersAnalytics = Answer<'/api/v1/admin/analytics/top-customers', 'get'>;
export type TopCustomersBy = TopCustomersAnalytics['by'];
export type TopCustomer = TopCustomersAnalytics['currencies'][number]['customers'][number];

/** GET /admin/analytics/ar-aging: what open invoices still owe, by days past due (live). */
export type ReceivablesAging = Answer<'/api/v1/admin/analytics/ar-aging', 'get'>;
export type ReceivablesCurrency = ReceivablesAging['currencies'][number];
export type AgingBucket = ReceivablesCurrency['buckets'][number];
export type AgingBucketName = AgingBucket['bucket'];

/** POST /admin/analytics/refresh: the summaries rebuilt (409 refresh_running while another runs). */
export type AnalyticsRefresh = Answer<'/api/v1/admin/analytics/refresh', 'post'>;

type ExportOperation = paths['/api/v1/admin/exports/{kind}']['get'];

/** GET /admin/exports/{kind}: what can be exported, and how. */
export type ExportKind = ExportOperation['parameters']['path']['kind'];
export type ExportFormat = NonNullable<ExportOperation['parameters']['query']['format']>;

// Written by hand: each narrows the document (see the top of this file).

// GET /billing/usage/history: the document marks every field optional; billingd
// sends them all, one series per metric, and the chart reads them unchecked.
export interface UsagePoint {
  start: string;
  value: number;
}

export interface UsageHistory {
  customer_id: string;
  granularity: string;
  from: string;
  to: string;
  series: { metric: string; points: UsagePoint[] }[];
}

/** The statuses the invoice filter offers (a value the page iterates; contract.ts checks it is the document's list). */
export const INVOICE_STATUSES = ['draft', 'open', 'paid', 'void', 'uncollectible'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

// The document leaves number, subscription_id, tax_rate, amount_refunded,
// due_at, stripe_invoice_id, hosted_invoice_url, created_at and the *_at dates
// optional; billingd always sends them (null when not set), and the pages show
// them unchecked.
export interface Invoice {
  id: string;
  number: string | null;
  customer_id: string;
  subscription_id: string | null;
  status: InvoiceStatus;
  period: Period;
  currency: string;
  subtotal: Amount;
  tax_rate: string | null;
  tax: Amount;
  total: Amount;
  amount_due: Amount;
  amount_paid: Amount;
  amount_refunded: Amount;
  /** Prepaid credits applied when the invoice was finalized. */
  credits_applied: Amount;
  /** Credit notes' parts that lowered the amount due. */
  pre_payment_credit_notes: Amount;
  /** Credit notes' parts after payment: to the customer's credit balance, or refunded. */
  post_payment_credit_notes: Amount;
  due_at: string | null;
  stripe_invoice_id: string | null;
  /** Stripe's page where the customer pays it; null until Stripe has it finalized. */
  hosted_invoice_url: string | null;
  created_at: string;
  finalized_at: string | null;
  paid_at: string | null;
  voided_at: string | null;
}

/** The retries of an invoice whose payment failed (docs/dunning.md). */
export type DunningCampaign = Schemas['DunningCampaign'];
export type DunningAttempt = DunningCampaign['attempts'][number];

/** GET /billing/dunning-campaigns: newest first; `total` counts every campaign the filter matches. */
export type DunningCampaignPage = Schemas['DunningCampaignList'];

/**
 * GET /billing/invoices/{id}: the document sends `lines` and `dunning` "only
 * on GET /invoices/{id}", so they are optional there.
 */
export interface InvoiceWithLines extends Invoice {
  lines: InvoiceLine[];
  /** Its dunning campaign; null when its payment never failed. */
  dunning: DunningCampaign | null;
}

/**
 * GET /billing/invoices: a page in number order (drafts first), items without
 * `lines`; `total` counts every invoice the filter matches.
 */
export interface InvoicePage extends ListEnvelope {
  data: Invoice[];
  total: number;
}

// Reconciliation: the document leaves every field of a finding, and the summary's
// subscriptions_checked, invoices_compared, currency, alert_raised and
// tolerance, optional; billingd always sends them. `findings` is documented as
// "only on POST /reconcile and GET /reconciliations/{id}", the two calls that
// answer a Reconciliation; the history's items are ReconciliationSummary.
export interface ReconciliationFinding {
  /** null when Stripe has an invoice no customer of ours matches. */
  customer_id: string | null;
  customer_name: string | null;
  kind: FindingKind;
  /** "total", "base_fee", "tax" or a metric id. */
  line: string;
  expected: Amount;
  /** What Stripe billed; for currency_mismatch in Stripe's currency, not ours. */
  billed: Amount;
  /** billed - expected in our currency; for currency_mismatch -expected. */
  difference: Amount;
  invoice_id: string | null;
  /** Our invoice's number; null when it has none (a draft) or there is no invoice of ours. */
  invoice_number: string | null;
  stripe_invoice_id: string | null;
}

export interface ReconciliationSummary {
  id: string;
  /** "2025-01": the billing periods starting in that month. */
  period: string;
  status: 'completed';
  /** Who ran it (a user or API key id); not in the first contract, so optional. */
  actor?: string;
  created_at: string;
  finished_at?: string;
  subscriptions_checked: number;
  invoices_compared: number;
  findings_count: number;
  expected_total: Amount;
  billed_total: Amount;
  discrepancy_total: Amount;
  currency: string;
  alert_raised: boolean;
  /** Relative tolerance as exact decimal text, e.g. "0.005". */
  tolerance: string;
}

export interface Reconciliation extends ReconciliationSummary {
  /** Every currency's totals, by code; the summary's totals are the main currency's.
   *  Absent from results stored by a billingd before per-currency totals. */
  totals?: ReconciliationTotals[];
  findings: ReconciliationFinding[];
}

/** GET /billing/reconciliations: a page of the history, newest first, without totals and findings. */
export interface ReconciliationPage extends ListEnvelope {
  data: ReconciliationSummary[];
}
