import { describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError } from '../api';
import { BillingApi, DEFAULT_FEATURES, newIdempotencyKey } from '../billing';

function setup(responder: (url: string, init: RequestInit) => Response) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch = vi.fn((url: string, init?: RequestInit) => {
    calls.push({ url, init: init ?? {} });
    return Promise.resolve(responder(url, init ?? {}));
  }) as unknown as typeof globalThis.fetch;
  const http = new ApiClient({ fetch, csrfToken: () => null });
  return { api: new BillingApi(http), http, calls };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

describe('BillingApi', () => {
  it('falls back to the server defaults when the flags cannot be read', async () => {
    const { api } = setup(() => json(500, { error: { code: 'internal_error', message: 'x', request_id: 'r' } }));
    expect(await api.features()).toEqual({ flags: DEFAULT_FEATURES, fallback: true });
    const ok = setup(() => json(200, { billing: false, transparency: true, fraudDetection: false, abTesting: true }));
    expect(await ok.api.features()).toEqual({
      flags: { billing: false, transparency: true, fraudDetection: false, abTesting: true },
      fallback: false,
    });
  });

  it('remembers the CSRF token from login and sends it on the next mutation', async () => {
    const { api, calls } = setup((url) =>
      url.endsWith('/login')
        ? json(200, {
            user: { id: 'u', email: 'a@b', role: 'admin', customer_id: null },
            csrf_token: 'csrf-1',
            expires_at: 'x',
          })
        : json(200, { id: 'rec_1' }),
    );
    await api.login('a@b', 'pw');
    await api.reconcile({ idempotencyKey: '0123456789abcdef' });
    const headers = calls[1]!.init.headers as Record<string, string>;
    expect(headers['X-CSRF-Token']).toBe('csrf-1');
    expect(headers['Idempotency-Key']).toBe('0123456789abcdef');
    expect(calls[1]!.init.body).toBe('{}');
  });

  it('sends the period when one is chosen, and refuses short idempotency keys without a request', async () => {
    const { api, calls } = setup(() => json(200, { id: 'rec_1' }));
    await api.reconcile({ period: '2025-01', idempotencyKey: newIdempotencyKey() });
    expect(calls[0]!.init.body).toBe('{"period":"2025-01"}');
    expect(((calls[0]!.init.headers as Record<string, string>)['Idempotency-Key'] ?? '').length).toBeGreaterThanOrEqual(
      16,
    );
    await expect(api.reconcile({ idempotencyKey: 'short' })).rejects.toBeInstanceOf(RangeError);
    expect(calls).toHaveLength(1);
  });

  it('makes a new idempotency key each time', () => {
    const keys = new Set(Array.from({ length: 50 }, () => newIdempotencyKey()));
    expect(keys.size).toBe(50);
    for (const key of keys) expect(key.length).toBeGreaterThanOrEqual(16);
  });

  it('reports a missing reconciliation API as a 404 ApiError', async () => {
    const { api } = setup(() =>
      json(404, {
        error: { code: 'not_found', message: 'no route for POST /api/v1/billing/reconcile', request_id: 'r' },
      }),
    );
    const error = await api.reconcile({ idempotencyKey: newIdempotencyKey() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).isNotFound).toBe(true);
  });

  it('says "no session" as null from me(), without calling the lost-session handler', async () => {
    const { api, http } = setup(() => json(401, { error: { code: 'unauthenticated', message: 'x', request_id: 'r' } }));
    const lost = vi.fn();
    http.onUnauthorized(lost);
    expect(await api.me()).toBeNull();
    expect(lost).not.toHaveBeenCalled();
  });

  it('puts invoice filters in the query and leaves "all" out', async () => {
    const { api, calls } = setup(() =>
      json(200, { object: 'list', data: [], has_more: false, limit: 10, offset: 20, next_offset: null, total: 0 }),
    );
    await api.invoices({ status: 'all', limit: 10, offset: 20 });
    await api.invoices({ status: 'paid', from: '2025-01-01', to: '2025-01-31', customerId: 'cus_1' });
    expect(calls[0]!.url).toBe('/api/v1/billing/invoices?limit=10&offset=20');
    expect(calls[1]!.url).toBe('/api/v1/billing/invoices?status=paid&from=2025-01-01&to=2025-01-31&customer_id=cus_1');
  });

  it('lists dunning campaigns by state, and one customer for admins', async () => {
    const page = { object: 'list', data: [], has_more: false, limit: 5, offset: 0, next_offset: null, total: 0 };
    const { api, calls } = setup(() => json(200, page));
    expect(await api.dunningCampaigns({ state: 'active', limit: 5 })).toEqual(page);
    await api.dunningCampaigns({ customerId: 'cus_1', offset: 20 });
    expect(calls[0]!.url).toBe('/api/v1/billing/dunning-campaigns?state=active&limit=5');
    expect(calls[1]!.url).toBe('/api/v1/billing/dunning-campaigns?customer_id=cus_1&offset=20');
  });

  it('reads the reconciliation history from the list envelope', async () => {
    const summary = { id: 'rec_1', period: '2025-01' };
    const { api, calls } = setup(() =>
      json(200, { object: 'list', data: [summary], has_more: false, limit: 5, offset: 0, next_offset: null }),
    );
    expect(await api.reconciliations(5)).toEqual([summary]);
    expect(calls[0]!.url).toBe('/api/v1/billing/reconciliations?limit=5');
  });

  it('searches customers with q, and pages them', async () => {
    const page = { object: 'list', data: [], has_more: false, limit: 20, offset: 40, next_offset: null };
    const { api, calls } = setup(() => json(200, page));
    expect(await api.customers({ q: ' pub_48 ', limit: 20, offset: 40 })).toEqual(page);
    await api.customers();
    expect(calls[0]!.url).toBe('/api/v1/billing/customers?q=pub_48&limit=20&offset=40');
    expect(calls[1]!.url).toBe('/api/v1/billing/customers?limit=100&offset=0');
  });

  it('creates a customer, once per idempotency key when one is given', async () => {
    const { api, calls } = setup(() => json(201, { id: 'cus_1', name: 'Echo' }));
    await api.createCustomer(
      { name: 'Echo', external_id: 'pub_1', metadata: { tier: 'gold' } },
      'create-echo-0001-abcdef',
    );
    await api.createCustomer({ name: 'Echo' });
    expect(calls[0]!.init.method).toBe('POST');
    expect(calls[0]!.init.body).toBe('{"name":"Echo","external_id":"pub_1","metadata":{"tier":"gold"}}');
    expect((calls[0]!.init.headers as Record<string, string>)['Idempotency-Key']).toBe('create-echo-0001-abcdef');
    expect((calls[1]!.init.headers as Record<string, string>)['Idempotency-Key']).toBeUndefined();
    await expect(api.createCustomer({ name: 'Echo' }, 'short')).rejects.toBeInstanceOf(RangeError);
    await expect(api.createCustomer({ name: 'Echo' }, 'k'.repeat(256))).rejects.toBeInstanceOf(RangeError);
    expect(calls).toHaveLength(2);
  });

  it('patches a customer with only the fields given (null removes), and refuses an empty change', async () => {
    const { api, calls } = setup(() => json(200, { id: 'cus_1' }));
    await api.updateCustomer('cus_1', { external_id: null, metadata: { tier: 'gold', old: null }, name: undefined });
    expect(calls[0]!.url).toBe('/api/v1/billing/customers/cus_1');
    expect(calls[0]!.init.method).toBe('PATCH');
    expect(calls[0]!.init.body).toBe('{"external_id":null,"metadata":{"tier":"gold","old":null}}');
    await expect(api.updateCustomer('cus_1', {})).rejects.toBeInstanceOf(RangeError);
    expect(calls).toHaveLength(1);
  });

  it('lists, creates and revokes API keys', async () => {
    const { api, calls } = setup((_url, init) =>
      init.method === 'DELETE'
        ? new Response(null, { status: 204 })
        : json(init.method === 'POST' ? 201 : 200, { id: 'key_1', secret: null }),
    );
    await api.apiKeys();
    expect(await api.createApiKey({ name: 'ingest-prod', role: 'service' }, 'apikey-ingest-prod-01')).toEqual({
      id: 'key_1',
      secret: null,
    });
    expect(await api.revokeApiKey('key_1')).toBeUndefined();
    expect(calls.map((c) => `${c.init.method} ${c.url}`)).toEqual([
      'GET /api/v1/admin/api-keys?limit=100&offset=0',
      'POST /api/v1/admin/api-keys',
      'DELETE /api/v1/admin/api-keys/key_1',
    ]);
    expect((calls[1]!.init.headers as Record<string, string>)['Idempotency-Key']).toBe('apikey-ingest-prod-01');
  });

  it('pages Stripe webhook events by cursor and retries one', async () => {
    const { api, calls } = setup(() => json(200, {}));
    await api.stripeWebhookEvents({ status: 'failed', limit: 50, startingAfter: 23 });
    await api.stripeWebhookEvents();
    await api.retryStripeWebhookEvent(25);
    await api.stripeWebhookEvents({ limit: 25, endingBefore: 40 });
    expect(calls[0]!.url).toBe('/api/v1/admin/webhooks/stripe?status=failed&limit=50&starting_after=23');
    expect(calls[1]!.url).toBe('/api/v1/admin/webhooks/stripe');
    expect(calls[2]!.url).toBe('/api/v1/admin/webhooks/stripe/25/retry');
    expect(calls[2]!.init.method).toBe('POST');
    expect(calls[3]!.url).toBe('/api/v1/admin/webhooks/stripe?limit=25&ending_before=40');
  });

  it("reads, previews, changes, withdraws, cancels and reactivates a subscription on billingd's paths", async () => {
    const { api, calls } = setup(() => json(200, { id: 'sub_1' }));
    await api.subscription('sub_1');
    await api.availablePlans();
    await api.previewPlanChange('sub_1', { plan: 'growth' });
    await api.changePlan('sub_1', { plan: 'growth', version: 2, effective: 'now' }, 'change-growth-0001-abcdef');
    await api.withdrawScheduledChange('sub_1');
    await api.cancelSubscription('sub_1', 'period_end', 'cancel-sub1-0001-abcdef');
    await api.reactivateSubscription('sub_1');
    expect(
      calls.map((c) => `${c.init.method} ${c.url} ${typeof c.init.body === 'string' ? c.init.body : ''}`.trim()),
    ).toEqual([
      'GET /api/v1/billing/subscriptions/sub_1',
      'GET /api/v1/billing/plans',
      'POST /api/v1/billing/subscriptions/sub_1/change/preview {"plan":"growth"}',
      'POST /api/v1/billing/subscriptions/sub_1/change {"plan":"growth","version":2,"effective":"now"}',
      'DELETE /api/v1/billing/subscriptions/sub_1/scheduled-change',
      'POST /api/v1/billing/subscriptions/sub_1/cancel {"at":"period_end"}',
      'POST /api/v1/billing/subscriptions/sub_1/reactivate {}',
    ]);
    const key = (index: number) => (calls[index]!.init.headers as Record<string, string>)['Idempotency-Key'];
    expect(key(3)).toBe('change-growth-0001-abcdef');
    expect(key(5)).toBe('cancel-sub1-0001-abcdef');
    expect(key(2)).toBeUndefined();
    await expect(api.changePlan('sub_1', { plan: 'growth' }, 'short')).rejects.toBeInstanceOf(RangeError);
    expect(calls).toHaveLength(7);
  });

  it('keeps remembered answers over a plan change preview, and forgets them after a change', async () => {
    const { api, calls } = setup(() => json(200, { id: 'sub_1' }));
    await api.subscription('sub_1');
    await api.previewPlanChange('sub_1', { plan: 'growth' });
    await api.subscription('sub_1');
    expect(calls.filter((c) => c.init.method === 'GET')).toHaveLength(1);
    await api.changePlan('sub_1', { plan: 'growth' });
    await api.subscription('sub_1');
    expect(calls.filter((c) => c.init.method === 'GET')).toHaveLength(2);
  });

  it('escapes ids in paths', async () => {
    const { api, calls } = setup(() => json(200, {}));
    await api.invoice('inv_1/../x');
    expect(calls[0]!.url).toBe('/api/v1/billing/invoices/inv_1%2F..%2Fx');
  });
});
