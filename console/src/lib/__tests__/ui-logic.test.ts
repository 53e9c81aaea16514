import { describe, expect, it } from 'vitest';
import { visibleNavItems } from '../../components/Shell';
import { adminTabs } from '../../pages/admin/AdminLayout';
import { isYearMonth, keepKeyAfter, lastClosedMonth } from '../../pages/admin/ReconciliationPage';
import { safeNext } from '../../pages/LoginPage';
import { ApiError } from '../api';
import { isOverdue, invoiceTitle } from '../invoices';

const flags = { billing: true, transparency: false, fraudDetection: false, abTesting: false };

function apiError(status: number, code = 'x', detail = ''): ApiError {
  return new ApiError({ status, code, message: 'm', detail, requestId: null });
}

describe('navigation', () => {
  it('shows Billing when billing is on, Webhooks to everyone, admin items only to admins', () => {
    expect(visibleNavItems(flags, { role: 'member' }).map((i) => i.label)).toEqual(['Billing', 'Webhooks']);
    expect(visibleNavItems(flags, { role: 'admin' }).map((i) => i.label)).toEqual([
      'Billing',
      'Webhooks',
      'Customers',
      'Plans',
      'Reconciliation',
      'Analytics',
      'Users',
      'API keys',
      'Stripe webhooks',
    ]);
  });

  it('follows every feature flag', () => {
    // Outgoing webhooks are no feature's: they stay with billing off.
    expect(visibleNavItems({ ...flags, billing: false }, { role: 'member' }).map((i) => i.label)).toEqual(['Webhooks']);
    // Users are not billing's: admins manage them with billing off too.
    expect(visibleNavItems({ ...flags, billing: false }, { role: 'admin' }).map((i) => i.label)).toEqual([
      'Webhooks',
      'Users',
      'API keys',
      'Stripe webhooks',
    ]);
    expect(adminTabs({ ...flags, billing: false }).map((t) => t.to)).toEqual([
      '/admin/users',
      '/admin/api-keys',
      '/admin/webhooks',
    ]);
    expect(adminTabs(flags).map((t) => t.label)).toEqual([
      'Customers',
      'Plans',
      'Reconciliation',
      'Analytics',
      'Users',
      'API keys',
      'Stripe webhooks',
    ]);
    const all = { billing: true, transparency: true, fraudDetection: true, abTesting: true };
    expect(visibleNavItems(all, { role: 'member' }).map((i) => i.label)).toEqual([
      'Billing',
      'Transparency',
      'Fraud detection',
      'A/B testing',
      'Webhooks',
    ]);
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

  it('preselects the last closed month in UTC, as the server defaults to', () => {
    expect(lastClosedMonth(new Date('2025-02-10T00:00:00Z'))).toBe('2025-01');
    expect(lastClosedMonth(new Date('2025-01-01T00:30:00Z'))).toBe('2024-12');
    expect(lastClosedMonth(new Date('2025-10-31T23:59:59Z'))).toBe('2025-09');
    expect(lastClosedMonth(new Date('2025-11-01T00:00:00Z'))).toBe('2025-10');
  });

  it('takes a billing period only as YYYY-MM with a real month', () => {
    expect(isYearMonth('2025-01')).toBe(true);
    expect(isYearMonth('2024-12')).toBe(true);
    expect(isYearMonth(lastClosedMonth(new Date()))).toBe(true);
    for (const text of ['', '2025-1', '2025-13', '2025-00', '25-01', '2025/01', '2025-01-01', ' 2025-01', 'Jan 2025']) {
      expect(isYearMonth(text), text).toBe(false);
    }
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
