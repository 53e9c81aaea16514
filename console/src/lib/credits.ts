// Credit notes and prepaid credits: what the forms send and what the pages
// show. Money typed by a person (major units, "12.50") becomes exact integer
// minor units by the currency's exponent, with string arithmetic: no floats.
import type { FieldErrors } from './adminForms';
import { currencyDigits } from './format';
import type {
  CreditGrantKind,
  CreditGrantRequest,
  CreditLedgerEntry,
  CreditNote,
  CreditNoteReason,
  CreditNoteRequest,
  InvoiceWithLines,
  RefundTo,
} from './types';

/** Larger amounts are refused by billingd (2^50 minor units); the console stays within exact JS integers. */
export const MAX_MINOR = 2 ** 50;

export type ParsedAmount = { minor: number; error?: undefined } | { minor?: undefined; error: string };

/**
 * Major-unit text ("12", "12.5", "1,234.50") as minor units of `currency`
 * (USD 1250, JPY 12, BHD 12500). Refuses more decimals than the currency has,
 * signs, anything that is not a plain number, zero, and amounts past MAX_MINOR.
 */
export function parseMajorAmount(text: string, currency: string): ParsedAmount {
  const digits = currencyDigits(currency);
  const cleaned = text.trim().replace(/[\s\u00a0]/g, '');
  if (cleaned === '') return { error: 'Enter an amount.' };
  // Thousands separators only in their places: "1,234.50", not "1,2".
  const match = /^(\d{1,3}(?:,\d{3})+|\d+)?(?:\.(\d*))?$/.exec(cleaned);
  if (!match || (match[1] === undefined && !match[2])) {
    return { error: `Enter an amount in ${currency}, e.g. ${digits > 0 ? `12.${'5'.padEnd(digits, '0')}` : '12'}.` };
  }
  const whole = (match[1] ?? '0').replace(/,/g, '');
  const fraction = match[2] ?? '';
  if (fraction.length > digits) {
    return {
      error:
        digits === 0
          ? `${currency} has no minor units: enter a whole amount.`
          : `${currency} has ${digits} decimal${digits === 1 ? '' : 's'} at most.`,
    };
  }
  const minor = BigInt(whole + fraction.padEnd(digits, '0'));
  if (minor <= 0n) return { error: 'Enter an amount above zero.' };
  if (minor > BigInt(MAX_MINOR)) return { error: 'The amount is too large.' };
  return { minor: Number(minor) };
}

// ---------------------------------------------------------------------------
// Credit notes

export const CREDIT_NOTE_REASONS: readonly { value: CreditNoteReason; label: string }[] = [
  { value: 'duplicate', label: 'Duplicate charge' },
  { value: 'fraudulent', label: 'Fraudulent' },
  { value: 'order_change', label: 'Order change' },
  { value: 'product_unsatisfactory', label: 'Product unsatisfactory' },
];

export function reasonLabel(reason: CreditNoteReason): string {
  return CREDIT_NOTE_REASONS.find((r) => r.value === reason)?.label ?? reason;
}

/** Where a credit note's part after payment went, in words. */
export function refundLabel(note: Pick<CreditNote, 'refund_to' | 'post_payment_amount'>): string {
  if (note.post_payment_amount.minor <= 0 || !note.refund_to) return 'Lowered the amount due';
  return note.refund_to === 'stripe_refund' ? 'Refunded through Stripe' : 'Credit balance';
}

export const MEMO_MAX = 1000;
export const DESCRIPTION_MAX = 500;

/** Minor units already credited on each invoice line (by position, from 1). */
export function creditedByLine(notes: readonly Pick<CreditNote, 'lines'>[]): Map<number, number> {
  const credited = new Map<number, number>();
  for (const note of notes) {
    for (const line of note.lines) {
      if (line.invoice_line != null) {
        credited.set(line.invoice_line, (credited.get(line.invoice_line) ?? 0) + line.amount.minor);
      }
    }
  }
  return credited;
}

export interface CreditableLine {
  /** The line's position, from 1, as the invoice lists it. */
  position: number;
  description: string;
  amount: number;
  /** Minor units not credited yet. */
  left: number;
}

