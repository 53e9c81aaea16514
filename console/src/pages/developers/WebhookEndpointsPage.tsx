// Admins and members: the endpoints Meterline posts signed events to
// (docs/webhooks.md). An admin's endpoints are platform-wide, and admins see
// every endpoint, with whose it is; a member sees and adds their customer's.
// A signing secret is shown once, when the endpoint is added or its secret
// rotated. Rotating and deleting ask first; Enable (a disabled endpoint) runs
// at once. Deliveries opens the endpoint's delivery log.
import { ListChecks, Plus, Power, RotateCcwKey, Trash2, Send } from 'lucide-react';
import { Fragment, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { customerName, useCustomers } from '../../app/customers';
import { useUser } from '../../app/session';
import { ConfirmDialog } from '../../components/Dialog';
import { PageHeader } from '../../components/PageHeader';
import { EmptyState, ErrorState, LoadingState, Spinner } from '../../components/states';
import { PagePagination } from '../../components/PagePagination';
import { TableScroll } from '../../components/TableScroll';
import { api } from '../../lib/billing';
import { failureMessage } from '../../lib/dialogSubmit';
import { formatDate, formatDateTime } from '../../lib/format';
import type { WebhookEndpoint } from '../../lib/types';
import { useAsync } from '../../lib/useAsync';
import { useDocumentTitle } from '../../lib/useDocumentTitle';
import { parseUsersPage, usersPageInfo, usersPageQuery } from '../../lib/users';
import { endpointScope, ROTATION_OVERLAP_HOURS } from '../../lib/webhooks';
import { AddEndpointDialog, WebhookSecretDialog, type ShownSecret } from './EndpointDialogs';
import { EndpointStatus, EventList, RowNote, type RowMessage } from './webhookParts';

type Confirming = { action: 'rotate' | 'delete'; endpoint: WebhookEndpoint };

export function WebhookEndpointsPage() {
  useDocumentTitle('Webhooks');
  const user = useUser();
  const isAdmin = user.role === 'admin';
  const customers = useCustomers();
  const [params, setParams] = useSearchParams();
  const page = parseUsersPage(params);
  const list = useAsync((signal) => api.webhookEndpoints(usersPageQuery(page), { signal }), [page]);
  const [adding, setAdding] = useState(false);
  const [secret, setSecret] = useState<ShownSecret | null>(null);
  const [confirming, setConfirming] = useState<Confirming | null>(null);
  /** The endpoint an action runs on. */
  const [pending, setPending] = useState<string | null>(null);
  const [messages, setMessages] = useState<Record<string, RowMessage>>({});
  /** After a deletion, whose row is gone. */
  const [deleted, setDeleted] = useState<string | null>(null);

  const toPage = (n: number) => setParams(n > 1 ? { page: String(n) } : {});
  const note = (id: string, message: RowMessage) => setMessages((all) => ({ ...all, [id]: message }));

  const run = async (endpoint: WebhookEndpoint, action: () => Promise<void>, failed: string) => {
    setPending(endpoint.id);
    setDeleted(null);
    setMessages(({ [endpoint.id]: _, ...rest }) => rest);
    try {
      await action();
      list.reload();
    } catch (caught) {
      note(endpoint.id, { kind: 'error', text: `${failed}: ${failureMessage(caught)}` });
    } finally {
      setPending(null);
      setConfirming(null);
    }
  };

  const rotate = (endpoint: WebhookEndpoint) =>
    run(
      endpoint,
      async () => {
        const rotated = await api.rotateWebhookSecret(endpoint.id, ROTATION_OVERLAP_HOURS);
        setSecret({ kind: 'rotated', endpoint: rotated, secret: rotated.secret });
        note(endpoint.id, {
          kind: 'done',
          text: rotated.previous_secret_expires_at
            ? `New secret made; the old one also signs until ${formatDateTime(rotated.previous_secret_expires_at)}.`
            : 'New secret made.',
        });
      },
      'Not rotated',
    );

  const enable = (endpoint: WebhookEndpoint) =>
    run(
      endpoint,
      async () => {
        await api.enableWebhookEndpoint(endpoint.id);
        note(endpoint.id, { kind: 'done', text: 'Enabled: Meterline sends it events again.' });
      },
      'Not enabled',
    );

  const remove = (endpoint: WebhookEndpoint) =>
    run(
      endpoint,
      async () => {
        await api.deleteWebhookEndpoint(endpoint.id);
        setDeleted(endpoint.url);
      },
      'Not deleted',
    );

  const endpoints = list.data?.data;
  const info = endpoints ? usersPageInfo(page, endpoints.length, list.data?.next_offset ?? null) : null;
  const columns = isAdmin ? 6 : 5;

  return (
    <div className="page">
      <PageHeader
        title="Webhooks"
        icon={<Send aria-hidden="true" />}
        subtitle="Meterline posts signed events — invoices, subscriptions, usage thresholds — to these endpoints as they happen."
      />
      <section className="card card-flush" aria-labelledby="endpoints-title">
        <div className="card-head card-pad card-head-row">
          <div className="card-head-text">
            <h2 id="endpoints-title">Endpoints</h2>
            <p className="muted">
              {isAdmin
                ? 'Every endpoint: yours are platform-wide, a member’s get their customer’s events.'
                : 'Each gets your account’s events, signed with its own secret.'}
            </p>
          </div>
          <button
            type="button"
            className="button button-primary"
            onClick={() => {
              setDeleted(null);
              setAdding(true);
            }}
          >
            <Plus aria-hidden="true" size={16} /> Add endpoint
          </button>
        </div>
        {deleted && (
          <p className="row-done card-notice" role="status" data-testid="endpoint-deleted">
            Deleted the endpoint {deleted}: nothing more is sent to it.
          </p>
        )}
        {list.error ? (
          <div className="card-pad">
            <ErrorState error={list.error} title="Webhook endpoints could not be loaded" onRetry={list.reload} />
          </div>
        ) : !endpoints || !info ? (
          <div className="card-pad">
            <LoadingState label="Loading webhook endpoints…" rows={3} />
          </div>
        ) : endpoints.length === 0 ? (
          <div className="card-pad">
            <EmptyState title={page > 1 ? 'No endpoints on this page' : 'No webhook endpoints yet'}>
              {page > 1 ? (
                <p>
                  <button type="button" className="link-button" onClick={() => toPage(1)}>
                    Go to the first page
                  </button>
                </p>
              ) : (
                <p>Add one with “Add endpoint”: Meterline then posts events to it as they happen.</p>
              )}
            </EmptyState>
          </div>
        ) : (
          <>
            <TableScroll label="Webhook endpoints">
              <table className="table table-stack table-endpoints" data-testid="endpoint-table">
                <thead>
                  <tr>
                    <th scope="col">Endpoint</th>
                    <th scope="col">Events</th>
                    <th scope="col">Status</th>
                    {isAdmin && <th scope="col">Scope</th>}
                    <th scope="col">Created</th>
                    <th scope="col" className="actions-col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {endpoints.map((endpoint) => {
                    const message = messages[endpoint.id];
                    const busy = pending === endpoint.id;
                    return (
                      <Fragment key={endpoint.id}>
                        <tr data-endpoint={endpoint.id} data-status={endpoint.status}>
                          <th scope="row" className="cell-endpoint">
                            <span className="cell-title">
                              <code className="cell-code">{endpoint.url}</code>
                            </span>
                            {endpoint.description && <span className="cell-sub">{endpoint.description}</span>}
                          </th>
                          <td data-label="Events" data-testid="endpoint-events">
                            <EventList events={endpoint.events} />
                          </td>
                          <td data-label="Status" data-testid="endpoint-status">
                            <EndpointStatus endpoint={endpoint} />
                          </td>
                          {isAdmin && (
                            <td data-label="Scope" data-testid="endpoint-scope">
                              {endpointScope(endpoint, (id) => customerName(customers.data, id))}
                            </td>
                          )}
                          <td data-label="Created" className="nowrap">
                            {formatDate(endpoint.created_at)}
                          </td>
                          <td className="actions-cell">
                            <div className="actions actions-text">
                              <Link
                                to={`/developers/webhooks/${encodeURIComponent(endpoint.id)}`}
                                className="button button-secondary button-small"
                                title="Deliveries"
                              >
                                <ListChecks aria-hidden="true" size={16} />
                                <span className="button-label">Deliveries</span>
                                <span className="visually-hidden"> to {endpoint.url}</span>
                              </Link>
                              {endpoint.status === 'disabled' && (
                                <button
                                  type="button"
                                  className="button button-secondary button-small"
                                  disabled={pending !== null}
                                  onClick={() => void enable(endpoint)}
                                  title="Enable"
                                >
                                  {busy ? <Spinner /> : <Power aria-hidden="true" size={16} />}
                                  <span className="button-label">Enable</span>
                                  <span className="visually-hidden"> {endpoint.url}</span>
                                </button>
                              )}
                              <button
                                type="button"
                                className="button button-secondary button-small"
                                disabled={pending !== null}
                                onClick={() => setConfirming({ action: 'rotate', endpoint })}
                                title="Rotate secret"
                              >
                                <RotateCcwKey aria-hidden="true" size={16} />
                                <span className="button-label">Rotate secret</span>
                                <span className="visually-hidden"> of {endpoint.url}</span>
                              </button>
                              <button
                                type="button"
                                className="button button-secondary button-small"
                                disabled={pending !== null}
                                onClick={() => setConfirming({ action: 'delete', endpoint })}
                                title="Delete"
                              >
                                <Trash2 aria-hidden="true" size={16} />
                                <span className="button-label">Delete</span>
                                <span className="visually-hidden"> {endpoint.url}</span>
                              </button>
                            </div>
                          </td>
                        </tr>
                        {message && <RowNote message={message} columns={columns} rowId={endpoint.id} />}
                      </Fragment>
                    );
                  })}
                </tbody>
              </table>
            </TableScroll>
            <PagePagination info={info} onPage={toPage} />
          </>
        )}
      </section>
      {adding && (
        <AddEndpointDialog
          role={user.role}
          onCancel={() => setAdding(false)}
          onAdded={(endpoint) => {
            setAdding(false);
            setSecret({ kind: 'added', endpoint, secret: endpoint.secret });
            if (page !== 1) toPage(1);
            list.reload();
          }}
        />
      )}
      {secret && <WebhookSecretDialog shown={secret} onClose={() => setSecret(null)} />}
      {confirming?.action === 'rotate' && (
        <ConfirmDialog
          title="Rotate the signing secret?"
          body={[
            `${confirming.endpoint.url} gets a new signing secret, shown once.`,
            `The old secret keeps signing deliveries beside the new one for ${ROTATION_OVERLAP_HOURS} hours, so your receiver can switch to it without missing an event.`,
          ]}
          confirmLabel="Rotate secret"
          busy={pending !== null}
          testId="confirm-rotate-secret"
          onCancel={() => setConfirming(null)}
          onConfirm={() => void rotate(confirming.endpoint)}
        />
      )}
      {confirming?.action === 'delete' && (
        <ConfirmDialog
          title="Delete the endpoint?"
          body={[
            `Nothing more is sent to ${confirming.endpoint.url}, not even the events still waiting to be sent.`,
            'This cannot be undone: to get events there again, add the endpoint anew (it gets a new secret).',
          ]}
          confirmLabel="Delete endpoint"
          busy={pending !== null}
          testId="confirm-delete-endpoint"
          onCancel={() => setConfirming(null)}
          onConfirm={() => void remove(confirming.endpoint)}
        />
      )}
    </div>
  );
}
