// Typed calls to billingd's API, one function per operation the console uses.
// Paths and shapes follow docs/openapi.yaml (types.ts, contract.ts).
import { ApiClient, ApiError, type RequestOptions } from './api';
import type {
  AnalyticsRefresh,
  Answer,
  AnswerWith,
  Budget,
  BudgetRequest,
  ApiKeyPage,
  CreatedApiKey,
  CreditGrant,
  CreditGrantRequest,
  CreditNote,
  CreditNotePage,
  CreditNoteRequest,
  Credits,
  CurrentUsage,
  Customer,
  DeletedBudget,
  CustomerPage,
  CustomerUpdate,
  DunningCampaign,
  DunningCampaignPage,
  FeatureFlags,
  Granularity,
  InvoicePage,
  InvoiceStatus,
  InvoiceWithLines,
  Me,
  MrrAnalytics,
  NewApiKey,
  NewCustomer,
  ReceivablesAging,
  Reconciliation,
  ReconciliationPage,
  ReconciliationSummary,
  RevenueAnalytics,
  Session,
  StripeWebhookEventPage,
  UsageEventPage,
  UsageForecast,
  CancelTiming,
  PlanChangePreview,
  PlanChangeRequest,
  PlanChangeResult,
  PlanOfferList,
  PlanPage,
  PricePreview,
  PricePreviewRequest,
  StripeWebhookRetry,
  StripeWebhookStatus,
  Subscription,
  TopCustomersAnalytics,
  TopCustomersBy,
  UsageHistory,
  User,
  UserPage,
  UserUpdate,
  CreatedWebhookEndpoint,
  DeletedWebhookEndpoint,
  NewWebhookEndpoint,
  RotatedWebhookEndpoint,
  WebhookDelivery,
  WebhookDeliveryPage,
  WebhookDeliveryStatus,
  WebhookEndpoint,
  WebhookEndpointPage,
} from './types';

/** What the console assumes when /meta/features cannot be read: billingd's defaults. */
export const DEFAULT_FEATURES: FeatureFlags = {
  billing: true,
  transparency: false,
  fraudDetection: false,
  abTesting: false,
};

export interface InvoiceQuery {
  status?: InvoiceStatus | 'all';
  /** Issue dates, YYYY-MM-DD, both inclusive. */
  from?: string;
  to?: string;
  limit?: number;
  offset?: number;
  customerId?: string;
}

export interface ReconcileRequest {
  /** "YYYY-MM"; omitted: the last closed period. */
  period?: string;
  /** At least 16 characters; a retry of the same request reuses it. */
  idempotencyKey: string;
}

export interface CustomerQuery {
  /** Part of a name, email or external id (any case), or an exact customer id. */
  q?: string;
  limit?: number;
  offset?: number;
}

export interface StripeWebhookQuery {
  status?: StripeWebhookStatus;
  limit?: number;
  /** Cursor: the events after this one (our numeric id), newest first: the older ones. */
  startingAfter?: number | string;
  /** Cursor: the events before this one in the list: the newer ones. Not with startingAfter. */
  endingBefore?: number | string;
}

export interface UsageEventQuery {
  customerId?: string;
  metric?: string;
  /** Timestamps at or after (RFC 3339). */
  from?: string;
  limit?: number;
  /** Cursor: the events after this one (an event id), newest first: the older ones. */
  startingAfter?: string;
  /** Cursor: the events before this one in the list: the newer ones. Not with startingAfter. */
  endingBefore?: string;
}

export interface CreditsQuery {
  /** Admins: whose credits (required by the server); members leave it out. */
  customerId?: string;
  /** The ledger's page size. */
  limit?: number;
  /** Cursor: the ledger entries after this one (newest first: the older ones). */
  startingAfter?: string;
  /** Cursor: the entries before this one: the newer ones. Not with startingAfter. */
  endingBefore?: string;
}