/** The invoice's lines that can still be credited: charges (positive) with something left. */
export function creditableLines(
  invoice: Pick<InvoiceWithLines, 'lines'>,
  notes: readonly Pick<CreditNote, 'lines'>[],
): CreditableLine[] {
  const credited = creditedByLine(notes);
  return invoice.lines
    .map((line, index) => {
      const position = index + 1;
      return {
        position,
        description: line.description,
        amount: line.amount.minor,
        left: line.amount.minor - (credited.get(position) ?? 0),
      };
    })
    .filter((line) => line.amount > 0 && line.left > 0);
}

/** Minor units of the invoice's total not credited yet (tax included). */
export function creditableTotal(
  invoice: Pick<InvoiceWithLines, 'total'>,
  notes: readonly Pick<CreditNote, 'total'>[],
): number {
  return Math.max(0, invoice.total.minor - notes.reduce((sum, note) => sum + note.total.minor, 0));
}

export interface CreditNoteDraft {
  /** Chosen lines by position; `amount` is major-unit text, "" for all that is left. */
  lines: Record<number, { selected: boolean; amount: string }>;
  /** A free amount before tax, in major units ("" for none). */
  freeAmount: string;
  freeDescription: string;
  reason: CreditNoteReason | '';
  memo: string;
  refundTo: RefundTo;
}

export function emptyCreditNoteDraft(): CreditNoteDraft {
  return { lines: {}, freeAmount: '', freeDescription: '', reason: '', memo: '', refundTo: 'credit_balance' };
}

/** The form field of one line's amount (data-field and error key). */
export function lineField(position: number): string {
  return `line-${position}`;
}

/**
 * The request for a draft, or the problems that keep it from being sent
 * (keyed by form field: reason, memo, amount_minor, description, lines,
 * line-N). `paid`: the invoice has payments, so refund_to matters and is sent.
 */
export function buildCreditNoteRequest(
  draft: CreditNoteDraft,
  invoice: Pick<InvoiceWithLines, 'currency' | 'lines'>,
  paid: boolean,
  lines: readonly CreditableLine[] = creditableLines(invoice, []),
): { body: CreditNoteRequest; errors?: undefined } | { body?: undefined; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const body: CreditNoteRequest = { reason: 'order_change' };
  if (!draft.reason) errors.reason = 'Choose a reason.';
  else body.reason = draft.reason;
  const memo = draft.memo.trim();
  if (memo.length > MEMO_MAX) errors.memo = `At most ${MEMO_MAX} characters.`;
  else if (memo) body.memo = memo;

  const chosen: NonNullable<CreditNoteRequest['lines']> = [];
  for (const line of lines) {
    const entry = draft.lines[line.position];
    if (!entry?.selected) continue;
    if (entry.amount.trim() === '') {
      chosen.push({ line: line.position });
      continue;
    }
    const parsed = parseMajorAmount(entry.amount, invoice.currency);
    if (parsed.error !== undefined) errors[lineField(line.position)] = parsed.error;
    else if (parsed.minor > line.left) errors[lineField(line.position)] = 'More than is left to credit on this line.';
    else if (parsed.minor === line.left) chosen.push({ line: line.position });
    else chosen.push({ line: line.position, amount_minor: parsed.minor });
  }
  if (chosen.length > 0) body.lines = chosen;

  const description = draft.freeDescription.trim();
  if (draft.freeAmount.trim() !== '') {
    const parsed = parseMajorAmount(draft.freeAmount, invoice.currency);
    if (parsed.error !== undefined) errors.amount_minor = parsed.error;
    else body.amount_minor = parsed.minor;
    if (!description) errors.description = 'Describe the amount: it is the credit note line.';
    else if (description.length > DESCRIPTION_MAX) errors.description = `At most ${DESCRIPTION_MAX} characters.`;
    else body.description = description;
  } else if (description) {
    errors.amount_minor = 'Enter the amount this description is for, or clear the description.';
  }
  const anyLineChosen = lines.some((line) => draft.lines[line.position]?.selected);
  if (!anyLineChosen && draft.freeAmount.trim() === '' && !errors.amount_minor) {
    errors.lines = 'Choose lines to credit, enter an amount, or both.';
  }
  if (paid) body.refund_to = draft.refundTo;
  return Object.keys(errors).length > 0 ? { errors } : { body };
}

