import { CalendarDays, Receipt, Users } from 'lucide-react';
import { useId, useState } from 'react';
import { Navigate } from 'react-router';
import { rememberedCustomer, useCustomerScope } from '../../app/customers';
import { CursorPagination } from '../../components/CursorPagination';
import { EmptyState, ErrorState, LoadingState } from '../../components/states';
import { UsageChart } from '../../components/UsageChart';
import { UsageMeter } from '../../components/UsageMeter';
import { BudgetCard } from './BudgetCard';
import { ForecastSection } from './ForecastSection';
import { NumCell, NumHeader } from '../../components/table';
import { api } from '../../lib/billing';
import {
  daysUntil,
  formatDate,
  formatDateTime,
  formatMoney,
  formatPer,
  formatPeriod,
  formatPeriodCompact,
  formatPrice,
  formatQuantity,
  formatTime,
  pricingTerms,
  sumAmounts,
} from '../../lib/format';
import { cursorPaging, type CursorView } from '../../lib/paging';
import type { CurrentUsage, UsageHistory } from '../../lib/types';
import { useAsync } from '../../lib/useAsync';
import { useDocumentTitle } from '../../lib/useDocumentTitle';
import { TableScroll } from '../../components/TableScroll';

export function UsagePage() {
  useDocumentTitle('Usage');
  const scope = useCustomerScope();
  if (scope.isAdmin && !scope.customerId) {
    const remembered = rememberedCustomer();
    if (remembered) return <Navigate to={`?customer=${encodeURIComponent(remembered)}`} replace />;
    return (
      <EmptyState title="Choose a customer" icon={<Users className="state-icon" aria-hidden="true" />}>
        <p>Pick a customer above to see their usage in the current period.</p>
      </EmptyState>
    );
  }
  return <UsageView customerId={scope.customerId} />;
}

function UsageView({ customerId }: { customerId: string | undefined }) {
  const usage = useAsync((signal) => api.currentUsage(customerId, { signal }), [customerId]);
  const history = useAsync((signal) => api.usageHistory({ customerId, granularity: 'day' }, { signal }), [customerId]);

  if (usage.error) {
    const noSubscription = 'status' in usage.error && usage.error.status === 404;
    return (
      <ErrorState
        error={usage.error}
        title={noSubscription ? 'No current subscription' : 'Usage could not be loaded'}
        onRetry={usage.reload}
      />
    );
  }
  if (!usage.data) return <LoadingState label="Loading usage…" rows={4} />;
  const current = usage.data;
  return (
    <div className="stack" aria-busy={usage.loading} data-customer={current.customer_id}>
      <UsageSummary usage={current} />
      <section aria-labelledby="meters-title">
        <h2 id="meters-title" className="section-heading">
          Usage this period
        </h2>
        <div className="grid grid-meters">
          {current.metrics.map((metric) => (
            <UsageMeter key={metric.metric} metric={metric} />
          ))}
        </div>
      </section>
      <ForecastSection customerId={customerId} />
      {/* Keyed: a message about one customer's budget does not stay for the next. */}
      <BudgetCard key={customerId ?? ''} customerId={customerId} currency={current.currency} />
      <OverageBreakdown usage={current} />
      <UsageHistorySection usage={current} history={history} />
      <RecentEvents usage={current} />
    </div>
  );
}

