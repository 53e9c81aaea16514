// Admins: the API keys (mk_…) that scripts and services send as a bearer
// token. A key's secret is in the answer that creates it and nowhere else
// (billingd does not keep it): the console shows it once, to copy. Revoking
// asks first; a revoked key stays in the list, marked.
import { KeyRound, Plus, ShieldOff } from 'lucide-react';
import { Fragment, useId, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import { customerName, useCustomers } from '../../app/customers';
import { ConfirmDialog, Dialog, DialogActions } from '../../components/Dialog';
import { describedBy, TextField } from '../../components/FormField';
import { SecretField } from '../../components/SecretField';
import { EmptyState, ErrorState, LoadingState } from '../../components/states';
import { PagePagination } from '../../components/PagePagination';
import { TableScroll } from '../../components/TableScroll';
import { useDialogSubmit } from '../../components/useDialogSubmit';
import { serverFieldError } from '../../lib/adminForms';
import { api } from '../../lib/billing';
import { formatDate, formatDateTime } from '../../lib/format';
import type { ApiKey, CreatedApiKey, NewApiKey } from '../../lib/types';
import { useAsync } from '../../lib/useAsync';
import { useDocumentTitle } from '../../lib/useDocumentTitle';
import { parseUsersPage, usersPageInfo, usersPageQuery } from '../../lib/users';

const KEY_FIELDS: ReadonlySet<string> = new Set(['name', 'role', 'customer_id']);

type KeyRole = ApiKey['role'];

const ROLE_LABELS: Record<KeyRole, string> = { service: 'Service', admin: 'Admin' };

export function ApiKeysPage() {
  useDocumentTitle('API keys');
  const customers = useCustomers();
  const [params, setParams] = useSearchParams();
  const page = parseUsersPage(params);
  const list = useAsync((signal) => api.apiKeys(usersPageQuery(page), { signal }), [page]);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [revokeBusy, setRevokeBusy] = useState(false);
  const [messages, setMessages] = useState<Record<string, { kind: 'error' | 'done'; text: string }>>({});

  const toPage = (n: number) => setParams(n > 1 ? { page: String(n) } : {});

  const revoke = async (key: ApiKey) => {
    setRevokeBusy(true);
    try {
      await api.revokeApiKey(key.id);
      setMessages((all) => ({ ...all, [key.id]: { kind: 'done', text: 'Revoked: requests with it are refused.' } }));
      list.reload();
    } catch (caught) {
      const text = caught instanceof Error ? caught.message : String(caught);
      setMessages((all) => ({ ...all, [key.id]: { kind: 'error', text: `Not revoked: ${text}` } }));
    } finally {
      setRevokeBusy(false);
      setRevoking(null);
    }
  };

  const keys = list.data?.data;
  const info = keys ? usersPageInfo(page, keys.length, list.data?.next_offset ?? null) : null;

  return (
    <section className="card card-flush" aria-labelledby="keys-title">
      <div className="card-head card-pad card-head-row">
        <div className="card-head-text">
          <h2 id="keys-title">API keys</h2>
          <p className="muted">
            Keys for scripts and services, sent as <code>Authorization: Bearer mk_…</code>. A service key may be limited
            to one customer.
          </p>
        </div>
        <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
          <Plus aria-hidden="true" size={16} /> New API key
        </button>
      </div>
      {list.error ? (
        <div className="card-pad">
          <ErrorState error={list.error} title="API keys could not be loaded" onRetry={list.reload} />
        </div>
      ) : !keys || !info ? (
        <div className="card-pad">
          <LoadingState label="Loading API keys…" rows={4} />
        </div>
      ) : keys.length === 0 ? (
        <div className="card-pad">
          <EmptyState title={page > 1 ? 'No API keys on this page' : 'No API keys yet'}>
            {page > 1 ? (
              <p>
                <button type="button" className="link-button" onClick={() => toPage(1)}>
                  Go to the first page
                </button>
              </p>
            ) : (
              <p>Create one with “New API key”.</p>
            )}
          </EmptyState>
        </div>
      ) : (
        <>
          <TableScroll label="API keys">
            <table className="table table-stack table-keys" data-testid="key-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Prefix</th>
                  <th scope="col">Role</th>
                  <th scope="col">Customer</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">State</th>
                  <th scope="col" className="actions-col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {keys.map((key) => {
                  const message = messages[key.id];
                  return (
                    <Fragment key={key.id}>
                      <tr
                        data-key={key.id}
                        data-name={key.name}
                        data-state={key.revoked_at ? 'revoked' : 'active'}
                        className={key.revoked_at ? 'row-muted' : undefined}
                      >
                        <th scope="row">
                          <span className="cell-title">{key.name}</span>
                        </th>
                        <td data-label="Prefix">
                          <code className="cell-code">{key.prefix}…</code>
                        </td>
                        <td data-label="Role">
                          <span className={`badge badge-role-${key.role === 'admin' ? 'admin' : 'member'}`}>
                            {ROLE_LABELS[key.role]}
                          </span>
                        </td>
                        <td data-label="Customer">
                          {key.customer_id ? customerName(customers.data, key.customer_id) : 'All customers'}
                        </td>
                        <td data-label="Created" className="nowrap">
                          {formatDate(key.created_at)}
                        </td>
                        <td data-label="Last used" className="nowrap">
                          {key.last_used_at ? formatDateTime(key.last_used_at) : 'Never'}
                        </td>
                        <td data-label="State" data-testid="key-state">
                          {key.revoked_at ? (
                            <>
                              <span className="badge badge-disabled">Revoked</span>
                              <span className="cell-sub">{formatDate(key.revoked_at)}</span>
                            </>
                          ) : (
                            <span className="badge badge-enabled">Active</span>
                          )}
                        </td>
                        <td className="actions-cell">
                          {!key.revoked_at && (
                            <div className="actions actions-text">
                              <button
                                type="button"
                                className="button button-secondary button-small"
                                onClick={() => setRevoking(key)}
                                title="Revoke"
                              >
                                <ShieldOff aria-hidden="true" size={16} />
                                <span className="button-label">Revoke</span>
                                <span className="visually-hidden"> {key.name}</span>
                              </button>
                            </div>
                          )}
                        </td>
                      </tr>
                      {message && (
                        <tr className="row-message" data-message-for={key.id}>
                          <td colSpan={8}>
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
                      )}
                    </Fragment>
                  );
                })}
              </tbody>
            </table>
          </TableScroll>
          <PagePagination info={info} onPage={toPage} />
        </>
      )}
      {creating && (
        <NewKeyDialog
          onCancel={() => setCreating(false)}
          onCreated={(key) => {
            setCreating(false);
            setCreated(key);
            if (page !== 1) toPage(1);
            list.reload();
          }}
        />
      )}
      {created && <SecretDialog apiKey={created} onClose={() => setCreated(null)} />}
      {revoking && (
        <ConfirmDialog
          title={`Revoke ${revoking.name}?`}
          body={[
            `Every request made with ${revoking.prefix}… is refused from now on.`,
            'A revoked key cannot be used again: create a new key for whatever used it.',
          ]}
          confirmLabel="Revoke key"
          busy={revokeBusy}
          testId="confirm-revoke-key"
          onCancel={() => setRevoking(null)}
          onConfirm={() => void revoke(revoking)}
        />
      )}
    </section>
  );
}

