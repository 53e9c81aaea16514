// The Usage page's "Monthly budget" card (GET/PUT/DELETE /billing/budget):
// the budget, the period's spend so far with a bar and its percent, and the
// projected invoice against it; set, changed or removed here by the member
// (or an admin, for the customer chosen above). Amounts are typed in major
// units of the customer's currency and sent as exact minor units (lib/budget.ts).
import { CheckCircle2, Pencil, PiggyBank, Plus, Trash2, TrendingUp } from 'lucide-react';
import { useRef, useState } from 'react';
import { ConfirmDialog, Dialog, DialogActions } from '../../components/Dialog';
import { TextField } from '../../components/FormField';
import { ErrorState, LoadingState } from '../../components/states';
import { useDialogDraft, useDialogSubmit } from '../../components/useDialogSubmit';
import { serverFieldError } from '../../lib/adminForms';
import { api } from '../../lib/billing';
import {
  budgetBarWidth,
  budgetExample,
  budgetInputText,
  budgetLevel,
  forecastText,
  parseBudgetAmount,
  spendText,
  thresholdText,
} from '../../lib/budget';
import { failureMessage } from '../../lib/dialogSubmit';
import { formatMoney, formatPercent, formatPeriod } from '../../lib/format';
import type { Budget } from '../../lib/types';
import { useAsync } from '../../lib/useAsync';

const BUDGET_FIELDS: ReadonlySet<string> = new Set(['amount_minor']);

type Editing = { kind: 'set' } | { kind: 'change'; budget: Budget } | { kind: 'remove'; budget: Budget } | null;

export function BudgetCard({ customerId, currency }: { customerId: string | undefined; currency: string }) {
  const budget = useAsync((signal) => api.budget(customerId, { signal }), [customerId]);
  const [editing, setEditing] = useState<Editing>(null);
  const [done, setDone] = useState<string | null>(null);
  const [removeError, setRemoveError] = useState<string | null>(null);
  const [removing, setRemoving] = useState(false);
  // The member's own budget reads "your budget"; an admin looks at a customer's.
  const own = customerId === undefined;
  const data = budget.data;

  const open = (next: Editing) => {
    setDone(null);
    setRemoveError(null);
    setEditing(next);
  };
  const remove = async () => {
    setRemoving(true);
    setRemoveError(null);
    try {
      await api.deleteBudget(customerId);
      setEditing(null);
      setDone('Budget removed.');
      budget.reload();
    } catch (error) {
      setEditing(null);
      setRemoveError(failureMessage(error));
    } finally {
      setRemoving(false);
    }
  };

  return (
    <section className="card" aria-labelledby="budget-title" aria-busy={budget.loading} data-testid="budget-card">
      <div className="card-head card-head-row">
        <div>
          <h2 id="budget-title">
            <PiggyBank aria-hidden="true" size={18} /> Monthly budget
          </h2>
          <p className="muted">
            {data ? `${formatPeriod(data.period)}. ` : ''}The period&apos;s charges so far and the projected invoice
            against an amount {own ? 'you choose' : 'the customer chose'}, before tax.
          </p>
        </div>
        {data && (
          <div className="budget-actions">
            <button
              type="button"
              className="button button-secondary"
              onClick={() => open({ kind: 'change', budget: data })}
            >
              <Pencil aria-hidden="true" size={16} /> Change budget
            </button>
            <button
              type="button"
              className="button button-secondary"
              onClick={() => open({ kind: 'remove', budget: data })}
            >
              <Trash2 aria-hidden="true" size={16} /> Remove budget
            </button>
          </div>
        )}
      </div>
      {done && (
        <p className="callout callout-success budget-done" role="status" data-testid="budget-done">
          <CheckCircle2 aria-hidden="true" size={18} />
          {done}
        </p>
      )}
      {removeError && (
        <p className="form-error budget-done" role="alert" data-testid="budget-error">
          {removeError}
        </p>
      )}
      {budget.error ? (
        <ErrorState error={budget.error} title="The budget could not be loaded" onRetry={budget.reload} />
      ) : data === undefined ? (
        <LoadingState label="Loading the budget…" rows={2} />
      ) : data === null ? (
        <div className="budget-empty" data-testid="budget-none">
          <p>
            No budget is set. {own ? 'Set one' : 'Set one for this customer'} to see the spend and the forecast against
            it here.
          </p>
          <button type="button" className="button button-primary" onClick={() => open({ kind: 'set' })}>
            <Plus aria-hidden="true" size={16} /> Set a budget
          </button>
        </div>
      ) : (
        <BudgetFigures budget={data} own={own} />
      )}
      {(editing?.kind === 'set' || editing?.kind === 'change') && (
        <BudgetDialog
          customerId={customerId}
          currency={editing.kind === 'change' ? editing.budget.currency : currency}
          current={editing.kind === 'change' ? editing.budget : null}
          onCancel={() => setEditing(null)}
          onSaved={(saved) => {
            setEditing(null);
            setDone(`Budget set to ${formatMoney(saved.amount)}.`);
            budget.reload();
          }}
        />
      )}
      {editing?.kind === 'remove' && (
        <ConfirmDialog
          title="Remove the monthly budget?"
          body={[
            `The budget of ${formatMoney(editing.budget.amount)} is removed: the spend and the forecast are no longer compared with it, and no budget events are sent.`,
            'You can set a budget again at any time.',
          ]}
          confirmLabel="Remove budget"
          busy={removing}
          testId="confirm-remove-budget"
          onCancel={() => setEditing(null)}
          onConfirm={() => void remove()}
        />
      )}
    </section>
  );
}

