import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { serverFieldError } from '../adminForms';
import { ApiClient, ApiError } from '../api';
import { BillingApi } from '../billing';
import {
  answerLabel,
  attemptSucceeded,
  buildEndpoint,
  DELIVERIES_PAGE_SIZE,
  DELIVERY_STATUSES,
  deliveryQuery,
  deliveryViewParams,
  emptyEndpointDraft,
  ENDPOINT_FIELDS,
  endpointScope,
  endpointStatusLabel,
  EVENT_TYPES,
  eventTypesFor,
  formatLatency,
  isAllEvents,
  lastAnswer,
  parseDeliveryView,
  previousSecretActive,
  toggleEvent,
  type EndpointDraft,
} from '../webhooks';

const document = parse(
  readFileSync(fileURLToPath(new URL('../../../../docs/openapi.yaml', import.meta.url)), 'utf8'),
) as {
  paths: Record<string, Record<string, { parameters?: { name?: string; schema?: { enum?: string[] } }[] }>>;
  components: { schemas: Record<string, { enum?: string[]; properties?: Record<string, { enum?: string[] }> }> };
};

function draft(patch: Partial<EndpointDraft>): EndpointDraft {
  return { ...emptyEndpointDraft(), ...patch };
}

describe('event types', () => {
  it('are the documented ones, without "*"', () => {
    const documented = document.components.schemas.WebhookEventType!.enum!;
    expect(documented).toContain('*');
    expect(EVENT_TYPES).toEqual(documented.filter((type) => type !== '*'));
  });

  it('offer members only their customer’s events, admins also the platform’s', () => {
    expect(eventTypesFor('admin')).toEqual(EVENT_TYPES);
    expect(eventTypesFor('member')).not.toContain('reconciliation.alert');
    expect(eventTypesFor('member')).toHaveLength(EVENT_TYPES.length - 1);
  });

  it('are all of them with "*"', () => {
    expect(isAllEvents(['*'])).toBe(true);
    expect(isAllEvents(['invoice.paid'])).toBe(false);
  });

  it('are added and taken out in the document’s order', () => {
    let events = toggleEvent([], 'usage.threshold_crossed', true);
    events = toggleEvent(events, 'credit_note.created', true);
    events = toggleEvent(events, 'credit_note.created', true);
    expect(events).toEqual(['credit_note.created', 'usage.threshold_crossed']);
    expect(toggleEvent(events, 'usage.threshold_crossed', false)).toEqual(['credit_note.created']);
  });
});

describe('the Add endpoint form', () => {
  it('needs a whole URL and at least one event, and says so on both fields at once', () => {
    expect(buildEndpoint(emptyEndpointDraft())).toEqual({
      errors: {
        url: 'Enter the URL Meterline posts events to.',
        events: 'Choose the events to send, or All events.',
      },
    });
    expect(buildEndpoint(draft({ url: 'hooks.example.com/meterline', allEvents: true }))).toEqual({
      errors: { url: 'Enter the whole URL, e.g. https://hooks.example.com/meterline.' },
    });
  });

  it('leaves the scheme and the address to the server (it may allow http and private targets)', () => {
    expect(buildEndpoint(draft({ url: 'http://127.0.0.1:8080/hook', allEvents: true }))).toEqual({
      body: { url: 'http://127.0.0.1:8080/hook', events: ['*'] },
    });
    expect(buildEndpoint(draft({ url: 'ftp://hooks.example.com/x', allEvents: true }))).toEqual({
      body: { url: 'ftp://hooks.example.com/x', events: ['*'] },
    });
  });

  it('sends ["*"] for all events, else the types chosen in the document’s order', () => {
    const chosen = draft({
      url: '  https://hooks.example.com/m ',
      description: '  ERP sync ',
      events: ['usage.threshold_crossed', 'invoice.finalized'],
    });
    expect(buildEndpoint(chosen)).toEqual({
      body: {
        url: 'https://hooks.example.com/m',
        events: ['invoice.finalized', 'usage.threshold_crossed'],
        description: 'ERP sync',
      },
    });
    // All events wins over the boxes ticked before it; a blank description is left out.
    expect(buildEndpoint({ ...chosen, allEvents: true, description: '   ' })).toEqual({
      body: { url: 'https://hooks.example.com/m', events: ['*'] },
    });
  });

  it('puts the server’s error on the field its param names, and a limit above the buttons', () => {
    const refused = (param: string | null, code = 'invalid_request') =>
      new ApiError({ status: param ? 400 : 409, code, message: 'Refused.', detail: 'refused', requestId: null, param });
    expect(serverFieldError(refused('url'), [], ENDPOINT_FIELDS)).toEqual({ url: 'Refused.' });
    expect(serverFieldError(refused('events'), [], ENDPOINT_FIELDS)).toEqual({ events: 'Refused.' });
    expect(serverFieldError(refused('description'), [], ENDPOINT_FIELDS)).toEqual({ description: 'Refused.' });
    expect(serverFieldError(refused(null, 'too_many_endpoints'), [], ENDPOINT_FIELDS)).toBeNull();
  });
});

