// What the Webhooks pages share: the section around them (admins see whose
// endpoint each is, by the customer's name), an endpoint's status and its
// events, and the note shown under a row after an action.
import { Fragment } from 'react';
import { Outlet } from 'react-router';
import { CustomersProvider } from '../../app/customers';
import { formatDateTime } from '../../lib/format';
import type { WebhookEndpoint, WebhookEventType } from '../../lib/types';
import { endpointStatusLabel, isAllEvents } from '../../lib/webhooks';

/** /developers/webhooks and its endpoints' deliveries. */
export function WebhooksSection() {
  return (
    <CustomersProvider>
      <Outlet />
    </CustomersProvider>
  );
}

/** Enabled, or Disabled with the reason; an enabled endpoint that fails says since when. */
export function EndpointStatus({ endpoint }: { endpoint: WebhookEndpoint }) {
  const enabled = endpoint.status === 'enabled';
  return (
    <span className="cell-stack">
      <span className={`badge ${enabled ? 'badge-enabled' : 'badge-disabled'}`}>{endpointStatusLabel(endpoint)}</span>
      {!enabled && endpoint.disabled_reason && (
        <span className="cell-sub" data-testid="disabled-reason">
          {endpoint.disabled_reason}
        </span>
      )}
      {enabled && endpoint.failing_since && (
        <span className="cell-sub">Failing since {formatDateTime(endpoint.failing_since)}</span>
      )}
    </span>
  );
}

/** An event type, which may break after its dots ("subscription.<wbr>trial_will_end") in a narrow column. */
export function EventName({ type }: { type: string }) {
  const parts = type.split('.');
  return (
    <code className="cell-code event-name">
      {parts.map((part, index) => (
        <Fragment key={index}>
          {index > 0 && (
            <>
              .<wbr />
            </>
          )}
          {part}
        </Fragment>
      ))}
    </code>
  );
}

/** "All events", or each type. */
export function EventList({ events }: { events: readonly WebhookEventType[] }) {
  if (isAllEvents(events)) return <span className="nowrap">All events</span>;
  return (
    <ul className="event-list">
      {events.map((type) => (
        <li key={type}>
          <EventName type={type} />
        </li>
      ))}
    </ul>
  );
}

export interface RowMessage {
  kind: 'error' | 'done';
  text: string;
}

/** A row's note after an action: what was done, or why it was not. */
export function RowNote({ message, columns, rowId }: { message: RowMessage; columns: number; rowId: string }) {
  return (
    <tr className="row-message" data-message-for={rowId}>
      <td colSpan={columns}>
        {message.kind === 'error' ? (
          <p className="form-error" role="alert">
            {message.text}
          </p>
        ) : (
          <p className="row-done" role="status">
            {message.text}
          </p>
        )}
      </td>
    </tr>
  );
}
