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
    const { api, calls } = setup(() => json(200, { invoices: [], total: 0, limit: 10, offset: 0, next_offset: null }));
    await api.invoices({ status: 'all', limit: 10, offset: 20 });
    await api.invoices({ status: 'paid', from: '2025-01-01', to: '2025-01-31', customerId: 'cus_1' });
    expect(calls[0]!.url).toBe('/api/v1/billing/invoices?limit=10&offset=20');
    expect(calls[1]!.url).toBe('/api/v1/billing/invoices?status=paid&from=2025-01-01&to=2025-01-31&customer_id=cus_1');
  });

  it('escapes ids in paths', async () => {
    const { api, calls } = setup(() => json(200, {}));
    await api.invoice('inv_1/../x');
    expect(calls[0]!.url).toBe('/api/v1/billing/invoices/inv_1%2F..%2Fx');
  });
});