function BudgetFigures({ budget, own }: { budget: Budget; own: boolean }) {
  const level = budgetLevel(budget.spend.minor, budget.amount.minor);
  const width = budgetBarWidth(budget.spend_percent);
  const forecast = forecastText(budget, own);
  const threshold = thresholdText(budget.thresholds_crossed);
  return (
    <div className={`budget budget-${level}`} data-level={level}>
      <p className="budget-amount">
        <span className="stat-value" data-testid="budget-amount">
          {formatMoney(budget.amount)}
        </span>
        <span className="muted"> per billing period</span>
      </p>
      <p className="budget-spend" data-testid="budget-spend">
        {spendText(budget)}
      </p>
      <div
        className="budget-track"
        role="progressbar"
        aria-labelledby="budget-title"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(width)}
        aria-valuetext={`${formatPercent(budget.spend_percent)} of the budget: ${formatMoney(budget.spend)} of ${formatMoney(budget.amount)}`}
        data-testid="budget-bar"
      >
        <div className="budget-fill" style={{ width: `${width}%` }} />
      </div>
      <p
        className={`budget-forecast ${forecast.exceeds ? 'budget-forecast-over' : 'budget-forecast-ok'}`}
        data-testid="budget-forecast"
      >
        {forecast.exceeds ? <TrendingUp aria-hidden="true" size={16} /> : <CheckCircle2 aria-hidden="true" size={16} />}
        <span>{forecast.text}</span>
      </p>
      {threshold && <p className="muted budget-threshold">{threshold}</p>}
    </div>
  );
}

function BudgetDialog({
  customerId,
  currency,
  current,
  onCancel,
  onSaved,
}: {
  customerId: string | undefined;
  currency: string;
  current: Budget | null;
  onCancel: () => void;
  onSaved: (budget: Budget) => void;
}) {
  const bodyRef = useRef<HTMLDivElement>(null);
  const form = useDialogSubmit(bodyRef);
  const { errors, busy } = form;
  const [draft, update] = useDialogDraft(
    () => ({ amount: current ? budgetInputText(current.amount) : '' }),
    form.clearErrors,
  );
  const submit = () =>
    form.submit<{ amount_minor: number }>({
      build: () => {
        const parsed = parseBudgetAmount(draft.amount, currency);
        if (parsed.error !== undefined) return { errors: { amount_minor: parsed.error } };
        return { body: { amount_minor: parsed.minor } };
      },
      send: async (body) => onSaved(await api.setBudget(body.amount_minor, customerId)),
      fieldErrors: (caught) => serverFieldError(caught, [], BUDGET_FIELDS),
    });
  const title = current ? 'Change the monthly budget' : 'Set a monthly budget';
  return (
    <Dialog
      title={title}
      testId="budget-dialog"
      busy={busy}
      onClose={onCancel}
      onSubmit={() => void submit()}
      actions={
        <DialogActions
          label="Save budget"
          busy={busy}
          onCancel={onCancel}
          describedBy={form.failure ? form.failureId : undefined}
        />
      }
    >
      <div className="form" ref={bodyRef}>
        <TextField
          label={`Amount (${currency})`}
          field="amount_minor"
          value={draft.amount}
          onChange={(amount) => update({ amount }, ['amount_minor'])}
          error={errors.amount_minor}
          hint={`Per billing period, before tax, e.g. ${budgetExample(currency)}.`}
          inputMode="decimal"
          autoComplete="off"
          aria-required="true"
          disabled={busy}
        />
      </div>
      {form.failure && (
        <p className="form-error" role="alert" id={form.failureId} data-testid="budget-dialog-error">
          {form.failure}
        </p>
      )}
    </Dialog>
  );
}