/**
 * The form field a server error is about, from its `param` ("reason",
 * "lines[0].amount_minor" -> the field of the line sent first); null when it
 * is about no field of the form.
 */
export function creditNoteField(param: string | null, body: CreditNoteRequest | null): string | null {
  if (!param) return null;
  const lineParam = /^lines\[(\d+)\]/.exec(param);
  if (lineParam) {
    const sent = body?.lines?.[Number(lineParam[1])];
    return sent ? lineField(sent.line) : 'lines';
  }
  if (param === 'refund_to') return null;
  return ['reason', 'memo', 'amount_minor', 'description', 'lines'].includes(param) ? param : null;
}

// ---------------------------------------------------------------------------
// Prepaid credits

export const GRANT_KINDS: readonly { value: Exclude<CreditGrantKind, 'credit_note'>; label: string }[] = [
  { value: 'grant', label: 'Grant' },
  { value: 'top_up', label: 'Top-up' },
];

export function grantKindLabel(kind: CreditGrantKind): string {
  if (kind === 'credit_note') return 'Credit note';
  return GRANT_KINDS.find((k) => k.value === kind)?.label ?? kind;
}

export function ledgerKindLabel(kind: CreditLedgerEntry['kind']): string {
  switch (kind) {
    case 'granted':
      return 'Granted';
    case 'applied':
      return 'Applied';
    case 'expired':
      return 'Expired';
  }
}

export interface GrantDraft {
  amount: string;
  currency: string;
  kind: Exclude<CreditGrantKind, 'credit_note'>;
  priority: string;
  /** YYYY-MM-DD (the grant expires at the start of that day, UTC), or "". */
  expires: string;
  description: string;
}

export function emptyGrantDraft(currency = 'USD'): GrantDraft {
  return { amount: '', currency, kind: 'grant', priority: '', expires: '', description: '' };
}

/**
 * The grant request for a draft, or its problems by field (amount_minor,
 * currency, priority, expires_at, description). `now` decides whether the
 * expiry is in the future.
 */
export function buildGrantRequest(
  draft: GrantDraft,
  customerId: string,
  now: Date = new Date(),
): { body: CreditGrantRequest; errors?: undefined } | { body?: undefined; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const currency = draft.currency.trim().toUpperCase();
  const body: CreditGrantRequest = { customer_id: customerId, amount_minor: 0, currency, description: '' };
  if (!/^[A-Z]{3}$/.test(currency)) errors.currency = 'A three-letter ISO 4217 code, e.g. USD.';
  else {
    const parsed = parseMajorAmount(draft.amount, currency);
    if (parsed.error !== undefined) errors.amount_minor = parsed.error;
    else body.amount_minor = parsed.minor;
  }
  if (draft.kind !== 'grant') body.kind = draft.kind;
  const priority = draft.priority.trim();
  if (priority !== '') {
    if (!/^\d{1,3}$/.test(priority) || Number(priority) > 100) errors.priority = 'A whole number from 0 to 100.';
    else body.priority = Number(priority);
  }
  const expires = draft.expires.trim();
  if (expires !== '') {
    const at = /^\d{4}-\d{2}-\d{2}$/.test(expires) ? new Date(`${expires}T00:00:00.000Z`) : null;
    if (!at || Number.isNaN(at.getTime()) || at.toISOString().slice(0, 10) !== expires) {
      errors.expires_at = 'A date as YYYY-MM-DD.';
    } else if (at.getTime() <= now.getTime()) errors.expires_at = 'A date in the future.';
    else body.expires_at = at.toISOString();
  }
  const description = draft.description.trim();
  if (!description) errors.description = 'Say what the credits are for.';
  else if (description.length > DESCRIPTION_MAX) errors.description = `At most ${DESCRIPTION_MAX} characters.`;
  else body.description = description;
  return Object.keys(errors).length > 0 ? { errors } : { body };
}

export const GRANT_FIELDS: ReadonlySet<string> = new Set([
  'amount_minor',
  'currency',
  'kind',
  'priority',
  'expires_at',
  'description',
]);
