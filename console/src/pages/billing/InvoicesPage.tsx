import { ChevronLeft, ChevronRight, Download, Eye, FilterX } from 'lucide-react';
import { useEffect, useId } from 'react';
import { Link, useLocation, useSearchParams } from 'react-router';
import { customerName, useCustomerScope, useCustomers } from '../../app/customers';
import { DateField } from '../../components/DateField';
import { StatusBadge, statusLabel } from '../../components/StatusBadge';
import { EmptyState, ErrorState, LoadingState, Spinner } from '../../components/states';
import { NumHeader } from '../../components/table';
import { api } from '../../lib/billing';
import { usePdfDownload } from '../../lib/download';
import { formatDate, formatMoney, formatPeriod, formatShortDate } from '../../lib/format';
import {
  EMPTY_FILTERS,
  filtersToParams,
  filtersToQuery,
  pageInfo,
  parseFilters,
  rangeProblem,
  STATUS_FILTERS,
  type InvoiceFilters,
} from '../../lib/invoiceFilters';
import { invoiceTitle, isOverdue, rememberListSearch } from '../../lib/invoices';
import { useAsync } from '../../lib/useAsync';
import { useDocumentTitle } from '../../lib/useDocumentTitle';
import { TableScroll } from '../../components/TableScroll';

