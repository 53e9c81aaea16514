// Issue a credit note on a finalized invoice (admins): lines (all that is left
// of each, or part of it), a free amount, or both; a reason, a memo, and, when
// the invoice has payments, where the part after payment goes. Sent once per
// Idempotency-Key: a retry of the same request reuses the key.
import { useId, useRef } from 'react';
import { Dialog, DialogActions } from '../../components/Dialog';
import { TextField } from '../../components/FormField';
import { useDialogDraft, useDialogSubmit } from '../../components/useDialogSubmit';
import { ApiError } from '../../lib/api';
import { api } from '../../lib/billing';
import {
  CREDIT_NOTE_REASONS,
  DESCRIPTION_MAX,
  MEMO_MAX,
  buildCreditNoteRequest,
  creditNoteField,
  creditableLines,
  creditableTotal,
  emptyCreditNoteDraft,
  lineField,
  type CreditNoteDraft,
} from '../../lib/credits';
import { currencyDigits, formatMoney, money } from '../../lib/format';
import type { CreditNote, CreditNoteReason, CreditNoteRequest, InvoiceWithLines, RefundTo } from '../../lib/types';

const REFUND_CHOICES: readonly { value: RefundTo; title: string; hint: string }[] = [
  {
    value: 'credit_balance',
    title: 'Credit balance',
    hint: "Added to the customer's prepaid credits and used on their next invoices.",
  },
  {
    value: 'stripe_refund',
    title: 'Refund through Stripe',
    hint: 'Paid back to the customer through Stripe (only for an invoice in Stripe).',
  },
];

