// Admins: the Stripe events billingd received and what processing made of
// them, newest first, filtered by status (?status=) and paged by cursor
// (?after=<id> the older ones, ?before=<id> the newer ones). A failed or dead
// event can be queued again ("Retry"); billingd serve processes it within
// about a second.
import { RotateCw } from 'lucide-react';
import { Fragment, useId, useState } from 'react';
import { useSearchParams } from 'react-router';
import { CursorPagination } from '../../components/CursorPagination';
import { EmptyState, ErrorState, LoadingState, Spinner } from '../../components/states';
import { TableScroll } from '../../components/TableScroll';
import {
  parseWebhookView,
  WEBHOOK_STATUSES,
  WEBHOOKS_PAGE_SIZE,
  webhookViewParams,
  type WebhookView,
} from '../../lib/adminForms';
import { api } from '../../lib/billing';
import { formatDate, formatDateTime, formatTime } from '../../lib/format';
import { cursorPaging } from '../../lib/paging';
import type { StripeWebhookEvent, StripeWebhookStatus } from '../../lib/types';
import { useAsync } from '../../lib/useAsync';
import { useDocumentTitle } from '../../lib/useDocumentTitle';

const STATUS_LABELS: Record<StripeWebhookStatus, string> = {
  pending: 'Pending',
  processing: 'Processing',
  processed: 'Processed',
  failed: 'Failed',
  dead: 'Dead',
};

/** Texts longer than this are cut in the table; the whole text opens in place. */
const SHORT_TEXT = 60;

