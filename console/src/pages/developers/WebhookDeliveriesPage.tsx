// One endpoint's delivery log, newest first: a status filter (?status=), pages
// of twenty (?page=), and for each delivery its attempts (opened in place)
// and Resend, which sends it once more with the same event id. The log is
// always read anew (Refresh too): a delivery's state changes by the second.
import { ArrowLeft, ChevronDown, ChevronRight, RotateCw, Send } from 'lucide-react';
import { useId, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { customerName, useCustomers } from '../../app/customers';
import { useUser } from '../../app/session';
import { CursorPagination } from '../../components/CursorPagination';
import { PageHeader } from '../../components/PageHeader';
import { EmptyState, ErrorState, LoadingState, Spinner } from '../../components/states';
import { TableScroll } from '../../components/TableScroll';
import { api } from '../../lib/billing';
import { failureMessage } from '../../lib/dialogSubmit';
import { formatDate, formatDateTime, formatTime } from '../../lib/format';
import type { WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint } from '../../lib/types';
import { useAsync } from '../../lib/useAsync';
import { useDocumentTitle } from '../../lib/useDocumentTitle';
import {
  answerLabel,
  attemptSucceeded,
  DELIVERY_STATUS_LABELS,
  DELIVERY_STATUSES,
  deliveryQuery,
  deliveryViewParams,
  endpointScope,
  formatLatency,
  lastAnswer,
  parseDeliveryView,
  previousSecretActive,
  type DeliveryView,
} from '../../lib/webhooks';
import { EndpointStatus, EventList, EventName, RowNote, type RowMessage } from './webhookParts';

const COLUMNS = 7;

export function WebhookDeliveriesPage() {
  useDocumentTitle('Webhook deliveries');
  const { id = '' } = useParams();
  const statusId = useId();
  const [params, setParams] = useSearchParams();
  const view = parseDeliveryView(params);
  const endpoint = useAsync((signal) => api.webhookEndpoint(id, { signal }), [id]);
  const list = useAsync(
    (signal) => api.webhookDeliveries(id, deliveryQuery(view), { signal }),
    [id, view.status, view.page],
  );
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  /** Each open delivery's attempts are read again after this changes (Refresh, Resend). */
  const [readCount, setReadCount] = useState(0);
  const [pending, setPending] = useState<string | null>(null);
  const [messages, setMessages] = useState<Record<string, RowMessage>>({});

  const go = (next: DeliveryView) => setParams(deliveryViewParams(next));
  const refresh = () => {
    list.reload();
    setReadCount((n) => n + 1);
  };
  const toggle = (deliveryId: string) =>
    setOpen((current) => {
      const next = new Set(current);
      if (!next.delete(deliveryId)) next.add(deliveryId);
      return next;
    });

  const redeliver = async (delivery: WebhookDelivery) => {
    setPending(delivery.id);
    setMessages(({ [delivery.id]: _, ...rest }) => rest);
    try {
      await api.redeliverWebhookDelivery(id, delivery.id);
      setMessages((all) => ({
        ...all,
        [delivery.id]: { kind: 'done', text: 'Queued to be sent again, with the same event id, within seconds.' },
      }));
      refresh();
    } catch (caught) {
      setMessages((all) => ({
        ...all,
        [delivery.id]: { kind: 'error', text: `Not resent: ${failureMessage(caught)}` },
      }));
    } finally {
      setPending(null);
    }
  };

  const deliveries = list.data?.data;
  const hasOlder = list.data?.next_offset != null;

  return (
    <div className="page">
      <Link to="/developers/webhooks" className="back-link">
        <ArrowLeft aria-hidden="true" size={16} /> Back to webhooks
      </Link>
      <PageHeader
        title="Webhook deliveries"
        icon={<Send aria-hidden="true" />}
        subtitle="What Meterline sent to this endpoint, newest first, and how it answered."
      />
      {endpoint.error ? (
        <ErrorState error={endpoint.error} title="This endpoint could not be loaded" onRetry={endpoint.reload} />
      ) : !endpoint.data ? (
        <LoadingState label="Loading the endpoint…" rows={2} />
      ) : (
        <EndpointFacts endpoint={endpoint.data} />
      )}
      {!endpoint.error && (
        <>
          <div className="filters card" role="search" aria-label="Filter deliveries">
            <div className="field webhook-status-field">
              <label htmlFor={statusId}>Status</label>
              <select
                id={statusId}
                value={view.status}
                onChange={(event) => go({ status: event.target.value as WebhookDeliveryStatus | '', page: 1 })}
              >
                <option value="">All statuses</option>
                {DELIVERY_STATUSES.map((status) => (
                  <option key={status} value={status}>
                    {DELIVERY_STATUS_LABELS[status]}
                  </option>
                ))}
              </select>
            </div>
            <div className="filters-actions">
              <button type="button" className="button button-secondary" onClick={refresh} disabled={list.loading}>
                {list.loading ? <Spinner /> : <RotateCw aria-hidden="true" size={16} />} Refresh
              </button>
            </div>
          </div>
          <section className="card card-flush" aria-labelledby="deliveries-title">
            <div className="card-head card-pad">
              <h2 id="deliveries-title">Deliveries</h2>
              <p className="muted">
                A failed delivery is tried again on its own, for up to three days. Resend sends one again now.
              </p>
            </div>
            {list.error ? (
              <div className="card-pad">
                <ErrorState error={list.error} title="Deliveries could not be loaded" onRetry={list.reload} />
              </div>
            ) : !deliveries ? (
              <div className="card-pad">
                <LoadingState label="Loading deliveries…" rows={4} />
              </div>
            ) : deliveries.length === 0 ? (
              <div className="card-pad">
                <EmptyState
                  title={
                    view.page > 1
                      ? 'No deliveries on this page'
                      : view.status
                        ? `No ${DELIVERY_STATUS_LABELS[view.status].toLowerCase()} deliveries`
                        : 'No deliveries yet'
                  }
                >
                  {view.page > 1 || view.status ? (
                    <p>
                      <button
                        type="button"
                        className="link-button"
                        onClick={() => go({ status: view.page > 1 ? view.status : '', page: 1 })}
                      >
                        {view.page > 1 ? 'Go to the newest deliveries' : 'Show every status'}
                      </button>
                    </p>
                  ) : (
                    <p>Each event the endpoint subscribes to is listed here once it happens.</p>
                  )}
                </EmptyState>
              </div>
            ) : (
              <>
                <TableScroll label="Deliveries">
                  <table className="table table-stack table-deliveries" data-testid="delivery-table">
                    <thead>
                      <tr>
                        <th scope="col">Event</th>
                        <th scope="col">Status</th>
                        <th scope="col" className="num">
                          Attempts
                        </th>
                        <th scope="col">Last answer</th>
                        <th scope="col">Created</th>
                        <th scope="col">Delivered</th>
                        <th scope="col" className="actions-col">
                          <span className="visually-hidden">Actions</span>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {deliveries.map((delivery) => (
                        <DeliveryRows
                          key={delivery.id}
                          endpointId={id}
                          delivery={delivery}
                          open={open.has(delivery.id)}
                          onToggle={() => toggle(delivery.id)}
                          readCount={readCount}
                          pending={pending}
                          onRedeliver={() => void redeliver(delivery)}
                          message={messages[delivery.id]}
                        />
                      ))}
                    </tbody>
                  </table>
                </TableScroll>
                {(view.page > 1 || hasOlder) && (
                  <CursorPagination
                    label="Delivery pages"
                    testId="delivery-page-info"
                    info={`Page ${view.page}: ${deliveries.length} deliver${deliveries.length === 1 ? 'y' : 'ies'}`}
                    newer={view.page > 1 ? String(view.page - 1) : null}
                    older={hasOlder ? String(view.page + 1) : null}
                    onNewer={(page) => go({ status: view.status, page: Number(page) })}
                    onOlder={(page) => go({ status: view.status, page: Number(page) })}
                  />
                )}
              </>
            )}
          </section>
        </>
      )}
    </div>
  );
}

/** The endpoint: URL, description, events, status, whose it is (admins), and a rotation still in its overlap. */
function EndpointFacts({ endpoint }: { endpoint: WebhookEndpoint }) {
  const user = useUser();
  const customers = useCustomers();
  return (
    <section className="card" aria-label="Endpoint" data-testid="endpoint-facts" data-endpoint={endpoint.id}>
      <dl className="facts endpoint-facts">
        <div className="fact fact-wide">
          <dt>URL</dt>
          <dd>
            <code className="cell-code" data-testid="endpoint-url">
              {endpoint.url}
            </code>
            {endpoint.description && <span className="cell-sub">{endpoint.description}</span>}
          </dd>
        </div>
        <div className="fact">
          <dt>Events</dt>
          <dd>
            <EventList events={endpoint.events} />
          </dd>
        </div>
        <div className="fact">
          <dt>Status</dt>
          <dd>
            <EndpointStatus endpoint={endpoint} />
          </dd>
        </div>
        {user.role === 'admin' && (
          <div className="fact">
            <dt>Scope</dt>
            <dd>{endpointScope(endpoint, (id) => customerName(customers.data, id))}</dd>
          </div>
        )}
        <div className="fact">
          <dt>Created</dt>
          <dd>{formatDate(endpoint.created_at)}</dd>
        </div>
        {previousSecretActive(endpoint) && (
          <div className="fact">
            <dt>Old secret</dt>
            <dd>Also signs until {formatDateTime(endpoint.previous_secret_expires_at)}</dd>
          </div>
        )}
      </dl>
    </section>
  );
}

/** A date with its time (to the second) under it. */
function When({ iso }: { iso: string }) {
  return (
    <span className="cell-stack">
      <span className="cell-title nowrap">{formatDate(iso)}</span>
      <span className="cell-sub nowrap">{formatTime(iso)}</span>
    </span>
  );
}

/** A delivery's row, its attempts when opened, and the note after Resend. */
function DeliveryRows({
  endpointId,
  delivery,
  open,
  onToggle,
  readCount,
  pending,
  onRedeliver,
  message,
}: {
  endpointId: string;
  delivery: WebhookDelivery;
  open: boolean;
  onToggle: () => void;
  readCount: number;
  pending: string | null;
  onRedeliver: () => void;
  message: RowMessage | undefined;
}) {
  const attemptsId = useId();
  return (
    <>
      <tr data-delivery={delivery.id} data-event={delivery.event_id} data-status={delivery.status}>
        <th scope="row" className="cell-event">
          <span className="cell-title">
            <EventName type={delivery.event_type} />
          </span>
          <span className="cell-sub mono event-id" data-testid="delivery-event-id">
            {delivery.event_id}
          </span>
        </th>
        <td data-label="Status" data-testid="delivery-status">
          <span className="cell-stack">
            <span className={`badge badge-delivery-${delivery.status}`}>{DELIVERY_STATUS_LABELS[delivery.status]}</span>
            {delivery.status === 'pending' && delivery.next_attempt_at && delivery.attempts > 0 && (
              <span className="cell-sub">Next try {formatTime(delivery.next_attempt_at)}</span>
            )}
          </span>
        </td>
        <td data-label="Attempts" className="num">
          {delivery.attempts}
        </td>
        <td
          data-label="Last answer"
          className={
            delivery.last_error && delivery.last_status_code === null ? 'cell-answer long-text-error' : 'cell-answer'
          }
          data-testid="delivery-answer"
        >
          {lastAnswer(delivery)}
        </td>
        <td data-label="Created" className="cell-time">
          <When iso={delivery.created_at} />
        </td>
        <td data-label="Delivered" className="cell-time">
          {delivery.delivered_at ? <When iso={delivery.delivered_at} /> : <span className="muted">—</span>}
        </td>
        <td className="actions-cell">
          <div className="actions actions-text">
            <button
              type="button"
              className="button button-secondary button-small"
              aria-expanded={open}
              aria-controls={open ? attemptsId : undefined}
              onClick={onToggle}
              title="Attempts"
            >
              {open ? <ChevronDown aria-hidden="true" size={16} /> : <ChevronRight aria-hidden="true" size={16} />}
              <span className="button-label">Attempts</span>
              <span className="visually-hidden"> of {delivery.event_id}</span>
            </button>
            <button
              type="button"
              className="button button-secondary button-small"
              disabled={pending !== null}
              onClick={onRedeliver}
              title="Resend"
            >
              {pending === delivery.id ? <Spinner /> : <RotateCw aria-hidden="true" size={16} />}
              <span className="button-label">Resend</span>
              <span className="visually-hidden"> {delivery.event_id}</span>
            </button>
          </div>
        </td>
      </tr>
      {open && (
        <tr className="row-detail" id={attemptsId} data-attempts-for={delivery.id}>
          <td colSpan={COLUMNS}>
            <AttemptLog endpointId={endpointId} deliveryId={delivery.id} readCount={readCount} />
          </td>
        </tr>
      )}
      {message && <RowNote message={message} columns={COLUMNS} rowId={delivery.id} />}
    </>
  );
}

/** Every attempt of one delivery, newest first: when, the answer (or the error), how long, and whether a person asked for it. */
function AttemptLog({
  endpointId,
  deliveryId,
  readCount,
}: {
  endpointId: string;
  deliveryId: string;
  readCount: number;
}) {
  const detail = useAsync(
    (signal) => api.webhookDelivery(endpointId, deliveryId, { signal }),
    [endpointId, deliveryId, readCount],
  );
  if (detail.error)
    return <ErrorState error={detail.error} title="The attempts could not be loaded" onRetry={detail.reload} />;
  const attempts = detail.data?.attempt_log;
  if (!attempts) return <LoadingState label="Loading the attempts…" rows={2} />;
  if (attempts.length === 0)
    return (
      <p className="muted">
        Not tried yet. A delivery waits while an earlier one to this endpoint, for the same customer, is retried.
      </p>
    );
  return (
    <ol className="attempt-log" aria-label={`Attempts of ${detail.data?.event_id ?? deliveryId}`}>
      {attempts.map((attempt, index) => (
        <li key={`${attempt.attempted_at}-${index}`} className="attempt" data-testid="attempt">
          <span className="attempt-head">
            <span
              className={`badge ${attemptSucceeded(attempt) ? 'badge-delivery-succeeded' : 'badge-delivery-failed'}`}
            >
              {answerLabel(attempt.status_code)}
            </span>
            <span>
              {formatDate(attempt.attempted_at)}, {formatTime(attempt.attempted_at)}
            </span>
            <span className="muted">{formatLatency(attempt.latency_ms)}</span>
            {attempt.manual && <span className="you-tag">Resent</span>}
          </span>
          {attempt.error && <span className="attempt-error">{attempt.error}</span>}
          {attempt.response_excerpt && (
            <pre className="attempt-body">
              <span className="visually-hidden">Answer: </span>
              {attempt.response_excerpt}
            </pre>
          )}
        </li>
      ))}
    </ol>
  );
}