describe('endpoints', () => {
  it('read as Enabled or Disabled, platform-wide or the customer’s', () => {
    expect(endpointStatusLabel({ status: 'enabled' })).toBe('Enabled');
    expect(endpointStatusLabel({ status: 'disabled' })).toBe('Disabled');
    const nameOf = (id: string) => (id === 'cus_1' ? 'Acme Ads' : id);
    expect(endpointScope({ customer_id: null }, nameOf)).toBe('Platform-wide');
    expect(endpointScope({ customer_id: 'cus_1' }, nameOf)).toBe('Acme Ads');
  });

  it('say whether a rotated-out secret still signs', () => {
    const now = new Date('2026-11-30T12:00:00Z');
    expect(previousSecretActive({ previous_secret_expires_at: null }, now)).toBe(false);
    expect(previousSecretActive({ previous_secret_expires_at: '2026-12-01T12:00:00Z' }, now)).toBe(true);
    expect(previousSecretActive({ previous_secret_expires_at: '2026-11-30T11:59:59Z' }, now)).toBe(false);
  });
});

describe('the deliveries view', () => {
  it('filters by exactly the documented statuses', () => {
    const list = document.paths['/api/v1/webhook-endpoints/{id}/deliveries']!.get!;
    const status = list.parameters?.find((p) => p.name === 'status');
    expect(status?.schema?.enum).toEqual(DELIVERY_STATUSES);
    expect(document.components.schemas.WebhookDelivery!.properties!.status!.enum).toEqual(DELIVERY_STATUSES);
  });

  it('reads ?status= and ?page=, leaving out anything malformed', () => {
    expect(parseDeliveryView(new URLSearchParams('status=failed&page=3'))).toEqual({ status: 'failed', page: 3 });
    expect(parseDeliveryView(new URLSearchParams('status=dead&page=-1'))).toEqual({ status: '', page: 1 });
    expect(parseDeliveryView(new URLSearchParams('page=1.5'))).toEqual({ status: '', page: 1 });
    expect(deliveryViewParams({ status: 'pending', page: 2 }).toString()).toBe('status=pending&page=2');
    expect(deliveryViewParams({ status: '', page: 1 }).toString()).toBe('');
  });

  it('asks for the page by offset', () => {
    expect(deliveryQuery({ status: '', page: 1 })).toEqual({
      status: undefined,
      limit: DELIVERIES_PAGE_SIZE,
      offset: 0,
    });
    expect(deliveryQuery({ status: 'succeeded', page: 3 })).toEqual({
      status: 'succeeded',
      limit: DELIVERIES_PAGE_SIZE,
      offset: 2 * DELIVERIES_PAGE_SIZE,
    });
  });

  it('says how the last attempt went, and how long an attempt took', () => {
    expect(lastAnswer({ attempts: 1, last_status_code: 200, last_error: null })).toBe('HTTP 200');
    expect(lastAnswer({ attempts: 2, last_status_code: null, last_error: "Couldn't connect to server" })).toBe(
      "Couldn't connect to server",
    );
    expect(lastAnswer({ attempts: 0, last_status_code: null, last_error: null })).toBe('Not tried yet');
    expect(answerLabel(null)).toBe('No answer');
    expect(answerLabel(503)).toBe('HTTP 503');
    expect(formatLatency(12)).toBe('12 ms');
    expect(formatLatency(1234)).toBe('1.2 s');
    expect(formatLatency(10_000)).toBe('10 s');
    expect(attemptSucceeded({ status_code: 204 })).toBe(true);
    expect(attemptSucceeded({ status_code: 301 })).toBe(false);
    expect(attemptSucceeded({ status_code: null })).toBe(false);
  });
});