export interface DunningCampaignQuery {
  state?: DunningCampaign['state'];
  /** Admins: one customer's campaigns; members leave it out (the server knows theirs). */
  customerId?: string;
  limit?: number;
  offset?: number;
}

export interface WebhookDeliveryQuery {
  status?: WebhookDeliveryStatus;
  limit?: number;
  offset?: number;
}

export const MIN_IDEMPOTENCY_KEY_LENGTH = 16;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** The Idempotency-Key header for an optional key, or a RangeError when the key is not 16-255 characters. */
function idempotencyHeaders(key: string | undefined): Record<string, string> | RangeError {
  if (key === undefined) return {};
  if (key.length < MIN_IDEMPOTENCY_KEY_LENGTH || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    return new RangeError(
      `an idempotency key needs ${MIN_IDEMPOTENCY_KEY_LENGTH} to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`,
    );
  }
  return { 'Idempotency-Key': key };
}

/** The fields of `change` that are set (undefined ones left out; null is kept: it removes). */
function definedFields<T extends object>(change: T): Partial<T> {
  return Object.fromEntries(Object.entries(change).filter(([, value]) => value !== undefined)) as Partial<T>;
}

type Signal = Pick<RequestOptions, 'signal'>;

export class BillingApi {
  constructor(readonly http: ApiClient) {}

  /** Feature flags; on any failure the server defaults, so navigation still works. */
  async features(options: Signal = {}): Promise<{ flags: FeatureFlags; fallback: boolean }> {
    try {
      const flags = await this.http.request<FeatureFlags>('GET', '/api/v1/meta/features', options);
      return { flags: { ...DEFAULT_FEATURES, ...flags }, fallback: false };
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      return { flags: DEFAULT_FEATURES, fallback: true };
    }
  }

  async login(email: string, password: string): Promise<Session> {
    // Answers remembered for the previous user are not this one's.
    this.http.forget();
    const session = await this.http.request<Session>('POST', '/api/v1/auth/login', {
      body: { email, password },
      expectUnauthenticated: true,
    });
    this.http.rememberCsrfToken(session.csrf_token);
    return session;
  }

  async logout(): Promise<void> {
    try {
      await this.http.request<void>('POST', '/api/v1/auth/logout', { expectUnauthenticated: true });
    } finally {
      this.http.rememberCsrfToken(null);
      this.http.forget();
    }
  }

  /** The signed-in user, or null when there is no session. */
  async me(options: Signal = {}): Promise<Me | null> {
    try {
      // Always asked anew: it is how the console learns that its own role or account changed.
      const me = await this.http.request<Me>('GET', '/api/v1/auth/me', {
        ...options,
        expectUnauthenticated: true,
        cache: false,
      });
      this.http.rememberCsrfToken(me.csrf_token);
      return me;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return null;
      throw error;
    }
  }

  /** A page of customers, newest first; `q` searches names, emails and external ids. */
  customers(query: CustomerQuery = {}, options: Signal = {}): Promise<CustomerPage> {
    return this.http.request('GET', '/api/v1/billing/customers', {
      ...options,
      query: { q: query.q?.trim(), limit: query.limit ?? 100, offset: query.offset ?? 0 },
    });
  }

  /**
   * Creates a customer. With an idempotency key (16-255 characters; reuse it
   * when retrying the same request) it is created once: a repeat answers the
   * same customer.
   */
  createCustomer(input: NewCustomer, idempotencyKey?: string, options: Signal = {}): Promise<Customer> {
    const headers = idempotencyHeaders(idempotencyKey);
    if (headers instanceof RangeError) return Promise.reject(headers);
    return this.http.request<AnswerWith<'/api/v1/billing/customers', 'post', 201>>(
      'POST',
      '/api/v1/billing/customers',
      {
        ...options,
        headers,
        body: input,
      },
    );
  }

