// Admins: the business at a glance. Headline figures (MRR, ARR, paying
// customers, ARPU, net revenue retention, receivables), MRR over time with its
// movements, revenue by plan per month, receivables by days past due, the top
// customers and the invoices by status, one currency at a time (amounts in
// different currencies are never added); and exports of the raw rows as CSV or
// JSON Lines. The figures come from the summaries of the last refresh (as_of),
// which "Refresh now" rebuilds; receivables are live.
//
// The currency shown and the top customers' ranking live in the URL
// (?currency=EUR&by=usage), so a view can be shared and survives a reload.
import { CheckCircle2, Clock, Download, Info, RefreshCw } from 'lucide-react';
import { useId, useState, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import {
  AgingChart,
  MrrFigures,
  MrrMovementsChart,
  MrrTrendChart,
  RevenueByPlanChart,
} from '../../components/AnalyticsCharts';
import { DateField } from '../../components/DateField';
import { EmptyState, ErrorState, LoadingState, Spinner } from '../../components/states';
import { statusLabel, StatusBadge } from '../../components/StatusBadge';
import { NumCell, NumHeader } from '../../components/table';
import { TableScroll } from '../../components/TableScroll';
import {
  ANALYTICS_MONTHS,
  currenciesOf,
  EXPORT_FORMAT_LABELS,
  EXPORT_FORMATS,
  EXPORT_KIND_LABELS,
  EXPORT_KINDS,
  exportFileName,
  exportRangeProblem,
  exportUrl,
  formatCountChange,
  formatMoneyChange,
  formatNrr,
  hasMovements,
  hasRevenue,
  lastMonthRange,
  monthRange,
  ofCurrency,
  parseTopBy,
  pastDue,
  pickCurrency,
  shortMonth,
  sincePreviousMonth,
  TOP_CUSTOMERS_LIMIT,
  type ExportRequest,
} from '../../lib/analytics';
import { ApiError } from '../../lib/api';
import { api } from '../../lib/billing';
import { formatDate, formatDateTime, formatInteger, formatMoney } from '../../lib/format';
import {
  INVOICE_STATUSES,
  type AnalyticsRefresh,
  type ExportFormat,
  type ExportKind,
  type InvoiceStatus,
  type InvoiceStatusTotal,
  type MrrCurrency,
  type ReceivablesCurrency,
  type RevenueCurrency,
  type TopCustomersAnalytics,
  type TopCustomersBy,
} from '../../lib/types';
import { useAsync, type AsyncState } from '../../lib/useAsync';
import { useDocumentTitle } from '../../lib/useDocumentTitle';

export function AnalyticsPage() {
  useDocumentTitle('Analytics');
  const [params, setParams] = useSearchParams();
  const by = parseTopBy(params.get('by'));
  const mrr = useAsync((signal) => api.analyticsMrr(ANALYTICS_MONTHS, { signal }), []);
  const revenue = useAsync((signal) => api.analyticsRevenue(ANALYTICS_MONTHS, { signal }), []);
  const aging = useAsync((signal) => api.receivablesAging({ signal }), []);
  const top = useAsync((signal) => api.topCustomers(by, TOP_CUSTOMERS_LIMIT, { signal }), [by]);
  // The catalog's plan names for the revenue chart; without them it shows the plans' ids.
  const plans = useAsync(async (signal) => {
    try {
      return await api.plans({ signal });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      return null;
    }
  }, []);
  const planNames = new Map((plans.data?.data ?? []).map((plan) => [plan.id, plan.name]));

  const currencies = currenciesOf(
    mrr.data?.currencies,
    revenue.data?.currencies,
    aging.data?.currencies,
    top.data?.currencies,
  );
  const currency = pickCurrency(currencies, params.get('currency'));
  const setParam = (key: string, value: string | null) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (value) next.set(key, value);
        else next.delete(key);
        return next;
      },
      { replace: true },
    );

  const reloadAll = () => {
    mrr.reload();
    revenue.reload();
    aging.reload();
    top.reload();
  };

  const loaded = mrr.data && revenue.data && aging.data;
  const nothing = loaded && currencies.length === 0;
  const mrrOf = ofCurrency(mrr.data?.currencies, currency);
  const agingOf = ofCurrency(aging.data?.currencies, currency);

  return (
    <div className="stack analytics">
      <FreshnessBar
        asOf={mrr.data?.as_of}
        loading={!mrr.data && !mrr.error}
        currencies={currencies}
        currency={currency}
        onCurrency={(code) => setParam('currency', code === currencies[0] ? null : code)}
        onRefreshed={reloadAll}
      />
      {mrr.data && mrr.data.as_of === null && (
        <p className="callout callout-info" data-testid="analytics-never-refreshed">
          <Info aria-hidden="true" size={18} />
          <span>
            The summaries have not been built yet: MRR, revenue and top customers show once they are. Press Refresh now
            to build them.
          </span>
        </p>
      )}
      {nothing ? (
        <EmptyState title="Nothing to analyse yet">
          <p>No invoices, subscriptions or open amounts in any currency. The figures appear with the first invoices.</p>
        </EmptyState>
      ) : (
        <>
          <Headline state={mrr} currency={mrrOf} aging={agingOf} agingState={aging} />
          <div className="analytics-grid">
            <MrrCard state={mrr} currency={mrrOf} />
            <RevenueCard
              state={revenue}
              currency={ofCurrency(revenue.data?.currencies, currency)}
              planNames={planNames}
            />
            <AgingCard state={aging} currency={agingOf} />
            <TopCustomersCard
              state={top}
              by={by}
              currency={currency}
              onBy={(value) => setParam('by', value === 'revenue' ? null : value)}
            />
            <InvoicesByStatusCard state={revenue} currency={ofCurrency(revenue.data?.currencies, currency)} />
          </div>
        </>
      )}
      <ExportCard />
    </div>
  );
}

