// Admins: the console's users. Disable or enable an account, change its role
// (a member belongs to one customer), or end every session of it. A change
// takes effect on the user's next request; the row shows the user as the API
// answered, without reloading the list.
import { LogOut, UserCheck, UserCog, UserX } from 'lucide-react';
import { Fragment, useId, useState } from 'react';
import { useSearchParams } from 'react-router';
import { customerName, useCustomers } from '../../app/customers';
import { useSession, useUser } from '../../app/session';
import { CustomerSelect } from '../../components/CustomerPicker';
import { EmailAddress } from '../../components/EmailAddress';
import { ConfirmDialog, Dialog, DialogActions } from '../../components/Dialog';
import { EmptyState, ErrorState, LoadingState, Spinner } from '../../components/states';
import { api } from '../../lib/billing';
import { formatDate } from '../../lib/format';
import type { Role, User, UserPage, UserUpdate } from '../../lib/types';
import { useAsync } from '../../lib/useAsync';
import { useDocumentTitle } from '../../lib/useDocumentTitle';
import {
  confirmationFor,
  endsOwnAccess,
  parseUsersPage,
  replaceUser,
  roleChange,
  roleLabel,
  usersPageInfo,
  usersPageQuery,
  type UserAction,
} from '../../lib/users';
import { PagePagination } from '../../components/PagePagination';
import { TableScroll } from '../../components/TableScroll';

/** What a row says after its last action: the API's error, or what was done. */
type RowMessage = { kind: 'error'; action: UserAction; error: Error } | { kind: 'done'; text: string };

const FAILED: Record<UserAction, string> = {
  disable: 'Not disabled:',
  enable: 'Not enabled:',
  role: 'Role not changed:',
  revoke: 'Not signed out:',
};

