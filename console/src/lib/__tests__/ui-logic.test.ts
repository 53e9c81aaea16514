import { describe, expect, it } from 'vitest';
import { visibleNavItems } from '../../components/Shell';
import { isUnavailable, keepKeyAfter } from '../../pages/admin/ReconciliationPage';
import { safeNext } from '../../pages/LoginPage';
import { ApiError } from '../api';
import { isOverdue, invoiceTitle } from '../invoices';

const flags = { billing: true, transparency: false, fraudDetection: false, abTesting: false };

function apiError(status: number, code = 'x', detail = ''): ApiError {
  return new ApiError({ status, code, message: 'm', detail, requestId: null });
}

describe('navigation', () => {
  it('shows Billing when billing is on, admin items only to admins', () => {
    expect(visibleNavItems(flags, { role: 'member' }).map((i) => i.label)).toEqual(['Billing']);
    expect(visibleNavItems(flags, { role: 'admin' }).map((i) => i.label)).toEqual(['Billing', 'Customers', 'Reconciliation']);
  });

  it('follows every feature flag', () => {
    expect(visibleNavItems({ ...flags, billing: false }, { role: 'admin' })).toEqual([]);
    const all = { billing: true, transparency: true, fraudDetection: true, abTesting: true };
    expect(visibleNavItems(all, { role: 'member' }).map((i) => i.label)).toEqual(['Billing', 'Transparency', 'Fraud detection', 'A/B testing']);
  });
});

describe('login redirect', () => {
  it('follows only paths inside the console', () => {
    expect(safeNext('/billing/invoices?status=paid')).toBe('/billing/invoices?status=paid');
    expect(safeNext('https://evil.example/')).toBe('/');
    expect(safeNext('//evil.example/')).toBe('/');
    expect(safeNext('/login?next=/x')).toBe('/');
    expect(safeNext(null)).toBe('/');
  });
});

describe('reconciliation requests', () => {
  it('retries with the same idempotency key only when the first attempt may have run', () => {
    expect(keepKeyAfter(apiError(0))).toBe(true);
    expect(keepKeyAfter(apiError(503))).toBe(true);
    expect(keepKeyAfter(apiError(409, 'in_progress'))).toBe(true);
    expect(keepKeyAfter(apiError(400))).toBe(false);
    expect(keepKeyAfter(apiError(422))).toBe(false);
    expect(keepKeyAfter(apiError(404))).toBe(false);
  });

  it('recognises a server without the reconciliation API', () => {
    expect(isUnavailable(apiError(404, 'not_found', 'no route for POST /api/v1/billing/reconcile'))).toBe(true);
    expect(isUnavailable(apiError(404, 'feature_disabled'))).toBe(false);
    expect(isUnavailable(apiError(500))).toBe(false);
    expect(isUnavailable(new Error('x'))).toBe(false);
  });
});

describe('invoices', () => {
  const now = new Date('2025-02-10T00:00:00Z');
  it('is overdue only when open and past its due date', () => {
    expect(isOverdue({ status: 'open', due_at: '2025-02-09T00:00:00Z' }, now)).toBe(true);
    expect(isOverdue({ status: 'open', due_at: '2025-02-11T00:00:00Z' }, now)).toBe(false);
    expect(isOverdue({ status: 'paid', due_at: '2025-02-09T00:00:00Z' }, now)).toBe(false);
    expect(isOverdue({ status: 'open', due_at: null }, now)).toBe(false);
  });

  it('titles drafts, which have no number', () => {
    expect(invoiceTitle({ number: 'INV-2025-000001', status: 'paid' })).toBe('INV-2025-000001');
    expect(invoiceTitle({ number: null, status: 'draft' })).toBe('Draft invoice');
  });
});
