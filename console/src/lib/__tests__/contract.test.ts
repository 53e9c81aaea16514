// Runtime half of the contract check (contract.ts is the compile-time half):
// every request the console makes goes to a path and method that
// docs/openapi.yaml documents.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { ApiClient } from '../api';
import { BillingApi } from '../billing';
import { INVOICE_STATUSES } from '../types';

const document = parse(
  readFileSync(fileURLToPath(new URL('../../../../docs/openapi.yaml', import.meta.url)), 'utf8'),
) as {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
};

function documented(method: string, path: string): boolean {
  for (const [template, operations] of Object.entries(document.paths)) {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (pattern.test(path) && method.toLowerCase() in operations) return true;
  }
  return false;
}

function templateOf(path: string): string {
  return path.replace(/\/((inv|rec|cus|usr|key|we|wd)_[^/]+|\d+)(?=\/|$)/g, '/{id}');
}

describe('the client against docs/openapi.yaml', () => {
  it('calls only documented operations', async () => {
    const seen: { method: string; path: string }[] = [];
    const fetch = vi.fn((url: string, init?: RequestInit) => {
      seen.push({ method: init?.method ?? 'GET', path: new URL(url, 'http://x').pathname });
      return Promise.resolve(
        new Response(JSON.stringify({ user: {}, csrf_token: 't', object: 'list', data: [] }), { status: 200 }),
      );
    }) as unknown as typeof globalThis.fetch;
    const api = new BillingApi(new ApiClient({ fetch, csrfToken: () => 't' }));
    await api.features();
    await api.login('a@b', 'c');
    await api.logout();
    await api.me();
    await api.customers();
    await api.currentUsage('cus_1');
    await api.usageHistory({ customerId: 'cus_1' });
    await api.invoices({ status: 'paid' });
    await api.invoice('inv_1');
    await api.invoicePdf('inv_1');
    await api.reconcile({ idempotencyKey: '0123456789abcdef' });
    await api.reconciliations();
    await api.reconciliation('rec_1');
    await api.users({ limit: 20, offset: 0 });
    await api.updateUser('usr_1', { disabled: true });
    await api.revokeUserSessions('usr_1');
    await api.customers({ q: 'acme' });
    await api.createCustomer({ name: 'Echo' }, '0123456789abcdef');
    await api.updateCustomer('cus_1', { name: 'Echo' });
    await api.apiKeys();
    await api.createApiKey({ name: 'ingest' });
    await api.revokeApiKey('key_1');
    await api.stripeWebhookEvents({ startingAfter: 23 });
    await api.retryStripeWebhookEvent(25);
    await api.webhookEndpoints();
    await api.webhookEndpoint('we_1');
    await api.createWebhookEndpoint({ url: 'https://hooks.example.com/m', events: ['*'] }, '0123456789abcdef');
    await api.deleteWebhookEndpoint('we_1');
    await api.rotateWebhookSecret('we_1', 24);
    await api.enableWebhookEndpoint('we_1');
    await api.webhookDeliveries('we_1', { status: 'failed' });
    await api.webhookDelivery('we_1', 'wd_1');
    await api.redeliverWebhookDelivery('we_1', 'wd_1');
    expect(seen).toHaveLength(33);
    for (const { method, path } of seen) {
      const key = `${method} ${templateOf(path)}`;
      expect(documented(method, path), `${key} is not in docs/openapi.yaml`).toBe(true);
    }
  });

  it('filters invoices by exactly the documented statuses', () => {
    const parameters = (
      document.paths['/api/v1/billing/invoices']!.get as { parameters: { name: string; schema: { enum?: string[] } }[] }
    ).parameters;
    const status = parameters.find((p) => p.name === 'status');
    expect(status?.schema.enum).toEqual(['all', ...INVOICE_STATUSES]);
  });

  it('reads money as the documented Amount: integer minor units and a currency', () => {
    const amount = document.components.schemas.Amount!;
    expect(amount.required).toEqual(['minor', 'currency']);
    expect(amount.properties?.minor).toMatchObject({ type: 'integer' });
  });
});