export function CreditNoteDialog({
  invoice,
  notes,
  onCancel,
  onIssued,
}: {
  invoice: InvoiceWithLines;
  /** The invoice's credit notes so far: what they credited is not offered again. */
  notes: readonly CreditNote[];
  onCancel: () => void;
  onIssued: (note: CreditNote) => void;
}) {
  const ids = { reason: useId(), memo: useId(), refund: useId(), lines: useId() };
  const bodyRef = useRef<HTMLDivElement>(null);
  const form = useDialogSubmit(bodyRef);
  const { errors, busy } = form;
  const [draft, update] = useDialogDraft<CreditNoteDraft>(emptyCreditNoteDraft, form.clearErrors);
  const lines = creditableLines(invoice, notes);
  const paid = invoice.amount_paid.minor > 0;
  const left = money(creditableTotal(invoice, notes), invoice.currency);
  const digits = currencyDigits(invoice.currency);

  const setLine = (position: number, patch: Partial<CreditNoteDraft['lines'][number]>) => {
    const current = draft.lines[position] ?? { selected: false, amount: '' };
    update({ lines: { ...draft.lines, [position]: { ...current, ...patch } } }, [lineField(position), 'lines']);
  };

  const submit = () =>
    form.submit<CreditNoteRequest>({
      build: () => buildCreditNoteRequest(draft, invoice, paid, lines),
      send: async (body, key) => onIssued(await api.createCreditNote(invoice.id, body, key())),
      fieldErrors: (caught, body) => {
        if (!(caught instanceof ApiError)) return null;
        const field = creditNoteField(caught.param, body);
        return field ? { [field]: caught.message } : null;
      },
    });

  return (
    <Dialog
      title={`Issue a credit note for ${invoice.number ?? 'this invoice'}`}
      testId="credit-note-dialog"
      busy={busy}
      wide
      onClose={onCancel}
      onSubmit={() => void submit()}
      actions={
        <DialogActions
          label="Issue credit note"
          busy={busy}
          onCancel={onCancel}
          describedBy={form.failure ? form.failureId : undefined}
        />
      }
    >
      <div className="form" ref={bodyRef}>
        <p className="muted">
          {formatMoney(left)} of {formatMoney(invoice.total)} is left to credit (tax included). Line amounts are before
          tax; tax is credited at the invoice&apos;s rate.
        </p>
        <fieldset className="credit-lines" data-field="lines" aria-describedby={errors.lines ? ids.lines : undefined}>
          <legend>Lines</legend>
          {lines.length === 0 && <p className="muted">Every line is credited in full already.</p>}
          {lines.map((line) => {
            const entry = draft.lines[line.position] ?? { selected: false, amount: '' };
            const error = errors[lineField(line.position)];
            const errorId = `${ids.lines}-${line.position}-error`;
            const leftText = formatMoney(money(line.left, invoice.currency));
            return (
              <div key={line.position} className="credit-line" data-line={line.position}>
                <label className="credit-line-check">
                  <input
                    type="checkbox"
                    checked={entry.selected}
                    disabled={busy}
                    onChange={(event) => setLine(line.position, { selected: event.target.checked })}
                  />
                  <span>
                    <span className="choice-title">{line.description}</span>
                    <span className="choice-hint">
                      {line.left === line.amount
                        ? leftText
                        : `${leftText} left of ${formatMoney(money(line.amount, invoice.currency))}`}
                    </span>
                  </span>
                </label>
                {entry.selected && (
                  <div className="field credit-line-amount" data-field={lineField(line.position)}>
                    <label htmlFor={`${ids.lines}-${line.position}`}>Amount ({invoice.currency})</label>
                    <input
                      id={`${ids.lines}-${line.position}`}
                      inputMode={digits > 0 ? 'decimal' : 'numeric'}
                      autoComplete="off"
                      placeholder={`All: ${leftText}`}
                      value={entry.amount}
                      disabled={busy}
                      onChange={(event) => setLine(line.position, { amount: event.target.value })}
                      aria-invalid={error ? true : undefined}
                      aria-describedby={error ? errorId : undefined}
                    />
                    {error && (
                      <span className="field-error" id={errorId}>
                        {error}
                      </span>
                    )}
                  </div>
                )}
              </div>
            );
          })}
          {errors.lines && (
            <span className="field-error" id={ids.lines}>
              {errors.lines}
            </span>
          )}
        </fieldset>
        <div className="form form-grid">
          <TextField
            label={`Other amount (${invoice.currency})`}
            field="amount_minor"
            value={draft.freeAmount}
            onChange={(freeAmount) => update({ freeAmount }, ['amount_minor', 'lines'])}
            error={errors.amount_minor}
            hint="Before tax, besides the lines. Optional."
            inputMode={digits > 0 ? 'decimal' : 'numeric'}
            autoComplete="off"
            disabled={busy}
          />
          <TextField
            label="Description of the amount"
            field="description"
            value={draft.freeDescription}
            onChange={(freeDescription) => update({ freeDescription }, ['description', 'amount_minor'])}
            error={errors.description}
            maxLength={DESCRIPTION_MAX}
            autoComplete="off"
            disabled={busy}
          />
          <div className="field span-2" data-field="reason">
            <label htmlFor={ids.reason}>Reason</label>
            <select
              id={ids.reason}
              value={draft.reason}
              disabled={busy}
              onChange={(event) => update({ reason: event.target.value as CreditNoteReason | '' }, ['reason'])}
              aria-invalid={errors.reason ? true : undefined}
              aria-describedby={errors.reason ? `${ids.reason}-error` : undefined}
            >
              <option value="">Choose a reason…</option>
              {CREDIT_NOTE_REASONS.map((reason) => (
                <option key={reason.value} value={reason.value}>
                  {reason.label}
                </option>
              ))}
            </select>
            {errors.reason && (
              <span className="field-error" id={`${ids.reason}-error`}>
                {errors.reason}
              </span>
            )}
          </div>
          <div className="field span-2" data-field="memo">
            <label htmlFor={ids.memo}>Memo</label>
            <textarea
              id={ids.memo}
              rows={2}
              maxLength={MEMO_MAX}
              value={draft.memo}
              disabled={busy}
              onChange={(event) => update({ memo: event.target.value }, ['memo'])}
              aria-invalid={errors.memo ? true : undefined}
              aria-describedby={`${ids.memo}-hint${errors.memo ? ` ${ids.memo}-error` : ''}`}
            />
            <span className="field-hint" id={`${ids.memo}-hint`}>
              Shown on the credit note. Optional.
            </span>
            {errors.memo && (
              <span className="field-error" id={`${ids.memo}-error`}>
                {errors.memo}
              </span>
            )}
          </div>
        </div>
        {paid && (
          <fieldset className="choices" data-field="refund_to">
            <legend>The part already paid goes to</legend>
            {REFUND_CHOICES.map((choice) => (
              <label key={choice.value} className="choice">
                <input
                  type="radio"
                  name={ids.refund}
                  value={choice.value}
                  checked={draft.refundTo === choice.value}
                  disabled={busy}
                  onChange={() => update({ refundTo: choice.value }, [])}
                />
                <span>
                  <span className="choice-title">{choice.title}</span>
                  <span className="choice-hint">{choice.hint}</span>
                </span>
              </label>
            ))}
          </fieldset>
        )}
      </div>
      {form.failure && (
        <p className="form-error" role="alert" id={form.failureId} data-testid="credit-note-error">
          {form.failure}
        </p>
      )}
    </Dialog>
  );
}
