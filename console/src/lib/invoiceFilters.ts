// The invoice list's filters live in the URL (?status=paid&from=2025-01-01&to=…&page=2)
// so a filtered view can be shared and survives a reload. These functions are
// the only place that reads and writes those parameters.
import type { InvoiceQuery } from './billing';
import { INVOICE_STATUSES, type InvoiceStatus } from './types';

export const PAGE_SIZE = 10;

export type StatusFilter = InvoiceStatus | 'all';
export const STATUS_FILTERS: readonly StatusFilter[] = ['all', ...INVOICE_STATUSES];

export interface InvoiceFilters {
  status: StatusFilter;
  /** YYYY-MM-DD or "" (no bound); inclusive. */
  from: string;
  to: string;
  /** 1-based. */
  page: number;
  /** Admins: one customer's invoices, or "" for all. */
  customer: string;
}

export const EMPTY_FILTERS: InvoiceFilters = { status: 'all', from: '', to: '', page: 1, customer: '' };

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A real calendar date written YYYY-MM-DD ("2025-02-30" is not). */
export function isIsoDate(text: string): boolean {
  return validDate(text) !== '';
}

function validDate(text: string | null): string {
  if (!text || !DATE.test(text)) return '';
  const [y, m, d] = text.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d ? text : '';
}

/** Filters from a query string; anything malformed falls back to "no filter". */
export function parseFilters(params: URLSearchParams): InvoiceFilters {
  const status = params.get('status');
  const page = Number(params.get('page'));
  return {
    status: (STATUS_FILTERS as readonly string[]).includes(status ?? '') ? (status as StatusFilter) : 'all',
    from: validDate(params.get('from')),
    to: validDate(params.get('to')),
    page: Number.isInteger(page) && page >= 1 && page <= 1_000_000 ? page : 1,
    customer: params.get('customer') ?? '',
  };
}

/** Query parameters for filters; defaults are left out so URLs stay short. */
export function filtersToParams(filters: InvoiceFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.customer) params.set('customer', filters.customer);
  if (filters.status !== 'all') params.set('status', filters.status);
  if (filters.from) params.set('from', filters.from);
  if (filters.to) params.set('to', filters.to);
  if (filters.page > 1) params.set('page', String(filters.page));
  return params;
}

/** The API query for a page of the list. */
export function filtersToQuery(filters: InvoiceFilters): InvoiceQuery {
  return {
    status: filters.status,
    from: filters.from || undefined,
    to: filters.to || undefined,
    limit: PAGE_SIZE,
    offset: (filters.page - 1) * PAGE_SIZE,
    customerId: filters.customer || undefined,
  };
}

/** A date range where from is after to cannot match anything: say so before asking. */
export function rangeProblem(filters: Pick<InvoiceFilters, 'from' | 'to'>): string | null {
  if (filters.from && filters.to && filters.from > filters.to) return 'The start date is after the end date.';
  return null;
}

export interface PageInfo {
  first: number;
  last: number;
  total: number;
  page: number;
  pages: number;
}

/** "Showing 11–20 of 43": the rows on this page (first is 0 when there are none). */
export function pageInfo(page: number, rows: number, total: number): PageInfo {
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const first = rows === 0 ? 0 : (page - 1) * PAGE_SIZE + 1;
  return { first, last: rows === 0 ? 0 : first + rows - 1, total, page, pages };
}
