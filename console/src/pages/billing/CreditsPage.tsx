// Prepaid credits: the balance per currency, the grants (what is left of
// each and when it expires) and the ledger, newest first, paged by cursor.
// Members see their own; admins pick the customer above and can grant credits.
import { CheckCircle2, Coins, Plus, Users } from 'lucide-react';
import { useId, useRef, useState } from 'react';
import { Link, Navigate } from 'react-router';
import { rememberedCustomer, useCustomerScope, useCustomers } from '../../app/customers';
import { CursorPagination } from '../../components/CursorPagination';
import { Dialog, DialogActions } from '../../components/Dialog';
import { TextField } from '../../components/FormField';
import { EmptyState, ErrorState, LoadingState } from '../../components/states';
import { NumCell, NumHeader } from '../../components/table';
import { TableScroll } from '../../components/TableScroll';
import { useDialogDraft, useDialogSubmit } from '../../components/useDialogSubmit';
import { serverFieldError } from '../../lib/adminForms';
import { api } from '../../lib/billing';
import {
  DESCRIPTION_MAX,
  GRANT_FIELDS,
  GRANT_KINDS,
  buildGrantRequest,
  emptyGrantDraft,
  grantKindLabel,
  ledgerKindLabel,
  type GrantDraft,
} from '../../lib/credits';
import { formatDate, formatDateTime, formatMoney } from '../../lib/format';
import { cursorPaging, type CursorView } from '../../lib/paging';
import type { CreditGrant, Credits } from '../../lib/types';
import { useAsync } from '../../lib/useAsync';
import { useDocumentTitle } from '../../lib/useDocumentTitle';

const HISTORY_PAGE_SIZE = 20;

export function CreditsPage() {
  useDocumentTitle('Credits');
  const scope = useCustomerScope();
  if (scope.isAdmin && !scope.customerId) {
    const remembered = rememberedCustomer();
    if (remembered) return <Navigate to={`?customer=${encodeURIComponent(remembered)}`} replace />;
    return (
      <EmptyState title="Choose a customer" icon={<Users className="state-icon" aria-hidden="true" />}>
        <p>Pick a customer above to see their prepaid credits.</p>
      </EmptyState>
    );
  }
  // A new customer starts on the newest page of the history.
  return <CreditsView key={scope.customerId ?? ''} customerId={scope.customerId} isAdmin={scope.isAdmin} />;
}

function CreditsView({ customerId, isAdmin }: { customerId: string | undefined; isAdmin: boolean }) {
  const [view, setView] = useState<CursorView>({ after: '', before: '' });
  const [granting, setGranting] = useState(false);
  const [granted, setGranted] = useState<CreditGrant | null>(null);
  const credits = useAsync(
    (signal) =>
      api.credits(
        {
          customerId,
          limit: HISTORY_PAGE_SIZE,
          startingAfter: view.after || undefined,
          endingBefore: view.before || undefined,
        },
        { signal },
      ),
    [customerId, view.after, view.before],
  );
  const customers = useCustomers();
  const currency = customers.data?.find((c) => c.id === customerId)?.currency ?? 'USD';

  if (credits.error) {
    return <ErrorState error={credits.error} title="Credits could not be loaded" onRetry={credits.reload} />;
  }
  if (!credits.data) return <LoadingState label="Loading credits…" rows={4} />;
  const data = credits.data;
  return (
    <div className="stack" aria-busy={credits.loading} data-customer={data.customer_id}>
      {granted && (
        <p className="callout callout-success" role="status" data-testid="credits-granted">
          <CheckCircle2 aria-hidden="true" size={20} />
          {formatMoney(granted.amount)} of credits granted.
        </p>
      )}
      <Balances credits={data} />
      <Grants
        grants={data.grants}
        onGrant={
          isAdmin
            ? () => {
                setGranted(null);
                setGranting(true);
              }
            : null
        }
      />
      <History
        credits={data}
        view={view}
        onView={setView}
        invoiceLink={(id) =>
          `/billing/invoices/${encodeURIComponent(id)}${customerId ? `?customer=${encodeURIComponent(customerId)}` : ''}`
        }
      />
      {granting && customerId && (
        <GrantDialog
          customerId={customerId}
          currency={data.balances[0]?.currency ?? currency}
          onCancel={() => setGranting(false)}
          onGranted={(grant) => {
            setGranting(false);
            setGranted(grant);
            setView({ after: '', before: '' });
            credits.reload();
          }}
        />
      )}
    </div>
  );
}