// ---------------------------------------------------------------------------

function FreshnessBar({
  asOf,
  loading,
  currencies,
  currency,
  onCurrency,
  onRefreshed,
}: {
  asOf: string | null | undefined;
  loading: boolean;
  currencies: string[];
  currency: string | null;
  onCurrency: (currency: string) => void;
  onRefreshed: () => void;
}) {
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [done, setDone] = useState<AnalyticsRefresh | null>(null);
  const refresh = async () => {
    setRunning(true);
    setError(null);
    setDone(null);
    try {
      const result = await api.refreshAnalytics();
      setDone(result);
      onRefreshed();
    } catch (caught) {
      setError(caught instanceof Error ? caught : new Error(String(caught)));
    } finally {
      setRunning(false);
    }
  };
  const busy = error instanceof ApiError && error.status === 409;
  return (
    <section className="card analytics-bar" aria-label="Freshness and currency" data-testid="analytics-bar">
      <div className="analytics-bar-text">
        <p className="analytics-as-of" data-testid="analytics-as-of">
          <Clock aria-hidden="true" size={16} />
          {loading ? (
            <span>Loading…</span>
          ) : asOf ? (
            <span>
              Figures as of <time dateTime={asOf}>{formatDateTime(asOf)}</time>
            </span>
          ) : asOf === null ? (
            <span>Not refreshed yet</span>
          ) : (
            <span>When the figures are from is not known: the MRR could not be loaded</span>
          )}
        </p>
        <p className="muted">
          MRR, revenue and top customers are from the last refresh; receivables are live.
          {currencies.length > 1 &&
            ' Each currency is shown on its own: amounts in different currencies are never added.'}
        </p>
      </div>
      <div className="analytics-bar-actions">
        {currencies.length > 1 ? (
          <div className="segmented" role="group" aria-label="Currency">
            {currencies.map((code) => (
              <button key={code} type="button" aria-pressed={code === currency} onClick={() => onCurrency(code)}>
                {code}
              </button>
            ))}
          </div>
        ) : currency ? (
          <span className="muted" data-testid="analytics-currency">
            Amounts in {currency}
          </span>
        ) : null}
        <button
          type="button"
          className="button button-secondary"
          onClick={() => void refresh()}
          disabled={running}
          aria-busy={running}
        >
          {running ? <Spinner /> : <RefreshCw aria-hidden="true" size={16} />}
          {running ? 'Refreshing…' : 'Refresh now'}
        </button>
      </div>
      {/* Always in the page, so the result of a refresh is announced when it arrives. */}
      <p className={done ? 'analytics-refreshed' : 'visually-hidden'} role="status" data-testid="refresh-status">
        {done && (
          <>
            <CheckCircle2 aria-hidden="true" size={16} />
            Refreshed {formatDateTime(done.refreshed_at)}: {formatInteger(done.customers)} customer
            {done.customers === 1 ? '' : 's'} and {formatInteger(done.invoices)} invoice
            {done.invoices === 1 ? '' : 's'} in {done.duration_ms < 1 ? 'under 1' : formatInteger(done.duration_ms)} ms.
          </>
        )}
      </p>
      {error && (
        <div className="analytics-bar-error">
          <ErrorState
            error={error}
            title={busy ? 'The refresh did not start' : 'The refresh did not run'}
            onRetry={() => void refresh()}
          >
            {busy && <p>Another refresh is under way: its figures show here once it is done. Try again in a moment.</p>}
          </ErrorState>
        </div>
      )}
    </section>
  );
}