function NewKeyDialog({ onCancel, onCreated }: { onCancel: () => void; onCreated: (key: CreatedApiKey) => void }) {
  const ids = { role: useId(), customer: useId() };
  const customers = useCustomers();
  const [name, setName] = useState('');
  const [role, setRole] = useState<KeyRole>('service');
  const [customerId, setCustomerId] = useState('');
  const bodyRef = useRef<HTMLDivElement>(null);
  const form = useDialogSubmit(bodyRef);
  const { errors, busy } = form;

  const submit = () =>
    form.submit<NewApiKey>({
      build: () => {
        if (!name.trim()) return { errors: { name: 'Enter a name, e.g. what uses the key.' } };
        const body: NewApiKey = { name: name.trim(), role };
        if (role === 'service' && customerId) body.customer_id = customerId;
        return { body };
      },
      send: async (body, key) => onCreated(await api.createApiKey(body, key())),
      fieldErrors: (caught) => serverFieldError(caught, [], KEY_FIELDS),
    });

  const choices: { role: KeyRole; hint: string }[] = [
    { role: 'service', hint: 'Sends usage events and reads billing; for one customer or all.' },
    { role: 'admin', hint: 'Everything an administrator can do through the API.' },
  ];
  return (
    <Dialog
      title="New API key"
      testId="key-dialog"
      busy={busy}
      onClose={onCancel}
      onSubmit={() => void submit()}
      actions={<DialogActions label="Create key" busy={busy} onCancel={onCancel} />}
    >
      <div className="form" ref={bodyRef}>
        <TextField
          label="Name"
          field="name"
          value={name}
          onChange={(value) => {
            setName(value);
            form.clearErrors(['name']);
          }}
          error={errors.name}
          hint="What uses it, e.g. ingest-prod."
          maxLength={100}
          aria-required="true"
          autoComplete="off"
        />
        <fieldset
          className="choices"
          data-field="role"
          aria-describedby={errors.role ? `${ids.role}-error` : undefined}
        >
          <legend>Role</legend>
          {choices.map((choice) => (
            <label key={choice.role} className="choice">
              <input
                type="radio"
                name={ids.role}
                value={choice.role}
                checked={role === choice.role}
                onChange={() => setRole(choice.role)}
              />
              <span>
                <span className="choice-title">{ROLE_LABELS[choice.role]}</span>
                <span className="choice-hint">{choice.hint}</span>
              </span>
            </label>
          ))}
          {errors.role && (
            <span className="field-error" id={`${ids.role}-error`}>
              {errors.role}
            </span>
          )}
        </fieldset>
        {role === 'service' && (
          <div className="field" data-field="customer_id">
            <label htmlFor={ids.customer}>Customer</label>
            <select
              id={ids.customer}
              value={customerId}
              onChange={(event) => {
                setCustomerId(event.target.value);
                form.clearErrors(['customer_id']);
              }}
              aria-invalid={errors.customer_id ? true : undefined}
              aria-describedby={describedBy(`${ids.customer}-hint`, errors.customer_id && `${ids.customer}-error`)}
            >
              <option value="">All customers</option>
              {customers.data?.map((customer) => (
                <option key={customer.id} value={customer.id}>
                  {customer.name}
                </option>
              ))}
            </select>
            <span className="field-hint" id={`${ids.customer}-hint`}>
              {customers.error
                ? `Customers could not be loaded (${customers.error.message}); the key will be for all customers.`
                : 'Limit the key to one customer’s usage and billing. Optional.'}
            </span>
            {errors.customer_id && (
              <span className="field-error" id={`${ids.customer}-error`}>
                {errors.customer_id}
              </span>
            )}
          </div>
        )}
      </div>
      {form.failure && (
        <p className="form-error" role="alert" id={form.failureId} data-testid="key-dialog-error">
          {form.failure}
        </p>
      )}
    </Dialog>
  );
}