export function InvoicesPage() {
  useDocumentTitle('Invoices');
  const [params, setParams] = useSearchParams();
  const location = useLocation();
  const scope = useCustomerScope();
  const customers = useCustomers();
  const filters = parseFilters(params);
  const problem = rangeProblem(filters);
  const ids = { status: useId(), from: useId(), to: useId() };

  useEffect(() => rememberListSearch(location.search), [location.search]);

  const list = useAsync(
    async (signal) => (problem ? null : api.invoices(filtersToQuery(filters), { signal })),
    [filters.status, filters.from, filters.to, filters.page, filters.customer, problem],
  );
  const pdf = usePdfDownload();

  const update = (change: Partial<InvoiceFilters>) => {
    // Any filter change starts again at page 1.
    setParams(filtersToParams({ ...filters, page: 1, ...change }));
  };
  const filtered = filters.status !== 'all' || filters.from !== '' || filters.to !== '';
  const showCustomer = scope.isAdmin && !filters.customer;
  const page = list.data;
  const info = page ? pageInfo(filters.page, page.data.length, page.total) : null;

  return (
    <div className="stack">
      <form
        className="filters card"
        role="search"
        aria-label="Filter invoices"
        onSubmit={(event) => event.preventDefault()}
      >
        <div className="field">
          <label htmlFor={ids.status}>Status</label>
          <select
            id={ids.status}
            value={filters.status}
            onChange={(event) => update({ status: event.target.value as InvoiceFilters['status'] })}
          >
            {STATUS_FILTERS.map((status) => (
              <option key={status} value={status}>
                {status === 'all' ? 'All statuses' : statusLabel(status)}
              </option>
            ))}
          </select>
        </div>
        <fieldset className="date-range">
          <legend className="visually-hidden">Issued between</legend>
          <DateField id={ids.from} label="Issued from" value={filters.from} onChange={(from) => update({ from })} />
          <DateField id={ids.to} label="Issued to" value={filters.to} onChange={(to) => update({ to })} />
        </fieldset>
        <div className="filters-actions">
          <button
            type="button"
            className="button button-ghost"
            onClick={() => setParams(filtersToParams({ ...EMPTY_FILTERS, customer: filters.customer }))}
            disabled={!filtered}
          >
            <FilterX aria-hidden="true" size={16} /> Clear filters
          </button>
        </div>
        {problem && (
          <p className="field-error filters-problem" role="alert">
            {problem}
          </p>
        )}
      </form>

      {pdf.error && (
        <p className="form-error" role="alert">
          The PDF could not be downloaded: {pdf.error.message}
        </p>
      )}

      {problem ? null : list.error ? (
        <ErrorState error={list.error} title="Invoices could not be loaded" onRetry={list.reload} />
      ) : !page ? (
        <LoadingState label="Loading invoices…" rows={5} />
      ) : page.data.length === 0 && page.total > 0 ? (
        <EmptyState title="This page is past the last invoice">
          <p>
            <button
              type="button"
              className="link-button"
              onClick={() => setParams(filtersToParams({ ...filters, page: 1 }))}
            >
              Go to the first page
            </button>
          </p>
        </EmptyState>
      ) : page.data.length === 0 ? (
        <EmptyState title={filtered ? 'No invoices match these filters' : 'No invoices yet'}>
          {filtered ? (
            <p>
              Try another status or date range, or{' '}
              <button
                type="button"
                className="link-button"
                onClick={() => setParams(filtersToParams({ ...EMPTY_FILTERS, customer: filters.customer }))}
              >
                clear the filters
              </button>
              .
            </p>
          ) : (
            <p>Invoices appear here after the first billing period closes.</p>
          )}
        </EmptyState>
      ) : (
        <section className="card card-flush" aria-labelledby="invoice-list-title" aria-busy={list.loading}>
          <h2 id="invoice-list-title" className="visually-hidden">
            Invoices
          </h2>
          <TableScroll label="Invoices">
            <table
              className={`table table-invoices${showCustomer ? ' table-invoices-customers' : ''}`}
              data-testid="invoice-table"
            >
              <thead>
                <tr>
                  <th scope="col">Invoice</th>
                  {showCustomer && <th scope="col">Customer</th>}
                  <th scope="col">Issued</th>
                  <th scope="col">Status</th>
                  <NumHeader>Total</NumHeader>
                  <th scope="col" className="actions-col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {page.data.map((invoice) => {
                  const title = invoiceTitle(invoice);
                  const detail = `/billing/invoices/${encodeURIComponent(invoice.id)}${scope.query}`;
                  const name = customerName(customers.data, invoice.customer_id);
                  const draft = invoice.status === 'draft';
                  return (
                    <tr key={invoice.id} data-invoice={invoice.id} data-status={invoice.status}>
                      <th scope="row" className="cell-invoice">
                        <Link to={detail} state={{ listSearch: location.search }} className="invoice-link">
                          {title}
                        </Link>
                        <span className="cell-sub nowrap">{formatPeriod(invoice.period)}</span>
                      </th>
                      {showCustomer && (
                        <td className="cell-customer" data-label="Customer">
                          {name}
                        </td>
                      )}
                      <td className="cell-dates">
                        <span className="cell-title nowrap">
                          {draft ? 'Not issued' : formatDate(invoice.created_at)}
                        </span>
                        {invoice.status === 'open' && (
                          <span className="cell-sub nowrap">
                            <span className="due-long">Due {formatDate(invoice.due_at)}</span>
                            {/* Phones: the year is the period's, shown beside it. */}
                            <span className="due-short">Due {formatShortDate(invoice.due_at ?? '')}</span>
                          </span>
                        )}
                      </td>
                      <td className="cell-status">
                        <StatusBadge status={invoice.status} overdue={isOverdue(invoice)} />
                      </td>
                      <td className="num cell-total">{formatMoney(invoice.total)}</td>
                      <td className="actions-cell">
                        <div className="actions">
                          <Link
                            to={detail}
                            state={{ listSearch: location.search }}
                            className="icon-button"
                            title={`View ${title}`}
                          >
                            <Eye aria-hidden="true" size={18} />
                            <span className="visually-hidden">View {title}</span>
                          </Link>
                          <button
                            type="button"
                            className="icon-button"
                            onClick={() => void pdf.download(invoice, scope.isAdmin ? name : null)}
                            disabled={pdf.pendingId === invoice.id}
                            title={`Download ${title} as PDF`}
                          >
                            {pdf.pendingId === invoice.id ? (
                              <Spinner label="Downloading" />
                            ) : (
                              <Download aria-hidden="true" size={18} />
                            )}
                            <span className="visually-hidden">Download {title} as PDF</span>
                          </button>
                        </div>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableScroll>
          {info && (
            <nav className="pagination" aria-label="Pages">
              <p className="page-info" aria-live="polite" data-testid="page-info">
                Showing {info.first}–{info.last} of {info.total} · Page {info.page} of {info.pages}
              </p>
              <div className="pagination-buttons">
                <button
                  type="button"
                  className="button button-secondary"
                  disabled={filters.page <= 1}
                  onClick={() => setParams(filtersToParams({ ...filters, page: filters.page - 1 }))}
                >
                  <ChevronLeft aria-hidden="true" size={16} /> Previous
                </button>
                <button
                  type="button"
                  className="button button-secondary"
                  disabled={page.next_offset === null}
                  onClick={() => setParams(filtersToParams({ ...filters, page: filters.page + 1 }))}
                >
                  Next <ChevronRight aria-hidden="true" size={16} />
                </button>
              </div>
            </nav>
          )}
        </section>
      )}
    </div>
  );
}