function UsageSummary({ usage }: { usage: CurrentUsage }) {
  const left = daysUntil(usage.period.end);
  const estimate = sumAmounts([usage.plan.base_fee, usage.total_overage]);
  return (
    <section className="summary-grid" aria-label="Current period">
      <div className="card stat">
        <span className="stat-label">Plan</span>
        <span className="stat-value">{usage.plan.name}</span>
        <span className="stat-note">
          {formatMoney(usage.plan.base_fee)} a {usage.plan.interval}
        </span>
      </div>
      <div className="card stat">
        <span className="stat-label">
          <CalendarDays aria-hidden="true" size={16} /> Current period
        </span>
        <span className="stat-value" title={formatPeriod(usage.period)}>
          {formatPeriodCompact(usage.period)}
        </span>
        <span className="stat-note">{left > 0 ? `${left} day${left === 1 ? '' : 's'} left` : 'Ends today'}</span>
      </div>
      <div className="card stat">
        <span className="stat-label">Overage so far</span>
        <span className="stat-value" data-testid="total-overage-summary">
          {formatMoney(usage.total_overage)}
        </span>
        <span className="stat-note">
          {usage.total_overage.minor > 0 ? 'Charged on the next invoice' : 'Nothing over the limits'}
        </span>
      </div>
      <div className="card stat">
        <span className="stat-label">
          <Receipt aria-hidden="true" size={16} /> Estimated bill
        </span>
        <span className="stat-value">{formatMoney(estimate)}</span>
        <span className="stat-note">Base fee and overage so far, before tax</span>
      </div>
    </section>
  );
}