export function UsersPage() {
  useDocumentTitle('Users');
  const me = useUser();
  const { retry: reloadSession } = useSession();
  const customers = useCustomers();
  const [params, setParams] = useSearchParams();
  const page = parseUsersPage(params);
  const list = useAsync((signal) => api.users(usersPageQuery(page), { signal }), [page]);

  // Users changed on this page, until the page is loaded again.
  const [edits, setEdits] = useState<{ source: UserPage; users: User[] } | null>(null);
  const [dialog, setDialog] = useState<{ action: 'disable' | 'revoke' | 'role'; user: User } | null>(null);
  const [pending, setPending] = useState<{ id: string; action: UserAction } | null>(null);
  const [messages, setMessages] = useState<Record<string, RowMessage>>({});

  const users = edits && edits.source === list.data ? edits.users : list.data?.data;

  const run = async (action: UserAction, user: User, change?: UserUpdate) => {
    const source = list.data;
    if (!source || !users) return;
    setPending({ id: user.id, action });
    setMessages(({ [user.id]: _, ...rest }) => rest);
    const self = user.id === me.id;
    try {
      let updated: User | null = null;
      if (action === 'revoke') {
        await api.revokeUserSessions(user.id);
      } else {
        updated = await api.updateUser(user.id, change ?? {});
        const changed = updated;
        setEdits((previous) => ({
          source,
          users: replaceUser(previous && previous.source === source ? previous.users : source.data, changed),
        }));
      }
      setMessages((all) => ({ ...all, [user.id]: { kind: 'done', text: doneText(action, updated) } }));
      setDialog(null);
      if (endsOwnAccess(action, self, updated)) reloadSession();
    } catch (caught) {
      setDialog(null);
      setMessages((all) => ({
        ...all,
        [user.id]: { kind: 'error', action, error: caught instanceof Error ? caught : new Error(String(caught)) },
      }));
    } finally {
      setPending(null);
    }
  };

  if (list.error) return <ErrorState error={list.error} title="Users could not be loaded" onRetry={list.reload} />;
  if (!list.data || !users) return <LoadingState label="Loading users…" rows={5} />;
  const info = usersPageInfo(page, users.length, list.data.next_offset);
  const toPage = (n: number) => setParams(n > 1 ? { page: String(n) } : {});

  if (users.length === 0) {
    return (
      <EmptyState title={page > 1 ? 'No users on this page' : 'No users yet'}>
        {page > 1 ? (
          <p>
            <button type="button" className="link-button" onClick={() => toPage(1)}>
              Go to the first page
            </button>
          </p>
        ) : (
          <p>
            Create one with <code>billingd user create</code>.
          </p>
        )}
      </EmptyState>
    );
  }

  const busy = (user: User, action: UserAction) => pending?.id === user.id && pending.action === action;
  const confirmation =
    dialog && dialog.action !== 'role' ? confirmationFor(dialog.action, dialog.user, dialog.user.id === me.id) : null;

  return (
    <section className="card card-flush" aria-labelledby="users-title">
      <div className="card-head card-pad">
        <h2 id="users-title">Users</h2>
        <p className="muted">
          Who can sign in to the console. Changes take effect on the user's next request; disabling an account also ends
          its sessions.
        </p>
      </div>
      <TableScroll label="Users">
        <table className="table table-stack table-users" data-testid="user-table">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Role</th>
              <th scope="col">Customer</th>
              <th scope="col">State</th>
              <th scope="col">Created</th>
              <th scope="col" className="actions-col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((user) => {
              const message = messages[user.id];
              const rowBusy = pending?.id === user.id;
              return (
                <Fragment key={user.id}>
                  <tr
                    data-user={user.id}
                    data-email={user.email}
                    data-state={user.disabled ? 'disabled' : 'enabled'}
                    className={user.disabled ? 'row-muted' : undefined}
                  >
                    <th scope="row">
                      <span className="cell-title">
                        <EmailAddress email={user.email} />
                        {user.id === me.id && (
                          <>
                            {' '}
                            <span className="you-tag">You</span>
                          </>
                        )}
                      </span>
                    </th>
                    <td data-label="Role">
                      <span className={`badge badge-role-${user.role}`}>{roleLabel(user.role)}</span>
                    </td>
                    <td data-label="Customer" data-testid="user-customer">
                      {user.customer_id ? customerName(customers.data, user.customer_id) : '—'}
                    </td>
                    <td data-label="State" data-testid="user-state">
                      <span className={`badge ${user.disabled ? 'badge-disabled' : 'badge-enabled'}`}>
                        {user.disabled ? 'Disabled' : 'Enabled'}
                      </span>
                      {user.disabled && user.disabled_at && (
                        <span className="cell-sub">since {formatDate(user.disabled_at)}</span>
                      )}
                    </td>
                    <td data-label="Created" className="nowrap">
                      {formatDate(user.created_at)}
                    </td>
                    <td className="actions-cell">
                      <div className="actions actions-text">
                        {user.disabled ? (
                          <button
                            type="button"
                            className="button button-secondary button-small"
                            disabled={rowBusy}
                            onClick={() => void run('enable', user, { disabled: false })}
                            title="Enable"
                          >
                            {busy(user, 'enable') ? <Spinner /> : <UserCheck aria-hidden="true" size={16} />}
                            <span className="button-label">Enable</span>
                            <span className="visually-hidden"> {user.email}</span>
                          </button>
                        ) : (
                          <button
                            type="button"
                            className="button button-secondary button-small"
                            disabled={rowBusy}
                            onClick={() => setDialog({ action: 'disable', user })}
                            title="Disable"
                          >
                            <UserX aria-hidden="true" size={16} />
                            <span className="button-label">Disable</span>
                            <span className="visually-hidden"> {user.email}</span>
                          </button>
                        )}
                        <button
                          type="button"
                          className="button button-secondary button-small"
                          disabled={rowBusy}
                          onClick={() => setDialog({ action: 'role', user })}
                          title="Change role"
                        >
                          <UserCog aria-hidden="true" size={16} />
                          <span className="button-label">Role</span>
                          <span className="visually-hidden"> of {user.email}</span>
                        </button>
                        <button
                          type="button"
                          className="button button-secondary button-small"
                          disabled={rowBusy}
                          onClick={() => setDialog({ action: 'revoke', user })}
                          title="Sign out everywhere"
                        >
                          <LogOut aria-hidden="true" size={16} />
                          <span className="button-label">Sign out</span>
                          <span className="visually-hidden"> everywhere {user.email}</span>
                        </button>
                      </div>
                    </td>
                  </tr>
                  {message && (
                    <tr className="row-message" data-message-for={user.id}>
                      <td colSpan={6}>
                        {message.kind === 'error' ? (
                          <p className="form-error" role="alert" data-testid="user-error">
                            <strong>{FAILED[message.action]}</strong> {message.error.message}
                          </p>
                        ) : (
                          <p className="row-done" role="status" data-testid="user-done">
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
      <PagePagination info={info} onPage={toPage} testId="page-info" />
      {dialog && confirmation && (
        <ConfirmDialog
          title={confirmation.title}
          body={confirmation.body}
          confirmLabel={confirmation.confirm}
          busy={pending !== null}
          testId={`confirm-${dialog.action}`}
          onCancel={() => setDialog(null)}
          onConfirm={() =>
            void run(dialog.action, dialog.user, dialog.action === 'disable' ? { disabled: true } : undefined)
          }
        />
      )}
      {dialog?.action === 'role' && (
        <RoleDialog
          user={dialog.user}
          self={dialog.user.id === me.id}
          busy={pending !== null}
          onCancel={() => setDialog(null)}
          onSave={(change) => void run('role', dialog.user, change)}
        />
      )}
    </section>
  );
}

function doneText(action: UserAction, updated: User | null): string {
  switch (action) {
    case 'disable':
      return 'Disabled: their sessions end on their next request.';
    case 'enable':
      return 'Enabled: they can sign in again.';
    case 'revoke':
      return 'Signed out everywhere.';
    case 'role':
      return updated?.role === 'admin' ? 'Now an admin.' : 'Now a member.';
  }
}

function RoleDialog({
  user,
  self,
  busy,
  onCancel,
  onSave,
}: {
  user: User;
  self: boolean;
  busy: boolean;
  onCancel: () => void;
  onSave: (change: UserUpdate) => void;
}) {
  const name = useId();
  const customers = useCustomers();
  const [role, setRole] = useState<Role>(user.role);
  const [customerId, setCustomerId] = useState(user.customer_id ?? '');
  const result = roleChange(user, role, customerId);
  const choices: { role: Role; hint: string }[] = [
    { role: 'admin', hint: 'Sees every customer and manages users.' },
    { role: 'member', hint: "Sees one customer's usage and invoices." },
  ];
  return (
    <Dialog
      title={`Change the role of ${user.email}`}
      testId="role-dialog"
      busy={busy}
      onClose={onCancel}
      onSubmit={() => {
        if (result.kind === 'change') onSave(result.change);
      }}
      actions={
        <DialogActions label="Change role" busy={busy} disabled={result.kind !== 'change'} onCancel={onCancel} />
      }
    >
      <fieldset className="choices">
        <legend>Role</legend>
        {choices.map((choice) => (
          <label key={choice.role} className="choice">
            <input
              type="radio"
              name={name}
              value={choice.role}
              checked={role === choice.role}
              onChange={() => setRole(choice.role)}
            />
            <span>
              <span className="choice-title">{roleLabel(choice.role)}</span>
              <span className="choice-hint">{choice.hint}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {role === 'member' && (
        <div className="field">
          <CustomerSelect value={customerId} onChange={setCustomerId} />
          {result.kind === 'invalid' && <span className="field-hint">{result.problem}</span>}
        </div>
      )}
      {role === 'admin' && user.role === 'member' && user.customer_id && (
        <p className="muted">
          An admin belongs to no customer: the account leaves {customerName(customers.data, user.customer_id)}.
        </p>
      )}
      {self && role === 'member' && (
        <p className="callout callout-warning">This is your own account: you will lose access to the admin pages.</p>
      )}
    </Dialog>
  );
}