// ---------------------------------------------------------------------------

function Stat({ label, value, note, testId }: { label: string; value: string; note?: ReactNode; testId: string }) {
  return (
    <div className="card stat" data-testid={testId}>
      <span className="stat-label">{label}</span>
      <span className="stat-value">{value}</span>
      {note && <span className="stat-note">{note}</span>}
    </div>
  );
}

function Headline({
  state,
  currency,
  aging,
  agingState,
}: {
  state: AsyncState<unknown>;
  currency: MrrCurrency | undefined;
  aging: ReceivablesCurrency | undefined;
  agingState: AsyncState<unknown>;
}) {
  if (state.error) {
    return <ErrorState error={state.error} title="The headline figures could not be loaded" onRetry={state.reload} />;
  }
  if (!state.data) return <LoadingState label="Loading the headline figures…" rows={2} />;
  const since = currency ? sincePreviousMonth(currency) : null;
  const sinceText = (change: string, zero: boolean) =>
    since ? `${zero ? 'Unchanged' : change} since ${shortMonth(since.month, true)}` : undefined;
  const late = aging ? pastDue(aging) : null;
  return (
    <section className="analytics-stats" aria-label="Headline figures">
      <Stat
        testId="stat-mrr"
        label="MRR"
        value={currency ? formatMoney(currency.mrr) : '—'}
        note={since && sinceText(formatMoneyChange(since.mrr), since.mrr.minor === 0)}
      />
      <Stat
        testId="stat-arr"
        label="ARR"
        value={currency ? formatMoney(currency.arr) : '—'}
        note={currency && 'MRR × 12'}
      />
      <Stat
        testId="stat-customers"
        label="Paying customers"
        value={currency ? formatInteger(currency.paying_customers) : '—'}
        note={since && sinceText(formatCountChange(since.customers), since.customers === 0)}
      />
      <Stat
        testId="stat-arpu"
        label="ARPU"
        value={currency ? formatMoney(currency.arpu) : '—'}
        note={currency && 'MRR per paying customer'}
      />
      <Stat
        testId="stat-nrr"
        label="NRR (12 months)"
        value={formatNrr(currency?.net_revenue_retention_12m)}
        note={
          currency &&
          [
            currency.net_revenue_retention_12m === null ? 'Needs a year of history' : null,
            currency.net_revenue_retention !== null
              ? `${formatNrr(currency.net_revenue_retention)} month over month`
              : null,
          ]
            .filter(Boolean)
            .join('; ')
        }
      />
      <Stat
        testId="stat-outstanding"
        label="Outstanding receivables"
        value={aging ? formatMoney(aging.outstanding) : '—'}
        note={
          agingState.error
            ? 'Could not be loaded'
            : !agingState.data
              ? 'Loading…'
              : aging && late
                ? `${formatInteger(aging.invoices)} open invoice${aging.invoices === 1 ? '' : 's'}; ${late.minor > 0 ? `${formatMoney(late)} past due` : 'none past due'}`
                : 'Nothing outstanding'
        }
      />
    </section>
  );
}