function OverageBreakdown({ usage }: { usage: CurrentUsage }) {
  return (
    <section className="card" aria-labelledby="overage-title">
      <div className="card-head">
        <h2 id="overage-title">Overage</h2>
        <p className="muted">Usage above a limit is charged at the plan's overage price.</p>
      </div>
      <TableScroll label="Overage">
        <table className="table table-stack" data-testid="overage-table">
          <thead>
            <tr>
              <th scope="col">Metric</th>
              <NumHeader>Units over</NumHeader>
              <NumHeader>Price</NumHeader>
              <NumHeader>Amount</NumHeader>
            </tr>
          </thead>
          <tbody>
            {usage.metrics.map((metric) => (
              <tr key={metric.metric} data-metric={metric.metric}>
                <th scope="row">
                  <span className="cell-title">{metric.name}</span>
                  {metric.pricing && (
                    <span className="cell-sub" data-testid="metric-pricing">
                      {pricingTerms(metric.name, metric.pricing)}
                    </span>
                  )}
                </th>
                <NumCell label="Units over">
                  {metric.overage_units > 0 ? formatQuantity(metric.overage_units, metric.unit) : '—'}
                </NumCell>
                <NumCell label="Price">
                  {formatPrice(metric.overage_price.amount, usage.currency)}{' '}
                  {formatPer(metric.overage_price.per, metric.unit)}
                </NumCell>
                <NumCell label="Amount">{formatMoney(metric.overage_amount)}</NumCell>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row" colSpan={3}>
                Total overage
              </th>
              <td className="num total" data-testid="total-overage">
                {formatMoney(usage.total_overage)}
              </td>
            </tr>
          </tfoot>
        </table>
      </TableScroll>
    </section>
  );
}

function UsageHistorySection({
  usage,
  history,
}: {
  usage: CurrentUsage;
  history: ReturnType<typeof useAsync<UsageHistory>>;
}) {
  const [selected, setSelected] = useState(usage.metrics[0]?.metric ?? '');
  const metric = usage.metrics.find((m) => m.metric === selected) ?? usage.metrics[0];
  return (
    <section className="card" aria-labelledby="history-title">
      <div className="card-head card-head-row">
        <div>
          <h2 id="history-title">Daily usage this period</h2>
          <p className="muted">{formatPeriod(usage.period)}, UTC days.</p>
        </div>
        <div className="field field-inline">
          <label htmlFor="chart-metric">Metric</label>
          <select id="chart-metric" value={metric?.metric ?? ''} onChange={(event) => setSelected(event.target.value)}>
            {usage.metrics.map((m) => (
              <option key={m.metric} value={m.metric}>
                {m.name}
              </option>
            ))}
          </select>
        </div>
      </div>
      {history.error ? (
        <ErrorState error={history.error} title="Usage history could not be loaded" onRetry={history.reload} />
      ) : !history.data ? (
        <LoadingState label="Loading usage history…" />
      ) : metric ? (
        <UsageChart
          metric={metric}
          period={usage.period}
          points={history.data.series.find((series) => series.metric === metric.metric)?.points ?? []}
        />
      ) : (
        <EmptyState title="No metrics on this plan" />
      )}
    </section>
  );
}

const EVENTS_PAGE_SIZE = 20;

/** The period's events as stored, newest first, paged by cursor: what arrived, to check a sender. */
function RecentEvents({ usage }: { usage: CurrentUsage }) {
  const metricId = useId();
  const [metric, setMetric] = useState('');
  const [view, setView] = useState<CursorView>({ after: '', before: '' });
  const list = useAsync(
    (signal) =>
      api.usageEvents(
        {
          customerId: usage.customer_id,
          metric: metric || undefined,
          from: usage.period.start,
          limit: EVENTS_PAGE_SIZE,
          startingAfter: view.after || undefined,
          endingBefore: view.before || undefined,
        },
        { signal },
      ),
    [usage.customer_id, usage.period.start, metric, view.after, view.before],
  );
  const events = list.data?.data;
  const paging = events
    ? cursorPaging(
        view,
        events.map((e) => e.id),
        list.data?.has_more ?? false,
      )
    : null;
  const paged = view.after !== '' || view.before !== '';
  const metricOf = (id: string) => usage.metrics.find((m) => m.metric === id);
  return (
    <section className="card card-flush" aria-labelledby="events-title">
      <div className="card-head card-head-row card-pad">
        <div>
          <h2 id="events-title">Events this period</h2>
          <p className="muted">Usage events as stored, newest first by their timestamp.</p>
        </div>
        <div className="field field-inline">
          <label htmlFor={metricId}>Metric</label>
          <select
            id={metricId}
            value={metric}
            onChange={(event) => {
              setMetric(event.target.value);
              setView({ after: '', before: '' });
            }}
          >
            <option value="">All metrics</option>
            {usage.metrics.map((m) => (
              <option key={m.metric} value={m.metric}>
                {m.name}
              </option>
            ))}
          </select>
        </div>
      </div>
      {list.error ? (
        <div className="card-pad">
          <ErrorState error={list.error} title="Usage events could not be loaded" onRetry={list.reload} />
        </div>
      ) : !events || !paging ? (
        <div className="card-pad">
          <LoadingState label="Loading usage events…" rows={3} />
        </div>
      ) : events.length === 0 ? (
        <div className="card-pad">
          <EmptyState title={paged ? 'No events on this page' : 'No events this period yet'}>
            {paged ? (
              <p>
                <button type="button" className="link-button" onClick={() => setView({ after: '', before: '' })}>
                  Go to the newest events
                </button>
              </p>
            ) : (
              <p>
                Events sent to <code>POST /api/v1/usage/events</code> show here as soon as they are stored.
              </p>
            )}
          </EmptyState>
        </div>
      ) : (
        <>
          <TableScroll label="Usage events">
            <table className="table table-events" data-testid="events-table">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Metric</th>
                  <NumHeader>Quantity</NumHeader>
                  <th scope="col">Event id</th>
                </tr>
              </thead>
              <tbody>
                {events.map((event) => {
                  const known = metricOf(event.metric);
                  return (
                    <tr key={event.id} data-event={event.id}>
                      <th scope="row" className="cell-received cell-time">
                        <span className="cell-title nowrap">{formatDate(event.timestamp)}</span>
                        <span className="cell-sub nowrap">{formatTime(event.timestamp)}</span>
                      </th>
                      <td className="cell-metric">{known?.name ?? event.metric}</td>
                      <NumCell label="Quantity">
                        {known ? formatQuantity(event.value, known.unit) : event.value.toLocaleString('en-US')}
                      </NumCell>
                      <td className="cell-event-id" title={event.id}>
                        <code className="cell-code">{event.id}</code>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableScroll>
          {(paging.newer !== null || paging.older !== null || paged) && (
            <CursorPagination
              label="Event pages"
              testId="events-page-info"
              info={`${events.length} event${events.length === 1 ? '' : 's'}, ${formatDateTime(events[events.length - 1]!.timestamp)} to ${formatDateTime(events[0]!.timestamp)}`}
              newer={paging.newer}
              older={paging.older}
              onNewer={(cursor) => setView({ after: '', before: cursor })}
              onOlder={(cursor) => setView({ after: cursor, before: '' })}
            />
          )}
        </>
      )}
    </section>
  );
}
