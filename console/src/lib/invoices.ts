import type { Invoice } from './types';

/** An open invoice whose due date has passed. */
export function isOverdue(invoice: Pick<Invoice, 'status' | 'due_at'>, now: Date = new Date()): boolean {
  if (invoice.status !== 'open' || !invoice.due_at) return false;
  const due = Date.parse(invoice.due_at);
  return !Number.isNaN(due) && due < now.getTime();
}

/**
 * The file name of an invoice's PDF: its number once issued ("INV-2026-000012.pdf");
 * a draft has none, so "draft-<customer>-<YYYY-MM>.pdf" (the customer's name
 * when known, else its id; the month the period starts, UTC).
 */
export function pdfFileName(
  invoice: Pick<Invoice, 'id' | 'number' | 'status' | 'period' | 'customer_id'>,
  customerName?: string | null,
): string {
  if (invoice.number) return `${safeFilePart(invoice.number)}.pdf`;
  const month = /^\d{4}-\d{2}/.exec(invoice.period.start)?.[0];
  const who = safeFilePart(customerName || invoice.customer_id) || 'customer';
  const prefix = invoice.status === 'draft' ? 'draft' : 'invoice';
  return month ? `${prefix}-${who}-${month}.pdf` : `${prefix}-${who}-${safeFilePart(invoice.id)}.pdf`;
}

/** Lower-case letters, digits and dashes ("Acme Ads, Inc." -> "acme-ads-inc"); numbers keep their case. */
function safeFilePart(text: string): string {
  const ascii = text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  const isNumber = /^[A-Z0-9-]+$/.test(ascii);
  const cleaned = ascii.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  return isNumber ? cleaned : cleaned.toLowerCase();
}

/** The invoice's number, or a stand-in while it is a draft (drafts have none). */
export function invoiceTitle(invoice: Pick<Invoice, 'number' | 'status'>): string {
  return invoice.number ?? (invoice.status === 'draft' ? 'Draft invoice' : 'Invoice');
}

const LIST_KEY = 'meterline.invoice-list';

/** Remembers the list's query string so "Back to invoices" returns to the same view, even after a reload. */
export function rememberListSearch(search: string): void {
  try {
    sessionStorage.setItem(LIST_KEY, search);
  } catch {
    // no storage: the back link falls back to router state or the plain list
  }
}

export function rememberedListSearch(): string {
  try {
    return sessionStorage.getItem(LIST_KEY) ?? '';
  } catch {
    return '';
  }
}