// ---------------------------------------------------------------------------

/** A card of the page: its heading and description, then its loading, error or content. */
function Card({
  id,
  title,
  description,
  state,
  what,
  actions,
  wide = false,
  flush = false,
  testId,
  children,
}: {
  id: string;
  title: string;
  description?: ReactNode;
  state: AsyncState<unknown>;
  /** "the MRR", for "Loading the MRR…" and "The MRR could not be loaded". */
  what: string;
  actions?: ReactNode;
  wide?: boolean;
  flush?: boolean;
  testId: string;
  children: () => ReactNode;
}) {
  const body = state.error ? (
    <ErrorState
      error={state.error}
      title={`${what.charAt(0).toUpperCase()}${what.slice(1)} could not be loaded`}
      onRetry={state.reload}
    />
  ) : !state.data ? (
    <LoadingState label={`Loading ${what}…`} />
  ) : (
    children()
  );
  return (
    <section
      className={`card${flush ? ' card-flush' : ''}${wide ? ' analytics-wide' : ''}`}
      aria-labelledby={id}
      aria-busy={state.loading}
      data-testid={testId}
    >
      <div className={`card-head card-head-row${flush ? ' card-pad' : ''}`}>
        <div className="card-head-text">
          <h2 id={id}>{title}</h2>
          {description && <p className="muted">{description}</p>}
        </div>
        {actions}
      </div>
      {flush && (state.error || !state.data) ? <div className="card-pad">{body}</div> : body}
    </section>
  );
}

function MrrCard({ state, currency }: { state: AsyncState<unknown>; currency: MrrCurrency | undefined }) {
  const id = useId();
  return (
    <Card
      id={id}
      title="Monthly recurring revenue"
      description={
        currency
          ? `${monthRange(currency.months)}, the current month last: MRR and what moved it.`
          : 'MRR per month and what moved it.'
      }
      state={state}
      what="the MRR"
      wide
      testId="mrr-card"
    >
      {() =>
        !currency || (currency.months.every((m) => m.mrr.minor === 0) && !hasMovements(currency.months)) ? (
          <EmptyState title="No recurring revenue in these months">
            <p>MRR comes from the base fees of subscriptions; none were invoiced or active.</p>
          </EmptyState>
        ) : (
          <div className="analytics-mrr">
            <div className="analytics-pair">
              <MrrTrendChart currency={currency} />
              <MrrMovementsChart currency={currency} />
            </div>
            <MrrFigures currency={currency} />
          </div>
        )
      }
    </Card>
  );
}

function RevenueCard({
  state,
  currency,
  planNames,
}: {
  state: AsyncState<unknown>;
  currency: RevenueCurrency | undefined;
  planNames: ReadonlyMap<string, string>;
}) {
  const id = useId();
  return (
    <Card
      id={id}
      title="Revenue"
      description={
        currency ? (
          <>
            <strong data-testid="revenue-total">{formatMoney(currency.total)}</strong> invoiced for{' '}
            {monthRange(currency.months)} (open, paid and uncollectible invoices, before tax).
          </>
        ) : (
          'Invoiced per month, by plan.'
        )
      }
      state={state}
      what="the revenue"
      testId="revenue-card"
    >
      {() =>
        !currency || !hasRevenue(currency.months) ? (
          <EmptyState title="No invoiced revenue in these months" />
        ) : (
          <RevenueByPlanChart currency={currency} planNames={planNames} />
        )
      }
    </Card>
  );
}

function AgingCard({ state, currency }: { state: AsyncState<unknown>; currency: ReceivablesCurrency | undefined }) {
  const id = useId();
  return (
    <Card
      id={id}
      title="Receivables aging"
      description={
        currency ? (
          <>
            <strong>{formatMoney(currency.outstanding)}</strong> outstanding on {formatInteger(currency.invoices)} open
            invoice{currency.invoices === 1 ? '' : 's'}.
          </>
        ) : (
          'What open invoices still owe, by days past due.'
        )
      }
      state={state}
      what="the receivables"
      testId="aging-card"
    >
      {() =>
        !currency || currency.outstanding.minor === 0 ? (
          <p className="callout callout-success" role="status">
            <CheckCircle2 aria-hidden="true" size={18} />
            <span>Nothing is outstanding: every issued invoice is paid, void or uncollectible.</span>
          </p>
        ) : (
          <AgingChart currency={currency} />
        )
      }
    </Card>
  );
}