  /** Changes a customer (only the fields given); answers it as changed. An empty change is refused without a request. */
  updateCustomer(id: string, change: CustomerUpdate, options: Signal = {}): Promise<Customer> {
    const body = definedFields(change);
    if (Object.keys(body).length === 0) return Promise.reject(new RangeError('nothing to change'));
    return this.http.request<Answer<'/api/v1/billing/customers/{id}', 'patch'>>(
      'PATCH',
      `/api/v1/billing/customers/${encodeURIComponent(id)}`,
      { ...options, body },
    );
  }

  currentUsage(customerId?: string, options: Signal = {}): Promise<CurrentUsage> {
    return this.http.request('GET', '/api/v1/billing/usage/current', {
      ...options,
      query: { customer_id: customerId },
    });
  }

  usageHistory(
    params: { customerId?: string; granularity?: Granularity; from?: string; to?: string } = {},
    options: Signal = {},
  ): Promise<UsageHistory> {
    return this.http.request('GET', '/api/v1/billing/usage/history', {
      ...options,
      query: {
        customer_id: params.customerId,
        granularity: params.granularity ?? 'day',
        from: params.from,
        to: params.to,
      },
    });
  }

  /** The current period projected to its end, per metric and as the invoice (before tax); admins name the customer. */
  usageForecast(customerId?: string, options: Signal = {}): Promise<UsageForecast> {
    return this.http.request<Answer<'/api/v1/billing/usage/forecast', 'get'>>('GET', '/api/v1/billing/usage/forecast', {
      ...options,
      query: { customer_id: customerId },
    });
  }

  /** The customer's budget with the spend so far and the forecast, or null when none is set (404 not_found). */
  async budget(customerId?: string, options: Signal = {}): Promise<Budget | null> {
    try {
      return await this.http.request<Answer<'/api/v1/billing/budget', 'get'>>('GET', BUDGET_PATH, {
        ...options,
        query: { customer_id: customerId },
      });
    } catch (error) {
      if (error instanceof ApiError && error.status === 404 && error.code === 'not_found') return null;
      throw error;
    }
  }

  /** Sets or changes the budget, in minor units of the customer's currency; answers it with where the period stands. */
  setBudget(amountMinor: number, customerId?: string, options: Signal = {}): Promise<Budget> {
    const body: BudgetRequest = { amount_minor: amountMinor };
    if (customerId !== undefined) body.customer_id = customerId;
    return this.http.request<Answer<'/api/v1/billing/budget', 'put'>>('PUT', BUDGET_PATH, { ...options, body });
  }

  /** Removes the budget. */
  deleteBudget(customerId?: string, options: Signal = {}): Promise<DeletedBudget> {
    return this.http.request<Answer<'/api/v1/billing/budget', 'delete'>>('DELETE', BUDGET_PATH, {
      ...options,
      query: { customer_id: customerId },
    });
  }

  invoices(query: InvoiceQuery = {}, options: Signal = {}): Promise<InvoicePage> {
    return this.http.request('GET', '/api/v1/billing/invoices', {
      ...options,
      query: {
        status: query.status && query.status !== 'all' ? query.status : undefined,
        from: query.from,
        to: query.to,
        limit: query.limit,
        offset: query.offset,
        customer_id: query.customerId,
      },
    });
  }

  invoice(id: string, options: Signal = {}): Promise<InvoiceWithLines> {
    return this.http.request('GET', `/api/v1/billing/invoices/${encodeURIComponent(id)}`, options);
  }

  async invoicePdf(id: string, options: Signal = {}): Promise<{ blob: Blob; filename: string }> {
    const { blob, filename } = await this.http.download(`/api/v1/billing/invoices/${encodeURIComponent(id)}/pdf`, {
      ...options,
      headers: { Accept: 'application/pdf' },
    });
    return { blob, filename: filename ?? `${id}.pdf` };
  }

