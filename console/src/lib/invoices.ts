import type { Invoice } from './types';

/** An open invoice whose due date has passed. */
export function isOverdue(invoice: Pick<Invoice, 'status' | 'due_at'>, now: Date = new Date()): boolean {
  if (invoice.status !== 'open' || !invoice.due_at) return false;
  const due = Date.parse(invoice.due_at);
  return !Number.isNaN(due) && due < now.getTime();
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