export function WebhooksPage() {
  useDocumentTitle('Stripe webhooks');
  const statusId = useId();
  const [params, setParams] = useSearchParams();
  const view = parseWebhookView(params);
  const list = useAsync(
    (signal) =>
      api.stripeWebhookEvents(
        {
          status: view.status || undefined,
          limit: WEBHOOKS_PAGE_SIZE,
          startingAfter: view.after || undefined,
          endingBefore: view.before || undefined,
        },
        { signal },
      ),
    [view.status, view.after, view.before],
  );
  const [pending, setPending] = useState<number | null>(null);
  const [messages, setMessages] = useState<Record<number, { kind: 'error' | 'done'; text: string }>>({});

  const go = (next: WebhookView) => setParams(webhookViewParams(next));

  const retry = async (event: StripeWebhookEvent) => {
    setPending(event.id);
    setMessages(({ [event.id]: _, ...rest }) => rest);
    try {
      await api.retryStripeWebhookEvent(event.id);
      setMessages((all) => ({
        ...all,
        [event.id]: { kind: 'done', text: 'Queued again: billingd processes it within about a second.' },
      }));
      list.reload();
    } catch (caught) {
      const text = caught instanceof Error ? caught.message : String(caught);
      setMessages((all) => ({ ...all, [event.id]: { kind: 'error', text: `Not retried: ${text}` } }));
    } finally {
      setPending(null);
    }
  };

  const events = list.data?.data;
  const paging = events
    ? cursorPaging(
        view,
        events.map((e) => e.id),
        list.data?.has_more ?? false,
      )
    : null;
  const paged = view.after !== '' || view.before !== '';

  return (
    <div className="stack">
      <div className="filters card" role="search" aria-label="Filter events">
        <div className="field webhook-status-field">
          <label htmlFor={statusId}>Status</label>
          <select
            id={statusId}
            value={view.status}
            onChange={(event) => go({ status: event.target.value as StripeWebhookStatus | '', after: '', before: '' })}
          >
            <option value="">All statuses</option>
            {WEBHOOK_STATUSES.map((status) => (
              <option key={status} value={status}>
                {STATUS_LABELS[status]}
              </option>
            ))}
          </select>
        </div>
        <div className="filters-actions">
          <button type="button" className="button button-secondary" onClick={list.reload} disabled={list.loading}>
            {list.loading ? <Spinner /> : <RotateCw aria-hidden="true" size={16} />} Refresh
          </button>
        </div>
      </div>
      <section className="card card-flush" aria-labelledby="webhooks-title">
        <div className="card-head card-pad">
          <h2 id="webhooks-title">Stripe webhook events</h2>
          <p className="muted">
            What Stripe sent and what processing made of it, newest first. Failed events are tried again on their own;
            dead ones gave up. Retry queues either once more.
          </p>
        </div>
        {list.error ? (
          <div className="card-pad">
            <ErrorState error={list.error} title="Stripe events could not be loaded" onRetry={list.reload} />
          </div>
        ) : !events || !paging ? (
          <div className="card-pad">
            <LoadingState label="Loading Stripe events…" rows={4} />
          </div>
        ) : events.length === 0 ? (
          <div className="card-pad">
            <EmptyState
              title={
                paged
                  ? 'No events on this page'
                  : view.status
                    ? `No ${STATUS_LABELS[view.status].toLowerCase()} events`
                    : 'No Stripe events yet'
              }
            >
              {paged || view.status ? (
                <p>
                  <button
                    type="button"
                    className="link-button"
                    onClick={() => go({ status: paged ? view.status : '', after: '', before: '' })}
                  >
                    {paged ? 'Go to the newest events' : 'Show every status'}
                  </button>
                </p>
              ) : (
                <p>
                  Stripe sends them to <code>/api/v1/webhooks/stripe</code> once a webhook endpoint is set up with
                  STRIPE_WEBHOOK_SECRET.
                </p>
              )}
            </EmptyState>
          </div>
        ) : (
          <>
            <TableScroll label="Stripe webhook events">
              <table className="table table-stack table-webhooks" data-testid="webhook-table">
                <thead>
                  <tr>
                    <th scope="col">Received</th>
                    <th scope="col">Type</th>
                    <th scope="col">Stripe event</th>
                    <th scope="col">Status</th>
                    <th scope="col" className="num">
                      Attempts
                    </th>
                    <th scope="col">Outcome or last error</th>
                    <th scope="col" className="actions-col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {events.map((event) => {
                    const message = messages[event.id];
                    const retryable = event.status === 'failed' || event.status === 'dead';
                    return (
                      <Fragment key={event.id}>
                        <tr data-event={event.id} data-status={event.status}>
                          <th scope="row" className="cell-received">
                            <span className="cell-title nowrap">{formatDate(event.received_at)}</span>
                            <span className="cell-sub nowrap">{formatTime(event.received_at)}</span>
                          </th>
                          <td data-label="Type">
                            <code className="cell-code">{event.type}</code>
                          </td>
                          <td data-label="Stripe event">
                            <code className="cell-code">{event.stripe_event_id}</code>
                          </td>
                          <td data-label="Status">
                            <span className={`badge badge-event-${event.status}`}>{STATUS_LABELS[event.status]}</span>
                          </td>
                          <td data-label="Attempts" className="num">
                            {event.attempts}
                          </td>
                          <td data-label="Outcome" className="cell-outcome" data-testid="event-outcome">
                            {event.last_error && <LongText label="Error" text={event.last_error} error />}
                            {event.outcome && <LongText label="Outcome" text={event.outcome} />}
                            {!event.last_error && !event.outcome && <span className="muted">—</span>}
                          </td>
                          <td className="actions-cell">
                            {retryable && (
                              <div className="actions actions-text">
                                <button
                                  type="button"
                                  className="button button-secondary button-small"
                                  disabled={pending !== null}
                                  onClick={() => void retry(event)}
                                  title="Retry"
                                >
                                  {pending === event.id ? <Spinner /> : <RotateCw aria-hidden="true" size={16} />}
                                  <span className="button-label">Retry</span>
                                  <span className="visually-hidden"> {event.stripe_event_id}</span>
                                </button>
                              </div>
                            )}
                          </td>
                        </tr>
                        {message && (
                          <tr className="row-message" data-message-for={event.id}>
                            <td colSpan={7}>
                              {message.kind === 'error' ? (
                                <p className="form-error" role="alert" data-testid="event-error">
                                  {message.text}
                                </p>
                              ) : (
                                <p className="row-done" role="status" data-testid="event-done">
                                  {message.text}
                                </p>
                              )}
                            </td>
                          </tr>
                        )}
                      </Fragment>
                    );
                  })}
                </tbody>
              </table>
            </TableScroll>
            {(paging.newer !== null || paging.older !== null || paged) && (
              <CursorPagination
                label="Pages"
                testId="page-info"
                info={`${events.length} event${events.length === 1 ? '' : 's'}, received ${formatDateTime(events[events.length - 1]!.received_at)} to ${formatDateTime(events[0]!.received_at)}`}
                newer={paging.newer}
                older={paging.older}
                onNewer={(cursor) => go({ status: view.status, after: '', before: cursor })}
                onOlder={(cursor) => go({ status: view.status, after: cursor, before: '' })}
              />
            )}
          </>
        )}
      </section>
    </div>
  );
}

/** A text cut to one line in the table, with the whole of it a click (or Enter) away. */
function LongText({ label, text, error = false }: { label: string; text: string; error?: boolean }) {
  const className = error ? 'long-text long-text-error' : 'long-text';
  if (text.length <= SHORT_TEXT) {
    return (
      <span className={className}>
        <span className="visually-hidden">{label}: </span>
        {text}
      </span>
    );
  }
  return (
    <details className={className}>
      <summary>
        <span className="visually-hidden">{label} (show all): </span>
        <span className="long-text-short">{text}</span>
      </summary>
    </details>
  );
}