  /**
   * A Stripe Customer Portal session for the member's customer, where payment methods are managed;
   * Stripe sends them back to `returnUrl`. 503 not_configured without Stripe.
   */
  portalSession(returnUrl: string, options: Signal = {}): Promise<{ object: 'billing_portal_session'; url: string }> {
    return this.http.request<Answer<'/api/v1/billing/portal-session', 'post'>>(
      'POST',
      '/api/v1/billing/portal-session',
      {
        ...options,
        body: { return_url: returnUrl },
      },
    );
  }

  /** The invoice's credit notes, oldest first. */
  creditNotes(invoiceId: string, options: Signal = {}): Promise<CreditNotePage> {
    return this.http.request<Answer<'/api/v1/billing/invoices/{id}/credit-notes', 'get'>>(
      'GET',
      `${invoicePath(invoiceId)}/credit-notes`,
      options,
    );
  }

  /** Issues a credit note on a finalized invoice (admins); once per idempotency key. */
  createCreditNote(
    invoiceId: string,
    body: CreditNoteRequest,
    idempotencyKey?: string,
    options: Signal = {},
  ): Promise<CreditNote> {
    const headers = idempotencyHeaders(idempotencyKey);
    if (headers instanceof RangeError) return Promise.reject(headers);
    return this.http.request<AnswerWith<'/api/v1/billing/invoices/{id}/credit-notes', 'post', 201>>(
      'POST',
      `${invoicePath(invoiceId)}/credit-notes`,
      { ...options, headers, body },
    );
  }

  async creditNotePdf(id: string, options: Signal = {}): Promise<{ blob: Blob; filename: string }> {
    const { blob, filename } = await this.http.download(`/api/v1/billing/credit-notes/${encodeURIComponent(id)}/pdf`, {
      ...options,
      headers: { Accept: 'application/pdf' },
    });
    return { blob, filename: filename ?? `${id}.pdf` };
  }

  /** Dunning campaigns (retries of failed payments), newest first: a member's own customer's, an admin's any. */
  dunningCampaigns(query: DunningCampaignQuery = {}, options: Signal = {}): Promise<DunningCampaignPage> {
    return this.http.request<Answer<'/api/v1/billing/dunning-campaigns', 'get'>>(
      'GET',
      '/api/v1/billing/dunning-campaigns',
      {
        ...options,
        query: { state: query.state, customer_id: query.customerId, limit: query.limit, offset: query.offset },
      },
    );
  }

  /** A customer's prepaid credits (members: their own, customerId left out); the ledger pages by cursor. */
  credits(query: CreditsQuery = {}, options: Signal = {}): Promise<Credits> {
    return this.http.request<Answer<'/api/v1/billing/credits', 'get'>>('GET', '/api/v1/billing/credits', {
      ...options,
      query: {
        customer_id: query.customerId,
        limit: query.limit,
        starting_after: query.startingAfter,
        ending_before: query.startingAfter === undefined ? query.endingBefore : undefined,
      },
    });
  }

  /** Grants credits to a customer, or records a top-up (admins); once per idempotency key. */
  grantCredits(body: CreditGrantRequest, idempotencyKey?: string, options: Signal = {}): Promise<CreditGrant> {
    const headers = idempotencyHeaders(idempotencyKey);
    if (headers instanceof RangeError) return Promise.reject(headers);
    return this.http.request<AnswerWith<'/api/v1/billing/credits', 'post', 201>>('POST', '/api/v1/billing/credits', {
      ...options,
      headers,
      body,
    });
  }

  async reconcile(request: ReconcileRequest, options: Signal = {}): Promise<Reconciliation> {
    if (request.idempotencyKey.length < MIN_IDEMPOTENCY_KEY_LENGTH) {
      throw new RangeError(`an idempotency key needs at least ${MIN_IDEMPOTENCY_KEY_LENGTH} characters`);
    }
    const result = await this.http.request<Reconciliation>('POST', '/api/v1/billing/reconcile', {
      ...options,
      headers: { 'Idempotency-Key': request.idempotencyKey },
      body: request.period ? { period: request.period } : {},
    });
    // The page opens the new run next (?run=id): it has it already.
    if (result?.id) this.http.remember(reconciliationPath(result.id), result);
    return result;
  }