describe('the webhook calls', () => {
  interface Call {
    url: string;
    init: RequestInit;
  }
  function setup(body: unknown = { object: 'list', data: [] }) {
    const calls: Call[] = [];
    const fetch = vi.fn((url: string, init?: RequestInit) => {
      calls.push({ url, init: init ?? {} });
      return Promise.resolve(new Response(JSON.stringify(body), { status: 200 }));
    }) as unknown as typeof globalThis.fetch;
    return { api: new BillingApi(new ApiClient({ fetch, csrfToken: () => 'csrf-wh' })), calls };
  }
  const header = (call: Call, name: string) => (call.init.headers as Record<string, string>)[name];

  it('lists endpoints by offset', async () => {
    const { api, calls } = setup();
    await api.webhookEndpoints({ limit: 20, offset: 40 });
    expect(calls[0]!.url).toBe('/api/v1/webhook-endpoints?limit=20&offset=40');
    expect(calls[0]!.init.method).toBe('GET');
  });

  it('adds an endpoint with the CSRF header and an Idempotency-Key', async () => {
    const { api, calls } = setup();
    await api.createWebhookEndpoint({ url: 'https://h.example/m', events: ['*'] }, '0123456789abcdef');
    expect(calls[0]!.url).toBe('/api/v1/webhook-endpoints');
    expect(calls[0]!.init.method).toBe('POST');
    expect(header(calls[0]!, 'X-CSRF-Token')).toBe('csrf-wh');
    expect(header(calls[0]!, 'Idempotency-Key')).toBe('0123456789abcdef');
    expect(JSON.parse(calls[0]!.init.body as string)).toEqual({ url: 'https://h.example/m', events: ['*'] });
    await expect(api.createWebhookEndpoint({ url: 'x', events: ['*'] }, 'short')).rejects.toThrow(RangeError);
  });

  it('rotates with the overlap asked, enables and deletes, each with the CSRF header', async () => {
    const { api, calls } = setup();
    await api.rotateWebhookSecret('we_1', 24);
    await api.enableWebhookEndpoint('we_1');
    await api.deleteWebhookEndpoint('we/1');
    expect(calls.map((c) => `${c.init.method} ${c.url}`)).toEqual([
      'POST /api/v1/webhook-endpoints/we_1/rotate-secret',
      'POST /api/v1/webhook-endpoints/we_1/enable',
      'DELETE /api/v1/webhook-endpoints/we%2F1',
    ]);
    expect(JSON.parse(calls[0]!.init.body as string)).toEqual({ overlap_hours: 24 });
    for (const call of calls) expect(header(call, 'X-CSRF-Token')).toBe('csrf-wh');
  });

  it('reads the delivery log anew each time, and resends', async () => {
    const { api, calls } = setup();
    await api.webhookDeliveries('we_1', { status: 'failed' });
    await api.webhookDeliveries('we_1', { status: 'failed' });
    await api.webhookDelivery('we_1', 'wd_7');
    await api.webhookDelivery('we_1', 'wd_7');
    expect(calls).toHaveLength(4);
    expect(calls[0]!.url).toBe('/api/v1/webhook-endpoints/we_1/deliveries?status=failed&limit=20&offset=0');
    expect(calls[2]!.url).toBe('/api/v1/webhook-endpoints/we_1/deliveries/wd_7');
    await api.redeliverWebhookDelivery('we_1', 'wd_7');
    expect(calls[4]!.url).toBe('/api/v1/webhook-endpoints/we_1/deliveries/wd_7/redeliver');
    expect(calls[4]!.init.method).toBe('POST');
    expect(header(calls[4]!, 'X-CSRF-Token')).toBe('csrf-wh');
  });
});
