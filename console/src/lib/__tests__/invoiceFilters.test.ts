import { describe, expect, it } from 'vitest';
import {
  EMPTY_FILTERS,
  filtersToParams,
  filtersToQuery,
  PAGE_SIZE,
  pageInfo,
  parseFilters,
  rangeProblem,
  STATUS_FILTERS,
} from '../invoiceFilters';

describe('invoice filters in the URL', () => {
  it('round-trips through the query string', () => {
    const filters = { status: 'paid' as const, from: '2025-01-01', to: '2025-03-31', page: 3, customer: 'cus_1' };
    const params = filtersToParams(filters);
    expect(params.toString()).toBe('customer=cus_1&status=paid&from=2025-01-01&to=2025-03-31&page=3');
    expect(parseFilters(new URLSearchParams(params.toString()))).toEqual(filters);
  });

  it('leaves defaults out of the URL', () => {
    expect(filtersToParams(EMPTY_FILTERS).toString()).toBe('');
  });

  it('ignores malformed values', () => {
    const parsed = parseFilters(new URLSearchParams('status=bogus&from=2025-02-30&to=yesterday&page=-2'));
    expect(parsed).toEqual(EMPTY_FILTERS);
    expect(parseFilters(new URLSearchParams('page=1.5')).page).toBe(1);
  });

  it('offers every status the API knows, and "all"', () => {
    expect(STATUS_FILTERS).toEqual(['all', 'draft', 'open', 'paid', 'void', 'uncollectible']);
  });

  it('asks the API for one page', () => {
    expect(filtersToQuery({ ...EMPTY_FILTERS, page: 3 })).toEqual({
      status: 'all',
      from: undefined,
      to: undefined,
      limit: PAGE_SIZE,
      offset: 2 * PAGE_SIZE,
      customerId: undefined,
    });
  });

  it('spots a range that ends before it starts', () => {
    expect(rangeProblem({ from: '2025-02-01', to: '2025-01-31' })).toMatch(/after/);
    expect(rangeProblem({ from: '2025-01-31', to: '2025-01-31' })).toBeNull();
    expect(rangeProblem({ from: '', to: '2025-01-31' })).toBeNull();
  });

  it('describes the page shown', () => {
    expect(pageInfo(1, 10, 43)).toEqual({ first: 1, last: 10, total: 43, page: 1, pages: 5 });
    expect(pageInfo(5, 3, 43)).toEqual({ first: 41, last: 43, total: 43, page: 5, pages: 5 });
    expect(pageInfo(1, 0, 0)).toEqual({ first: 0, last: 0, total: 0, page: 1, pages: 1 });
  });
});