  /** The newest stored reconciliations (the first page of the history). */
  async reconciliations(limit = 20, options: Signal = {}): Promise<ReconciliationSummary[]> {
    const page = await this.http.request<ReconciliationPage>('GET', '/api/v1/billing/reconciliations', {
      ...options,
      query: { limit },
    });
    return page.data;
  }

  reconciliation(id: string, options: Signal = {}): Promise<Reconciliation> {
    return this.http.request('GET', reconciliationPath(id), options);
  }

  // Analytics (admins): summaries per currency from the last refresh; receivables are live.

  /** MRR, ARR, paying customers, ARPU and NRR now and for each of the last `months` months, per currency. */
  analyticsMrr(months: number, options: Signal = {}): Promise<MrrAnalytics> {
    return this.http.request<Answer<'/api/v1/admin/analytics/mrr', 'get'>>('GET', '/api/v1/admin/analytics/mrr', {
      ...options,
      query: { months },
    });
  }

  /** Invoiced revenue per month by kind, metric and plan, and invoices by status, per currency. */
  analyticsRevenue(months: number, options: Signal = {}): Promise<RevenueAnalytics> {
    return this.http.request<Answer<'/api/v1/admin/analytics/revenue', 'get'>>(
      'GET',
      '/api/v1/admin/analytics/revenue',
      { ...options, query: { months } },
    );
  }

  /** The customers with the most revenue (or usage revenue) over the last 12 months, per currency. */
  topCustomers(by: TopCustomersBy, limit: number, options: Signal = {}): Promise<TopCustomersAnalytics> {
    return this.http.request<Answer<'/api/v1/admin/analytics/top-customers', 'get'>>(
      'GET',
      '/api/v1/admin/analytics/top-customers',
      { ...options, query: { by, limit } },
    );
  }

  /** What open invoices still owe, by days past due, per currency (live, not from the refresh). */
  receivablesAging(options: Signal = {}): Promise<ReceivablesAging> {
    return this.http.request<Answer<'/api/v1/admin/analytics/ar-aging', 'get'>>(
      'GET',
      '/api/v1/admin/analytics/ar-aging',
      options,
    );
  }

  /** Rebuilds the summaries now (409 refresh_running while another refresh runs); every remembered answer is dropped. */
  refreshAnalytics(options: Signal = {}): Promise<AnalyticsRefresh> {
    return this.http.request<Answer<'/api/v1/admin/analytics/refresh', 'post'>>(
      'POST',
      '/api/v1/admin/analytics/refresh',
      options,
    );
  }

  // Console users (admins). A change takes effect on the user's next request.

  users(page: { limit?: number; offset?: number } = {}, options: Signal = {}): Promise<UserPage> {
    return this.http.request('GET', '/api/v1/admin/users', {
      ...options,
      query: { limit: page.limit ?? 100, offset: page.offset ?? 0 },
    });
  }

  /** Changes role, customer or disabled; answers the user as changed. An empty change is refused without a request. */
  updateUser(id: string, change: UserUpdate, options: Signal = {}): Promise<User> {
    const body: UserUpdate = {};
    if (change.role !== undefined) body.role = change.role;
    if (change.customer_id !== undefined) body.customer_id = change.customer_id;
    if (change.disabled !== undefined) body.disabled = change.disabled;
    if (Object.keys(body).length === 0) return Promise.reject(new RangeError('nothing to change'));
    // The documented answer, which must be a User (tsc checks it).
    return this.http.request<Answer<'/api/v1/admin/users/{id}', 'patch'>>(
      'PATCH',
      `/api/v1/admin/users/${encodeURIComponent(id)}`,
      { ...options, body },
    );
  }

