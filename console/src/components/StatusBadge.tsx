import type { InvoiceStatus } from '../lib/types';

const LABELS: Record<InvoiceStatus, string> = {
  draft: 'Draft',
  open: 'Open',
  paid: 'Paid',
  void: 'Void',
  uncollectible: 'Uncollectible',
};

export function statusLabel(status: InvoiceStatus): string {
  return LABELS[status] ?? status;
}

/** An invoice status as a coloured pill; `overdue` marks an open invoice past its due date. */
export function StatusBadge({ status, overdue = false }: { status: InvoiceStatus; overdue?: boolean }) {
  const tone = overdue ? 'overdue' : status;
  return (
    <span className={`badge badge-${tone}`} data-status={status}>
      {overdue ? 'Overdue' : statusLabel(status)}
    </span>
  );
}
