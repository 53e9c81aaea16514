import { describe, expect, it, vi } from 'vitest';
import {
  ApiClient,
  ApiError,
  buildUrl,
  csrfFromCookie,
  filenameFromDisposition,
  friendlyMessage,
  isNetworkError,
  isRetryable,
} from '../api';

interface Call {
  url: string;
  init: RequestInit;
}

function fakeFetch(responder: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  // ApiClient always passes fetch the URL as a string (buildUrl).
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const call = { url, init: init ?? {} };
    calls.push(call);
    return responder(call);
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

function errorBody(code: string, message: string, requestId = 'req_1') {
  return { error: { code, message, request_id: requestId } };
}

function header(call: Call, name: string): string | undefined {
  return (call.init.headers as Record<string, string>)[name];
}

describe('ApiClient', () => {
  it('sends the CSRF token on mutations only', async () => {
    const { fetch, calls } = fakeFetch(() => json(200, { ok: true }));
    const client = new ApiClient({ fetch, csrfToken: () => 'tok-123' });
    await client.request('GET', '/api/v1/billing/invoices');
    await client.request('POST', '/api/v1/billing/reconcile', { body: { period: '2025-01' } });
    await client.request('DELETE', '/api/v1/admin/api-keys/key_1');
    expect(header(calls[0]!, 'X-CSRF-Token')).toBeUndefined();
    expect(header(calls[1]!, 'X-CSRF-Token')).toBe('tok-123');
    expect(header(calls[2]!, 'X-CSRF-Token')).toBe('tok-123');
    expect(header(calls[1]!, 'Content-Type')).toBe('application/json');
    expect(calls[1]!.init.body).toBe('{"period":"2025-01"}');
    expect(calls[1]!.init.credentials).toBe('same-origin');
  });

  it('falls back to the token from the login response when the cookie is not readable', async () => {
    const { fetch, calls } = fakeFetch(() => json(200, {}));
    const client = new ApiClient({ fetch, csrfToken: () => null });
    await client.request('POST', '/x');
    expect(header(calls[0]!, 'X-CSRF-Token')).toBeUndefined();
    client.rememberCsrfToken('from-login');
    await client.request('POST', '/x');
    expect(header(calls[1]!, 'X-CSRF-Token')).toBe('from-login');
  });

  it('turns the error shape into an ApiError with a friendly message and the request id', async () => {
    const { fetch } = fakeFetch(() =>
      json(400, errorBody('invalid_request', 'limit must be between 1 and 100', 'req_abc')),
    );
    const client = new ApiClient({ fetch, csrfToken: () => null });
    const error = await client.request('GET', '/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    expect(apiError.status).toBe(400);
    expect(apiError.code).toBe('invalid_request');
    expect(apiError.requestId).toBe('req_abc');
    expect(apiError.detail).toBe('limit must be between 1 and 100');
    expect(apiError.message).toBe('Limit must be between 1 and 100.');
    expect(apiError.param).toBeNull();
  });

  it("keeps the field a validation error is about (the server's param)", async () => {
    const { fetch } = fakeFetch(() =>
      json(400, {
        error: { code: 'invalid_request', message: 'metadata values must be strings', param: 'metadata[tier]' },
      }),
    );
    const client = new ApiClient({ fetch, csrfToken: () => null });
    const error = (await client.request('POST', '/x').catch((e: unknown) => e)) as ApiError;
    expect(error.param).toBe('metadata[tier]');
    expect(error.message).toBe('Metadata values must be strings.');
  });

  it('reports an unexpected 401 to the handler (back to login), but not an expected one', async () => {
    const { fetch } = fakeFetch(() => json(401, errorBody('unauthenticated', 'no session')));
    const client = new ApiClient({ fetch, csrfToken: () => null });
    const onUnauthorized = vi.fn<(error: ApiError) => void>();
    client.onUnauthorized(onUnauthorized);
    await expect(client.request('GET', '/api/v1/billing/usage/current')).rejects.toMatchObject({ status: 401 });
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect(onUnauthorized.mock.calls[0]![0].message).toBe('Your session has ended. Please sign in again.');
    await expect(client.request('POST', '/api/v1/auth/login', { expectUnauthenticated: true })).rejects.toMatchObject({
      status: 401,
    });
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it('reports a network failure as status 0 with a message about the connection', async () => {
    const { fetch } = fakeFetch(() => {
      throw new TypeError('Failed to fetch');
    });
    const client = new ApiClient({ fetch, csrfToken: () => null });
    const error = await client.request('GET', '/x').catch((e: unknown) => e);
    expect(isNetworkError(error)).toBe(true);
    expect((error as ApiError).message).toMatch(/Cannot reach Meterline/);
  });

  it('keeps the status when the error body is not JSON (a proxy page)', async () => {
    const { fetch } = fakeFetch(
      () => new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
    );
    const client = new ApiClient({ fetch, csrfToken: () => null });
    const error = (await client.request('GET', '/x').catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(502);
    expect(error.code).toBe('http_502');
    expect(error.message).toBe('Meterline had a problem answering. Try again in a moment.');
  });

  it('uses Retry-After in the rate-limit message', async () => {
    const { fetch } = fakeFetch(() => json(429, errorBody('rate_limited', 'slow down'), { 'Retry-After': '42' }));
    const client = new ApiClient({ fetch, csrfToken: () => null });
    const error = (await client.request('GET', '/x').catch((e: unknown) => e)) as ApiError;
    expect(error.retryAfterSeconds).toBe(42);
    expect(error.message).toBe('This browser has used up its request budget for now. Try again in 42 seconds.');
    expect(isRetryable(error)).toBe(true);
  });

  it('returns undefined for 204 and parses JSON otherwise', async () => {
    let status = 204;
    const { fetch } = fakeFetch(() => (status === 204 ? new Response(null, { status: 204 }) : json(200, { a: 1 })));
    const client = new ApiClient({ fetch, csrfToken: () => null });
    expect(await client.request('POST', '/api/v1/auth/logout')).toBeUndefined();
    status = 200;
    expect(await client.request('GET', '/x')).toEqual({ a: 1 });
  });

  it('downloads bytes with the file name from Content-Disposition', async () => {
    const pdf = new TextEncoder().encode('%PDF-1.7 test');
    const { fetch, calls } = fakeFetch(
      () =>
        new Response(pdf, {
          status: 200,
          headers: {
            'Content-Type': 'application/pdf',
            'Content-Disposition': 'attachment; filename="INV-2025-000001.pdf"',
          },
        }),
    );
    const client = new ApiClient({ fetch, csrfToken: () => 'tok' });
    const result = await client.download('/api/v1/billing/invoices/inv_1/pdf');
    expect(result.filename).toBe('INV-2025-000001.pdf');
    expect(result.contentType).toBe('application/pdf');
    expect(new TextDecoder().decode(await result.blob.arrayBuffer())).toBe('%PDF-1.7 test');
    expect(header(calls[0]!, 'X-CSRF-Token')).toBeUndefined();
  });
});

describe('helpers', () => {
  it('reads the CSRF cookie among others', () => {
    expect(csrfFromCookie('a=1; mtl_csrf=abc%2Bdef; b=2')).toBe('abc+def');
    expect(csrfFromCookie('mtl_csrf_other=x')).toBeNull();
    expect(csrfFromCookie('mtl_csrf=')).toBeNull();
    expect(csrfFromCookie('')).toBeNull();
  });

  it('builds query strings, leaving out empty values', () => {
    expect(buildUrl('/p', { status: 'paid', from: '', to: undefined, limit: 10, customer_id: null })).toBe(
      '/p?status=paid&limit=10',
    );
    expect(buildUrl('/p', {})).toBe('/p');
    expect(buildUrl('/p', { q: 'a b&c' })).toBe('/p?q=a+b%26c');
  });

  it('finds file names in Content-Disposition', () => {
    expect(filenameFromDisposition('attachment; filename="a b.pdf"')).toBe('a b.pdf');
    expect(filenameFromDisposition('attachment; filename=plain.pdf')).toBe('plain.pdf');
    expect(filenameFromDisposition("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf")).toBe('résumé.pdf');
    expect(filenameFromDisposition(null)).toBeNull();
  });

  it('words messages for people', () => {
    expect(friendlyMessage(401, 'invalid_credentials', 'email or password is incorrect', null)).toBe(
      'The email or password is not correct.',
    );
    expect(friendlyMessage(403, 'csrf_failed', 'missing header', null)).toMatch(/could not be verified/);
    expect(friendlyMessage(403, 'forbidden', 'admin role required', null)).toBe(
      'You do not have access to this: admin role required.',
    );
    expect(friendlyMessage(403, 'forbidden', '', null)).toBe('You do not have access to this.');
    expect(friendlyMessage(404, 'feature_disabled', 'billing is disabled', null)).toMatch(/turned off/);
    expect(friendlyMessage(404, 'not_found', 'invoice inv_1 not found', null)).toMatch(/could not be found/);
    expect(friendlyMessage(409, 'in_progress', 'a reconciliation is running', null)).toBe(
      'A reconciliation is running.',
    );
    expect(friendlyMessage(429, 'too_many_attempts', 'locked', 300)).toBe(
      'Too many failed sign-ins. Try again in 5 minutes.',
    );
    expect(friendlyMessage(500, 'internal_error', 'boom', null)).not.toMatch(/boom/);
  });
});

describe('honest errors', () => {
  it("shows the server's message for a missing setting, says what to set, and offers no retry", async () => {
    const { fetch } = fakeFetch(() =>
      json(503, errorBody('not_configured', 'Stripe is not configured (STRIPE_SECRET_KEY)', 'req_s')),
    );
    const client = new ApiClient({ fetch, csrfToken: () => 't' });
    const error = (await client.request('POST', '/api/v1/billing/reconcile').catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(503);
    expect(error.message).toBe('Stripe is not configured (STRIPE_SECRET_KEY).');
    expect(error.hint).toMatch(/sets STRIPE_SECRET_KEY in billingd's environment/);
    expect(isRetryable(error)).toBe(false);
  });

  it('shows a dependency outage as the server words it, and offers a retry', () => {
    const message = 'a service billingd depends on is unavailable; retry later (request id req_1)';
    expect(friendlyMessage(503, 'database_unavailable', message, null)).toBe(
      'A service billingd depends on is unavailable; retry later (request id req_1).',
    );
    expect(
      isRetryable(
        new ApiError({ status: 503, code: 'database_unavailable', message, detail: message, requestId: null }),
      ),
    ).toBe(true);
  });

  it('retries only what asking again can change', () => {
    const error = (status: number, code = 'x') =>
      new ApiError({ status, code, message: 'm', detail: '', requestId: null });
    expect(isRetryable(error(0, 'network_error'))).toBe(true);
    expect(isRetryable(error(500, 'internal_error'))).toBe(true);
    expect(isRetryable(error(429, 'rate_limited'))).toBe(true);
    expect(isRetryable(error(409, 'in_progress'))).toBe(true);
    expect(isRetryable(error(409, 'conflict'))).toBe(false);
    expect(isRetryable(error(400, 'invalid_request'))).toBe(false);
    expect(isRetryable(error(404, 'not_found'))).toBe(false);
    expect(isRetryable(error(403, 'forbidden'))).toBe(false);
    expect(isRetryable(error(404, 'feature_disabled'))).toBe(false);
    expect(isRetryable(new Error('unknown'))).toBe(true);
    expect(isRetryable(new RangeError('bad argument'))).toBe(false);
  });

  it('shows 4xx messages as the server has them', () => {
    expect(friendlyMessage(422, 'unprocessable', 'period must be YYYY-MM', null)).toBe('Period must be YYYY-MM.');
    expect(friendlyMessage(404, 'not_found', 'no invoice inv_1', null)).toBe(
      'This could not be found: no invoice inv_1.',
    );
    expect(friendlyMessage(500, 'internal_error', 'internal error; quote request id req_1', null)).toBe(
      'Meterline had a problem answering. Try again in a moment.',
    );
  });
});

describe('remembered answers', () => {
  function counting(body: (url: string) => unknown = () => ({ n: 1 })) {
    let now = 1_000_000;
    const { fetch, calls } = fakeFetch((call) => json(200, body(call.url)));
    const client = new ApiClient({ fetch, csrfToken: () => 't', now: () => now });
    return { client, calls, advance: (ms: number) => (now += ms) };
  }

  it('answers a GET from memory while fresh, and asks again after 30 s', async () => {
    const { client, calls, advance } = counting();
    await client.request('GET', '/api/v1/billing/invoices', { query: { limit: 10 } });
    await client.request('GET', '/api/v1/billing/invoices', { query: { limit: 10 } });
    expect(calls).toHaveLength(1);
    await client.request('GET', '/api/v1/billing/invoices', { query: { limit: 20 } });
    expect(calls).toHaveLength(2);
    advance(30_001);
    await client.request('GET', '/api/v1/billing/invoices', { query: { limit: 10 } });
    expect(calls).toHaveLength(3);
  });

  it('sends one request for callers asking at once', async () => {
    const { client, calls } = counting();
    const [a, b] = await Promise.all([client.request('GET', '/x'), client.request('GET', '/x')]);
    expect(calls).toHaveLength(1);
    expect(a).toBe(b);
  });

  it('forgets everything after a change', async () => {
    const { client, calls } = counting();
    await client.request('GET', '/x');
    await client.request('PATCH', '/api/v1/admin/users/u1', { body: { disabled: true } });
    await client.request('GET', '/x');
    expect(calls.map((c) => c.init.method)).toEqual(['GET', 'PATCH', 'GET']);
  });

  it('keeps what it remembers across a POST that changes nothing, and never remembers a POST', async () => {
    const { client, calls } = counting();
    await client.request('GET', '/x');
    await client.request('POST', '/api/v1/billing/price-preview', { body: { plan: 'growth' }, readOnly: true });
    await client.request('POST', '/api/v1/billing/price-preview', { body: { plan: 'growth' }, readOnly: true });
    await client.request('GET', '/x');
    expect(calls.map((c) => c.init.method)).toEqual(['GET', 'POST', 'POST']);
  });

  it('asks anew when told not to remember, and does not remember errors', async () => {
    let status = 500;
    const { fetch, calls } = fakeFetch(() =>
      status === 500 ? json(500, errorBody('internal_error', 'x')) : json(200, {}),
    );
    const client = new ApiClient({ fetch, csrfToken: () => null });
    await expect(client.request('GET', '/x')).rejects.toBeInstanceOf(ApiError);
    status = 200;
    await client.request('GET', '/x');
    await client.request('GET', '/x', { cache: false });
    expect(calls).toHaveLength(3);
  });

  it('keeps the shared request for the callers still waiting when one of them leaves', async () => {
    let release: (r: Response) => void = () => undefined;
    const { fetch, calls } = fakeFetch(() => new Promise<Response>((resolve) => (release = resolve)));
    const client = new ApiClient({ fetch, csrfToken: () => null });
    const leaving = new AbortController();
    const first = client.request('GET', '/x', { signal: leaving.signal });
    const second = client.request('GET', '/x');
    leaving.abort();
    await expect(first).rejects.toMatchObject({ name: 'AbortError' });
    release(json(200, { ok: true }));
    expect(await second).toEqual({ ok: true });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.init.signal?.aborted).toBe(false);
  });

  it('reads the request budget from every answer', async () => {
    const { fetch } = fakeFetch(() =>
      json(
        200,
        {},
        {
          'RateLimit-Limit': '40',
          'RateLimit-Remaining': '7',
          'RateLimit-Reset': '300',
          'RateLimit-Policy': '40;w=900',
        },
      ),
    );
    const client = new ApiClient({ fetch, csrfToken: () => null, now: () => 0 });
    await client.request('GET', '/x');
    expect(client.budget.current()).toEqual({ limit: 40, remaining: 7, resetAt: 300_000, policy: '40;w=900' });
  });
});