  /** Ends every session the user has ("sign out everywhere"); they may sign in again. */
  revokeUserSessions(id: string, options: Signal = {}): Promise<void> {
    return this.http.request('POST', `/api/v1/admin/users/${encodeURIComponent(id)}/revoke-sessions`, options);
  }

  // API keys (admins). Secrets are shown once, when a key is created.

  apiKeys(page: { limit?: number; offset?: number } = {}, options: Signal = {}): Promise<ApiKeyPage> {
    return this.http.request('GET', '/api/v1/admin/api-keys', {
      ...options,
      query: { limit: page.limit ?? 100, offset: page.offset ?? 0 },
    });
  }

  /**
   * Creates an API key; its `secret` is in this answer only. With an
   * idempotency key a retry creates nothing and answers the key with
   * `secret: null` (the secret is never stored).
   */
  createApiKey(input: NewApiKey, idempotencyKey?: string, options: Signal = {}): Promise<CreatedApiKey> {
    const headers = idempotencyHeaders(idempotencyKey);
    if (headers instanceof RangeError) return Promise.reject(headers);
    return this.http.request('POST', '/api/v1/admin/api-keys', { ...options, headers, body: input });
  }

  /** Revokes an API key; revoking twice is fine. */
  revokeApiKey(id: string, options: Signal = {}): Promise<void> {
    return this.http.request('DELETE', `/api/v1/admin/api-keys/${encodeURIComponent(id)}`, options);
  }

  // Outgoing webhook endpoints: admins' are platform-wide, members' their customer's.
  // A secret is in the answer that makes it (creation, rotation) and nowhere else.

  /** The endpoints the caller may see (admins: every one), oldest first. */
  webhookEndpoints(page: { limit?: number; offset?: number } = {}, options: Signal = {}): Promise<WebhookEndpointPage> {
    return this.http.request<Answer<'/api/v1/webhook-endpoints', 'get'>>('GET', '/api/v1/webhook-endpoints', {
      ...options,
      query: { limit: page.limit ?? 20, offset: page.offset ?? 0 },
    });
  }

  webhookEndpoint(id: string, options: Signal = {}): Promise<WebhookEndpoint> {
    return this.http.request<Answer<'/api/v1/webhook-endpoints/{id}', 'get'>>('GET', webhookEndpointPath(id), options);
  }

  /**
   * Registers an endpoint; its `secret` is in this answer only. With an
   * idempotency key a retry registers nothing and answers `secret: null`.
   */
  createWebhookEndpoint(
    input: NewWebhookEndpoint,
    idempotencyKey?: string,
    options: Signal = {},
  ): Promise<CreatedWebhookEndpoint> {
    const headers = idempotencyHeaders(idempotencyKey);
    if (headers instanceof RangeError) return Promise.reject(headers);
    return this.http.request<AnswerWith<'/api/v1/webhook-endpoints', 'post', 201>>(
      'POST',
      '/api/v1/webhook-endpoints',
      { ...options, headers, body: input },
    );
  }

  /** Deletes an endpoint: nothing more is sent to it. */
  deleteWebhookEndpoint(id: string, options: Signal = {}): Promise<DeletedWebhookEndpoint> {
    return this.http.request<Answer<'/api/v1/webhook-endpoints/{id}', 'delete'>>(
      'DELETE',
      webhookEndpointPath(id),
      options,
    );
  }

  /** A new signing secret; the old one keeps signing beside it for `overlapHours` (0-168). */
  rotateWebhookSecret(id: string, overlapHours: number, options: Signal = {}): Promise<RotatedWebhookEndpoint> {
    return this.http.request<Answer<'/api/v1/webhook-endpoints/{id}/rotate-secret', 'post'>>(
      'POST',
      `${webhookEndpointPath(id)}/rotate-secret`,
      { ...options, body: { overlap_hours: overlapHours } },
    );
  }