function TopCustomersCard({
  state,
  by,
  currency,
  onBy,
}: {
  state: AsyncState<TopCustomersAnalytics>;
  by: TopCustomersBy;
  currency: string | null;
  onBy: (by: TopCustomersBy) => void;
}) {
  const id = useId();
  const customers = ofCurrency(state.data?.currencies, currency)?.customers ?? [];
  return (
    <Card
      id={id}
      title="Top customers"
      description={`Up to ${TOP_CUSTOMERS_LIMIT} customers with the most ${by === 'usage' ? 'usage revenue' : 'revenue'} over the last 12 months.`}
      state={state}
      what="the top customers"
      flush
      testId="top-customers-card"
      actions={
        <div className="segmented" role="group" aria-label="Rank customers by">
          <button type="button" aria-pressed={by === 'revenue'} onClick={() => onBy('revenue')}>
            Revenue
          </button>
          <button type="button" aria-pressed={by === 'usage'} onClick={() => onBy('usage')}>
            Usage
          </button>
        </div>
      }
    >
      {() =>
        customers.length === 0 ? (
          <div className="card-pad">
            <EmptyState title={by === 'usage' ? 'No usage revenue yet' : 'No revenue yet'}>
              <p>Customers show here once their invoices are issued.</p>
            </EmptyState>
          </div>
        ) : (
          <TableScroll label="Top customers">
            <table className="table table-stack" data-testid="top-customers-table" data-by={by}>
              <caption className="visually-hidden">
                Top customers by {by === 'usage' ? 'usage revenue' : 'revenue'}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Customer</th>
                  <th scope="col" className="num" aria-sort={by === 'revenue' ? 'descending' : undefined}>
                    Revenue
                  </th>
                  <th scope="col" className="num" aria-sort={by === 'usage' ? 'descending' : undefined}>
                    Usage revenue
                  </th>
                </tr>
              </thead>
              <tbody>
                {customers.map((customer, index) => (
                  <tr key={customer.customer_id} data-customer={customer.customer_id}>
                    <th scope="row">
                      <span className="rank-cell">
                        <span className="rank">{index + 1}.</span>
                        <Link to={`/billing/usage?customer=${encodeURIComponent(customer.customer_id)}`}>
                          {customer.name || customer.customer_id}
                        </Link>
                      </span>
                    </th>
                    <NumCell label="Revenue">
                      {by === 'revenue' ? (
                        <strong>{formatMoney(customer.revenue)}</strong>
                      ) : (
                        formatMoney(customer.revenue)
                      )}
                    </NumCell>
                    <NumCell label="Usage revenue">
                      {by === 'usage' ? <strong>{formatMoney(customer.usage)}</strong> : formatMoney(customer.usage)}
                    </NumCell>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )
      }
    </Card>
  );
}

function isInvoiceStatus(status: string): status is InvoiceStatus {
  return (INVOICE_STATUSES as readonly string[]).includes(status);
}

function InvoicesByStatusCard({
  state,
  currency,
}: {
  state: AsyncState<unknown>;
  currency: RevenueCurrency | undefined;
}) {
  const id = useId();
  const rows: InvoiceStatusTotal[] = currency?.invoices_by_status ?? [];
  return (
    <Card
      id={id}
      title="Invoices by status"
      description="Every invoice in this currency, with its total."
      state={state}
      what="the invoices"
      flush
      testId="status-card"
    >
      {() =>
        rows.length === 0 ? (
          <div className="card-pad">
            <EmptyState title="No invoices yet" />
          </div>
        ) : (
          <TableScroll label="Invoices by status">
            <table className="table" data-testid="status-table">
              <caption className="visually-hidden">Invoices by status</caption>
              <thead>
                <tr>
                  <th scope="col">Status</th>
                  <NumHeader>Invoices</NumHeader>
                  <NumHeader>Total</NumHeader>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={row.status} data-status={row.status}>
                    <th scope="row">
                      {isInvoiceStatus(row.status) ? (
                        <Link
                          to={`/billing/invoices?status=${row.status}`}
                          aria-label={`${statusLabel(row.status)} invoices`}
                        >
                          <StatusBadge status={row.status} />
                        </Link>
                      ) : (
                        row.status
                      )}
                    </th>
                    <NumCell label="Invoices">{formatInteger(row.invoices)}</NumCell>
                    <NumCell label="Total">{formatMoney(row.total)}</NumCell>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )
      }
    </Card>
  );
}

// ---------------------------------------------------------------------------

const KIND_NOTES: Record<ExportKind, string> = {
  invoices: 'invoices created',
  invoice_lines: 'the lines of invoices created',
  usage_rollups: 'hourly usage',
  audit: 'audit log entries',
};

/** The export form: what, which days and how; the download is a plain link to the export's URL. */
function ExportCard() {
  const id = useId();
  const ids = { kind: `${id}-kind`, from: `${id}-from`, to: `${id}-to`, format: `${id}-format` };
  const [request, setRequest] = useState<ExportRequest>(() => ({
    kind: 'invoices',
    format: 'csv',
    ...lastMonthRange(new Date()),
  }));
  const update = (change: Partial<ExportRequest>) => setRequest((current) => ({ ...current, ...change }));
  const problem = exportRangeProblem(request.from, request.to);
  return (
    <section className="card" aria-labelledby={id} data-testid="export-card">
      <div className="card-head">
        <h2 id={id}>
          <Download aria-hidden="true" size={18} /> Export
        </h2>
        <p className="muted">
          The rows themselves, for a spreadsheet or a warehouse: money in integer minor units beside its currency, times
          in UTC. Each export is recorded in the audit log.
        </p>
      </div>
      <form className="filters export-form" onSubmit={(event) => event.preventDefault()} aria-label="Export">
        <div className="field">
          <label htmlFor={ids.kind}>Rows</label>
          <select
            id={ids.kind}
            value={request.kind}
            onChange={(event) => update({ kind: event.target.value as ExportKind })}
          >
            {EXPORT_KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {EXPORT_KIND_LABELS[kind]}
              </option>
            ))}
          </select>
        </div>
        <fieldset className="date-range">
          <legend className="visually-hidden">Days (UTC, both included)</legend>
          <DateField id={ids.from} label="From" value={request.from} onChange={(from) => update({ from })} />
          <DateField id={ids.to} label="To (included)" value={request.to} onChange={(to) => update({ to })} />
        </fieldset>
        <div className="field">
          <label htmlFor={ids.format}>Format</label>
          <select
            id={ids.format}
            value={request.format}
            onChange={(event) => update({ format: event.target.value as ExportFormat })}
          >
            {EXPORT_FORMATS.map((format) => (
              <option key={format} value={format}>
                {EXPORT_FORMAT_LABELS[format]}
              </option>
            ))}
          </select>
        </div>
        <div className="filters-actions">
          {problem ? (
            <button type="button" className="button button-primary" disabled>
              <Download aria-hidden="true" size={16} /> Download
            </button>
          ) : (
            <a
              className="button button-primary"
              href={exportUrl(request)}
              download={exportFileName(request)}
              data-testid="export-link"
            >
              <Download aria-hidden="true" size={16} /> Download {EXPORT_FORMAT_LABELS[request.format]}
            </a>
          )}
        </div>
        <p
          className={problem ? 'field-error filters-problem' : 'muted filters-problem'}
          aria-live="polite"
          data-testid="export-summary"
        >
          {problem ??
            `${EXPORT_KIND_LABELS[request.kind]}: ${KIND_NOTES[request.kind]} from ${formatDate(`${request.from}T00:00:00Z`)} to ${formatDate(`${request.to}T00:00:00Z`)} (UTC), both days included.`}
        </p>
      </form>
    </section>
  );
}