function Balances({ credits }: { credits: Credits }) {
  if (credits.balances.length === 0) {
    return (
      <section className="summary-grid" aria-label="Balance">
        <div className="card stat" data-testid="credit-balance">
          <span className="stat-label">
            <Coins aria-hidden="true" size={16} /> Available credits
          </span>
          <span className="stat-value">None</span>
          <span className="stat-note">Credits are applied to invoices when they are issued.</span>
        </div>
      </section>
    );
  }
  return (
    <section className="summary-grid" aria-label="Balance">
      {credits.balances.map((balance) => (
        <div key={balance.currency} className="card stat" data-testid="credit-balance" data-currency={balance.currency}>
          <span className="stat-label">
            <Coins aria-hidden="true" size={16} /> Available credits ({balance.currency})
          </span>
          <span className="stat-value">{formatMoney(balance.available)}</span>
          <span className="stat-note">Applied to invoices when they are issued.</span>
        </div>
      ))}
    </section>
  );
}

function Grants({ grants, onGrant }: { grants: CreditGrant[]; onGrant: (() => void) | null }) {
  return (
    <section className="card card-flush" aria-labelledby="grants-title">
      <div className="card-head card-pad card-head-row">
        <div className="card-head-text">
          <h2 id="grants-title">Grants</h2>
          <p className="muted">Newest first. Lower priorities are used first, then those that expire soonest.</p>
        </div>
        {onGrant && (
          <button type="button" className="button button-primary" onClick={onGrant}>
            <Plus aria-hidden="true" size={16} /> Grant credits
          </button>
        )}
      </div>
      {grants.length === 0 ? (
        <div className="card-pad">
          <EmptyState title="No credits yet">
            <p>Granted credits, top-ups and credit notes to the balance show here.</p>
          </EmptyState>
        </div>
      ) : (
        <TableScroll label="Credit grants">
          <table className="table table-stack" data-testid="credit-grants">
            <thead>
              <tr>
                <th scope="col">Description</th>
                <th scope="col">Kind</th>
                <NumHeader>Amount</NumHeader>
                <NumHeader>Remaining</NumHeader>
                <NumHeader>Priority</NumHeader>
                <th scope="col">Expires</th>
                <th scope="col">Granted</th>
              </tr>
            </thead>
            <tbody>
              {grants.map((grant) => (
                <tr key={grant.id} data-grant={grant.id}>
                  <th scope="row" className="cell-main">
                    {grant.description}
                  </th>
                  <td data-label="Kind">{grantKindLabel(grant.kind)}</td>
                  <NumCell label="Amount">{formatMoney(grant.amount)}</NumCell>
                  <NumCell label="Remaining">{formatMoney(grant.remaining)}</NumCell>
                  <NumCell label="Priority">{grant.priority}</NumCell>
                  <td data-label="Expires">{grant.expires_at ? formatDate(grant.expires_at) : 'Never'}</td>
                  <td data-label="Granted">{formatDate(grant.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}

function History({
  credits,
  view,
  onView,
  invoiceLink,
}: {
  credits: Credits;
  view: CursorView;
  onView: (view: CursorView) => void;
  invoiceLink: (id: string) => string;
}) {
  const entries = credits.history.data;
  const paging = cursorPaging(
    view,
    entries.map((e) => e.id),
    credits.history.has_more,
  );
  const paged = view.after !== '' || view.before !== '';
  return (
    <section className="card card-flush" aria-labelledby="history-title">
      <div className="card-head card-pad">
        <h2 id="history-title">History</h2>
        <p className="muted">Every change to the balance, newest first.</p>
      </div>
      {entries.length === 0 ? (
        <div className="card-pad">
          <EmptyState title={paged ? 'No entries on this page' : 'No history yet'}>
            {paged && (
              <p>
                <button type="button" className="link-button" onClick={() => onView({ after: '', before: '' })}>
                  Go to the newest entries
                </button>
              </p>
            )}
          </EmptyState>
        </div>
      ) : (
        <>
          <TableScroll label="Credit history">
            <table className="table table-stack" data-testid="credit-history">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Entry</th>
                  <th scope="col">Description</th>
                  <NumHeader>Amount</NumHeader>
                  <NumHeader>Balance after</NumHeader>
                </tr>
              </thead>
              <tbody>
                {entries.map((entry) => (
                  <tr key={entry.id} data-entry={entry.id} data-kind={entry.kind}>
                    <th scope="row" className="nowrap">
                      {formatDateTime(entry.created_at)}
                    </th>
                    <td data-label="Entry">{ledgerKindLabel(entry.kind)}</td>
                    <td data-label="Description">
                      {entry.description}
                      {entry.invoice_id && (
                        <span className="cell-sub">
                          <Link to={invoiceLink(entry.invoice_id)}>Invoice</Link>
                        </span>
                      )}
                    </td>
                    <NumCell label="Amount">{formatMoney(entry.amount)}</NumCell>
                    <NumCell label="Balance after">{formatMoney(entry.balance_after)}</NumCell>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
          {(paging.newer !== null || paging.older !== null || paged) && (
            <CursorPagination
              label="History pages"
              testId="credit-history-page-info"
              info={`${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}`}
              newer={paging.newer}
              older={paging.older}
              onNewer={(cursor) => onView({ after: '', before: cursor })}
              onOlder={(cursor) => onView({ after: cursor, before: '' })}
            />
          )}
        </>
      )}
    </section>
  );
}

function GrantDialog({
  customerId,
  currency,
  onCancel,
  onGranted,
}: {
  customerId: string;
  currency: string;
  onCancel: () => void;
  onGranted: (grant: CreditGrant) => void;
}) {
  const kindId = useId();
  const bodyRef = useRef<HTMLDivElement>(null);
  const form = useDialogSubmit(bodyRef);
  const { errors, busy } = form;
  const [draft, update] = useDialogDraft<GrantDraft>(() => emptyGrantDraft(currency), form.clearErrors);

  const submit = () =>
    form.submit({
      build: () => buildGrantRequest(draft, customerId),
      send: async (body, key) => onGranted(await api.grantCredits(body, key())),
      fieldErrors: (caught) => serverFieldError(caught, [], GRANT_FIELDS),
    });

  return (
    <Dialog
      title="Grant credits"
      testId="grant-credits-dialog"
      busy={busy}
      wide
      onClose={onCancel}
      onSubmit={() => void submit()}
      actions={
        <DialogActions
          label="Grant credits"
          busy={busy}
          onCancel={onCancel}
          describedBy={form.failure ? form.failureId : undefined}
        />
      }
    >
      <div className="form form-grid" ref={bodyRef}>
        <TextField
          label="Amount"
          field="amount_minor"
          value={draft.amount}
          onChange={(amount) => update({ amount }, ['amount_minor'])}
          error={errors.amount_minor}
          hint="In major units, e.g. 100.00."
          inputMode="decimal"
          autoComplete="off"
          aria-required="true"
          disabled={busy}
        />
        <TextField
          label="Currency"
          field="currency"
          value={draft.currency}
          onChange={(value) => update({ currency: value }, ['currency', 'amount_minor'])}
          error={errors.currency}
          hint="ISO 4217 code; credits pay invoices in this currency only."
          maxLength={3}
          autoComplete="off"
          spellCheck={false}
          aria-required="true"
          disabled={busy}
        />
        <div className="field" data-field="kind">
          <label htmlFor={kindId}>Kind</label>
          <select
            id={kindId}
            value={draft.kind}
            disabled={busy}
            onChange={(event) => update({ kind: event.target.value as GrantDraft['kind'] }, ['kind'])}
          >
            {GRANT_KINDS.map((kind) => (
              <option key={kind.value} value={kind.value}>
                {kind.label}
              </option>
            ))}
          </select>
          <span className="field-hint">A grant is given; a top-up was paid for in advance.</span>
          {errors.kind && <span className="field-error">{errors.kind}</span>}
        </div>
        <TextField
          label="Priority"
          field="priority"
          value={draft.priority}
          onChange={(priority) => update({ priority }, ['priority'])}
          error={errors.priority}
          hint="0 to 100; lower is used first. Optional (0)."
          inputMode="numeric"
          autoComplete="off"
          disabled={busy}
        />
        <TextField
          label="Expires on"
          field="expires_at"
          value={draft.expires}
          onChange={(expires) => update({ expires }, ['expires_at'])}
          error={errors.expires_at}
          hint="YYYY-MM-DD, at the start of that day (UTC). Optional: never."
          placeholder="YYYY-MM-DD"
          maxLength={10}
          autoComplete="off"
          spellCheck={false}
          disabled={busy}
        />
        <TextField
          label="Description"
          field="description"
          value={draft.description}
          onChange={(description) => update({ description }, ['description'])}
          error={errors.description}
          maxLength={DESCRIPTION_MAX}
          autoComplete="off"
          aria-required="true"
          disabled={busy}
          span
        />
      </div>
      {form.failure && (
        <p className="form-error" role="alert" id={form.failureId} data-testid="grant-credits-error">
          {form.failure}
        </p>
      )}
    </Dialog>
  );
}