  /** Turns a disabled endpoint back on. */
  enableWebhookEndpoint(id: string, options: Signal = {}): Promise<WebhookEndpoint> {
    return this.http.request<Answer<'/api/v1/webhook-endpoints/{id}/enable', 'post'>>(
      'POST',
      `${webhookEndpointPath(id)}/enable`,
      options,
    );
  }

  /** An endpoint's deliveries, newest first. Always asked anew: a delivery's state changes by the second. */
  webhookDeliveries(
    endpointId: string,
    query: WebhookDeliveryQuery = {},
    options: Signal = {},
  ): Promise<WebhookDeliveryPage> {
    return this.http.request<Answer<'/api/v1/webhook-endpoints/{id}/deliveries', 'get'>>(
      'GET',
      `${webhookEndpointPath(endpointId)}/deliveries`,
      {
        ...options,
        cache: false,
        query: { status: query.status, limit: query.limit ?? 20, offset: query.offset ?? 0 },
      },
    );
  }

  /** One delivery with its attempts, newest first (asked anew, as the list). */
  webhookDelivery(endpointId: string, deliveryId: string, options: Signal = {}): Promise<WebhookDelivery> {
    return this.http.request<Answer<'/api/v1/webhook-endpoints/{id}/deliveries/{delivery_id}', 'get'>>(
      'GET',
      webhookDeliveryPath(endpointId, deliveryId),
      { ...options, cache: false },
    );
  }

  /** Sends a delivery again once, with the same event id (409 delivery_in_progress while an attempt runs). */
  redeliverWebhookDelivery(endpointId: string, deliveryId: string, options: Signal = {}): Promise<WebhookDelivery> {
    return this.http.request<Answer<'/api/v1/webhook-endpoints/{id}/deliveries/{delivery_id}/redeliver', 'post'>>(
      'POST',
      `${webhookDeliveryPath(endpointId, deliveryId)}/redeliver`,
      options,
    );
  }

  // Stripe webhook events (admins).

  /** Received Stripe events, newest first; the next page: startingAfter = the last event's id. */
  /** The catalog's plans with their charge models (admins). */
  plans(options: Signal = {}): Promise<PlanPage> {
    return this.http.request('GET', '/api/v1/admin/plans', { ...options, query: { limit: 100 } });
  }

  /** What one period of a plan would be invoiced for; stores nothing. */
  pricePreview(body: PricePreviewRequest, options: Signal = {}): Promise<PricePreview> {
    return this.http.request('POST', '/api/v1/billing/price-preview', { ...options, body, readOnly: true });
  }

  // Subscriptions: a member's own (admins: any). Changing and cancelling need
  // SELF_SERVICE_PLAN_CHANGES for members (403 self_service_disabled without it).

  /** One subscription: the plan in force now, the current period, any scheduled change or end. */
  subscription(id: string, options: Signal = {}): Promise<Subscription> {
    return this.http.request<Answer<'/api/v1/billing/subscriptions/{id}', 'get'>>('GET', subscriptionPath(id), options);
  }

  /** The plans the signed-in member's customer can move to, priced in its currency. */
  availablePlans(options: Signal = {}): Promise<PlanOfferList> {
    return this.http.request<Answer<'/api/v1/billing/plans', 'get'>>('GET', '/api/v1/billing/plans', options);
  }

  /** The invoices a plan change would make, from the usage so far; changes nothing. */
  previewPlanChange(id: string, body: PlanChangeRequest, options: Signal = {}): Promise<PlanChangePreview> {
    return this.http.request<Answer<'/api/v1/billing/subscriptions/{id}/change/preview', 'post'>>(
      'POST',
      `${subscriptionPath(id)}/change/preview`,
      { ...options, body, readOnly: true },
    );
  }

