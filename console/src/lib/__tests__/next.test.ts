import { describe, expect, it } from 'vitest';
import { resolveNext } from '../next';
import { pdfFileName } from '../invoices';
import { RateBudget, SAME_MOMENT_MS } from '../rateBudget';
import { budgetText } from '../../components/BudgetNotice';
import { runStatusLabel } from '../../pages/admin/ReconciliationPage';

const member = { id: 'usr_b', role: 'member' as const };
const admin = { id: 'usr_a', role: 'admin' as const };

describe('where to go after signing in', () => {
  it('follows a next this tab recorded for the same user, or for nobody (a bookmark)', () => {
    const path = '/billing/invoices/inv_1';
    expect(resolveNext(path, { path, userId: 'usr_b' }, member)).toBe(path);
    expect(resolveNext(path, { path, userId: null }, member)).toBe(path);
  });

  it("does not send another user to the previous user's page", () => {
    const path = '/billing/invoices/inv_1';
    expect(resolveNext(path, { path, userId: 'usr_other' }, member)).toBe('/');
    expect(resolveNext('/billing/invoices?status=paid', { path: '/x', userId: null }, member)).toBe(
      '/billing/invoices?status=paid',
    );
  });

  it('sends a link from elsewhere to lists, never to one invoice, and members never to admin pages', () => {
    expect(resolveNext('/billing/invoices/inv_1', null, member)).toBe('/billing/invoices');
    expect(resolveNext('/admin/users', null, member)).toBe('/');
    expect(resolveNext('/admin/users', { path: '/admin/users', userId: 'usr_b' }, member)).toBe('/');
    expect(resolveNext('/admin/users', null, admin)).toBe('/admin/users');
    expect(resolveNext('/billing/usage?customer=cus_x', null, member)).toBe('/billing/usage');
    expect(resolveNext('/billing/usage?customer=cus_x', null, admin)).toBe('/billing/usage?customer=cus_x');
    expect(resolveNext('https://evil.example/', null, admin)).toBe('/');
    expect(resolveNext(null, null, admin)).toBe('/');
  });
});

describe('invoice PDF names', () => {
  const period = { start: '2026-11-01T00:00:00Z', end: '2026-12-01T00:00:00Z' };
  it('names an issued invoice by its number and a draft by customer and month', () => {
    expect(pdfFileName({ id: 'inv_1', number: 'INV-2026-000012', status: 'paid', period, customer_id: 'cus_1' })).toBe(
      'INV-2026-000012.pdf',
    );
    expect(
      pdfFileName({ id: 'inv_1', number: null, status: 'draft', period, customer_id: 'cus_1' }, 'Acme Ads, Inc.'),
    ).toBe('draft-acme-ads-inc-2026-11.pdf');
    expect(pdfFileName({ id: 'inv_1', number: null, status: 'draft', period, customer_id: 'cus_1' })).toBe(
      'draft-cus_1-2026-11.pdf',
    );
  });
});

describe('request budget', () => {
  const headers = (limit: number, remaining: number, reset: number, policy: string) =>
    new Headers({
      'RateLimit-Limit': String(limit),
      'RateLimit-Remaining': String(remaining),
      'RateLimit-Reset': String(reset),
      'RateLimit-Policy': policy,
    });

  it('keeps the group closest to running out, and is low under 20 %', () => {
    let now = 0;
    const budget = new RateBudget(() => now);
    budget.update(headers(30, 29, 60, '30;w=60'));
    budget.update(headers(40, 10, 600, '40;w=900'));
    expect(budget.current()?.policy).toBe('40;w=900');
    expect(RateBudget.isLow(budget.current())).toBe(false);
    budget.update(headers(40, 7, 590, '40;w=900'));
    expect(RateBudget.isLow(budget.current())).toBe(true);
    expect(budgetText(budget.current()!, now)).toBe('7 requests left in this window, resets in 10 min.');
    now = 600_000;
    budget.expire();
    expect(budget.current()).toBeNull();
  });

  it('keeps the fewest remaining of answers that arrive together, in any order', () => {
    let now = 0;
    const budget = new RateBudget(() => now);
    // A page's requests, sent at once: the server counted 9, 8, 7 left; the answers arrive 7, 9, 8.
    budget.update(headers(40, 7, 600, '40;w=900'));
    now = 40;
    budget.update(headers(40, 9, 600, '40;w=900'));
    budget.update(headers(40, 8, 600, '40;w=900'));
    expect(budget.current()?.remaining).toBe(7);
    expect(RateBudget.isLow(budget.current())).toBe(true);
    // Fewer still: taken at once.
    budget.update(headers(40, 6, 600, '40;w=900'));
    expect(budget.current()?.remaining).toBe(6);
    // Later, more left (the window refilled): the new count holds.
    now = 2040 + SAME_MOMENT_MS;
    budget.update(headers(40, 30, 600, '40;w=900'));
    expect(budget.current()?.remaining).toBe(30);
  });

  it('ignores answers without the headers', () => {
    const budget = new RateBudget();
    budget.update(new Headers());
    expect(budget.current()).toBeNull();
  });
});

describe('reconciliation history', () => {
  it('names run statuses in words', () => {
    expect(runStatusLabel('completed')).toBe('Completed');
    expect(runStatusLabel('partially_done')).toBe('Partially done');
  });
});