/** The new key's secret, this once, with a button that copies it. */
function SecretDialog({ apiKey, onClose }: { apiKey: CreatedApiKey; onClose: () => void }) {
  const warningId = useId();
  const secret = apiKey.secret;
  return (
    <Dialog
      title={`API key ${apiKey.name} created`}
      testId="secret-dialog"
      onClose={onClose}
      onSubmit={onClose}
      actions={
        <button type="submit" className="button button-primary">
          {secret ? 'I have copied it' : 'Close'}
        </button>
      }
    >
      {secret ? (
        <>
          <p className="callout callout-warning" id={warningId}>
            <span>
              <strong>Copy the secret now: it will not be shown again.</strong> Meterline does not keep it, so it cannot
              be shown later; if it is lost, revoke the key and create another.
            </span>
          </p>
          <SecretField secret={secret} describedBy={warningId} testId="api-key-secret" />
          <p className="muted">
            <KeyRound aria-hidden="true" size={14} /> Send it as <code>Authorization: Bearer {apiKey.prefix}…</code>
          </p>
        </>
      ) : (
        <p className="callout callout-warning">
          The key was created by an earlier request, and its secret was shown then; it cannot be shown again. If it was
          not copied, revoke this key and create another.
        </p>
      )}
    </Dialog>
  );
}