  /** Moves the subscription to another plan, now (prorated) or at the period's end; once per idempotency key. */
  changePlan(
    id: string,
    body: PlanChangeRequest,
    idempotencyKey?: string,
    options: Signal = {},
  ): Promise<PlanChangeResult> {
    const headers = idempotencyHeaders(idempotencyKey);
    if (headers instanceof RangeError) return Promise.reject(headers);
    return this.http.request<PlanChangeResult>('POST', `${subscriptionPath(id)}/change`, { ...options, headers, body });
  }

  /** Withdraws the plan change scheduled for the end of the period; answers the subscription without it. */
  withdrawScheduledChange(id: string, options: Signal = {}): Promise<Subscription> {
    return this.http.request<Answer<'/api/v1/billing/subscriptions/{id}/scheduled-change', 'delete'>>(
      'DELETE',
      `${subscriptionPath(id)}/scheduled-change`,
      options,
    );
  }

  /** Cancels at the end of the period, or now (a final invoice for the part used); once per idempotency key. */
  cancelSubscription(
    id: string,
    at: CancelTiming,
    idempotencyKey?: string,
    options: Signal = {},
  ): Promise<Subscription> {
    const headers = idempotencyHeaders(idempotencyKey);
    if (headers instanceof RangeError) return Promise.reject(headers);
    return this.http.request<Answer<'/api/v1/billing/subscriptions/{id}/cancel', 'post'>>(
      'POST',
      `${subscriptionPath(id)}/cancel`,
      { ...options, headers, body: { at } },
    );
  }

  /** Withdraws a cancellation at the period's end, before the period ends. */
  reactivateSubscription(id: string, options: Signal = {}): Promise<Subscription> {
    return this.http.request<Answer<'/api/v1/billing/subscriptions/{id}/reactivate', 'post'>>(
      'POST',
      `${subscriptionPath(id)}/reactivate`,
      { ...options, body: {} },
    );
  }

  /** A customer's stored usage events, newest first. */
  usageEvents(query: UsageEventQuery = {}, options: Signal = {}): Promise<UsageEventPage> {
    return this.http.request('GET', '/api/v1/billing/usage/events', {
      ...options,
      query: {
        customer_id: query.customerId,
        metric: query.metric,
        from: query.from,
        limit: query.limit,
        starting_after: query.startingAfter,
        ending_before: query.startingAfter === undefined ? query.endingBefore : undefined,
      },
    });
  }

  stripeWebhookEvents(query: StripeWebhookQuery = {}, options: Signal = {}): Promise<StripeWebhookEventPage> {
    return this.http.request('GET', '/api/v1/admin/webhooks/stripe', {
      ...options,
      query: {
        status: query.status,
        limit: query.limit,
        starting_after: query.startingAfter,
        ending_before: query.startingAfter === undefined ? query.endingBefore : undefined,
      },
    });
  }

  /** Queues a failed or dead event for processing again (409 not_retryable for the others). */
  retryStripeWebhookEvent(id: number | string, options: Signal = {}): Promise<StripeWebhookRetry> {
    return this.http.request('POST', `/api/v1/admin/webhooks/stripe/${encodeURIComponent(String(id))}/retry`, options);
  }
}

const BUDGET_PATH = '/api/v1/billing/budget';

function invoicePath(id: string): string {
  return `/api/v1/billing/invoices/${encodeURIComponent(id)}`;
}

function subscriptionPath(id: string): string {
  return `/api/v1/billing/subscriptions/${encodeURIComponent(id)}`;
}

function webhookEndpointPath(id: string): string {
  return `/api/v1/webhook-endpoints/${encodeURIComponent(id)}`;
}

function webhookDeliveryPath(endpointId: string, deliveryId: string): string {
  return `${webhookEndpointPath(endpointId)}/deliveries/${encodeURIComponent(deliveryId)}`;
}

function reconciliationPath(id: string): string {
  return `/api/v1/billing/reconciliations/${encodeURIComponent(id)}`;
}

/** A fresh idempotency key for one reconciliation request. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

export const http = new ApiClient();
export const api = new BillingApi(http);
