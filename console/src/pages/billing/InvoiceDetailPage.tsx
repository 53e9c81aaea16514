import { AlertCircle, ArrowLeft, CheckCircle2, Clock, Download, FileText, Info } from 'lucide-react';
import type { ReactNode } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import { customerName, useCustomerScope, useCustomers } from '../../app/customers';
import { StatusBadge } from '../../components/StatusBadge';
import { ErrorState, LoadingState, Spinner } from '../../components/states';
import { LinesTable } from '../../components/LinesTable';
import { api } from '../../lib/billing';
import { usePdfDownload } from '../../lib/download';
import { daysUntil, formatDate, formatMoney, formatPeriod } from '../../lib/format';
import { invoiceTitle, isOverdue, rememberedListSearch } from '../../lib/invoices';
import type { InvoiceWithLines } from '../../lib/types';
import { useAsync } from '../../lib/useAsync';
import { useDocumentTitle } from '../../lib/useDocumentTitle';

export function InvoiceDetailPage() {
  const { id = '' } = useParams();
  const location = useLocation();
  const scope = useCustomerScope();
  const customers = useCustomers();
  const invoice = useAsync((signal) => api.invoice(id, { signal }), [id]);
  const pdf = usePdfDownload();
  useDocumentTitle(invoice.data ? invoiceTitle(invoice.data) : 'Invoice');
  const listSearch =
    (location.state as { listSearch?: string } | null)?.listSearch ?? (rememberedListSearch() || scope.query);
  const back = (
    <Link to={`/billing/invoices${listSearch}`} className="back-link">
      <ArrowLeft aria-hidden="true" size={16} /> Back to invoices
    </Link>
  );

  if (invoice.error) {
    return (
      <div className="stack">
        {back}
        <ErrorState error={invoice.error} title="This invoice could not be loaded" onRetry={invoice.reload} />
      </div>
    );
  }
  if (!invoice.data) {
    return (
      <div className="stack">
        {back}
        <LoadingState label="Loading the invoice…" rows={6} />
      </div>
    );
  }
  const inv = invoice.data;
  const title = invoiceTitle(inv);
  const downloading = pdf.pendingId === inv.id;
  return (
    <div className="stack">
      {back}
      <article className="card invoice" aria-labelledby="invoice-title" data-invoice={inv.id}>
        <header className="invoice-head">
          <div>
            <h2 id="invoice-title" className="invoice-title">
              <FileText aria-hidden="true" size={22} /> {title}
            </h2>
            <p className="muted">Billing period {formatPeriod(inv.period)}</p>
          </div>
          <div className="invoice-head-side">
            <StatusBadge status={inv.status} overdue={isOverdue(inv)} />
            <button
              type="button"
              className="button button-primary"
              onClick={() =>
                void pdf.download(inv, scope.isAdmin ? customerName(customers.data, inv.customer_id) : null)
              }
              disabled={downloading}
              aria-busy={downloading}
            >
              {downloading ? <Spinner /> : <Download aria-hidden="true" size={18} />}
              {downloading ? 'Preparing PDF…' : 'Download PDF'}
            </button>
          </div>
        </header>
        {pdf.error && (
          <p className="form-error" role="alert">
            The PDF could not be downloaded: {pdf.error.message}
          </p>
        )}
        <StatusMessage invoice={inv} />
        <InvoiceFacts invoice={inv} showCustomer={scope.isAdmin} />
        <LineItems invoice={inv} />
      </article>
    </div>
  );
}

function StatusMessage({ invoice }: { invoice: InvoiceWithLines }) {
  let tone: 'info' | 'success' | 'warning' | 'danger' = 'info';
  let icon: ReactNode = <Info aria-hidden="true" size={20} />;
  let text: ReactNode;
  switch (invoice.status) {
    case 'draft':
      text = 'This invoice is a draft. It can still change and is not payable yet.';
      break;
    case 'open': {
      if (isOverdue(invoice)) {
        tone = 'danger';
        icon = <AlertCircle aria-hidden="true" size={20} />;
        text = (
          <>
            <strong>Overdue.</strong> {formatMoney(invoice.amount_due)} was due on {formatDate(invoice.due_at)}. Please
            pay as soon as possible.
          </>
        );
      } else {
        tone = 'warning';
        icon = <Clock aria-hidden="true" size={20} />;
        const days = invoice.due_at ? daysUntil(invoice.due_at) : null;
        text = invoice.due_at ? (
          <>
            <strong>
              {formatMoney(invoice.amount_due)} is due on {formatDate(invoice.due_at)}
            </strong>
            {days !== null && days >= 0 && ` (in ${days} day${days === 1 ? '' : 's'})`}.
          </>
        ) : (
          <>
            <strong>{formatMoney(invoice.amount_due)} is due.</strong>
          </>
        );
      }
      break;
    }
    case 'paid':
      tone = 'success';
      icon = <CheckCircle2 aria-hidden="true" size={20} />;
      text = (
        <>
          <strong>Paid</strong> {formatMoney(invoice.amount_paid)} on {formatDate(invoice.paid_at)}. Thank you.
        </>
      );
      break;
    case 'void':
      text = `This invoice was voided on ${formatDate(invoice.voided_at)}. Nothing is owed.`;
      break;
    case 'uncollectible':
      tone = 'danger';
      icon = <AlertCircle aria-hidden="true" size={20} />;
      text = `This invoice was marked uncollectible. ${formatMoney(invoice.amount_due)} remains unpaid.`;
      break;
  }
  return (
    <div className={`callout callout-${tone}`} role="status" data-testid="invoice-status-message">
      {icon}
      <p>{text}</p>
    </div>
  );
}

function InvoiceFacts({ invoice, showCustomer }: { invoice: InvoiceWithLines; showCustomer: boolean }) {
  const customers = useCustomers();
  // A draft was created, not issued: it has no issue date to show yet.
  const facts: [string, ReactNode][] = [
    ['Issued', invoice.status === 'draft' ? 'Draft — not issued' : formatDate(invoice.created_at)],
    ['Due', formatDate(invoice.due_at)],
    ['Billing period', formatPeriod(invoice.period)],
  ];
  if (invoice.paid_at) facts.push(['Paid', formatDate(invoice.paid_at)]);
  if (invoice.voided_at) facts.push(['Voided', formatDate(invoice.voided_at)]);
  if (showCustomer) facts.push(['Customer', customerName(customers.data, invoice.customer_id)]);
  facts.push(['Currency', invoice.currency]);
  facts.push([
    'Reference',
    <code key="id" className="code-id">
      {invoice.id}
    </code>,
  ]);
  return (
    <dl className="facts">
      {facts.map(([label, value]) => (
        <div key={label} className={label === 'Reference' ? 'fact fact-wide' : 'fact'}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function LineItems({ invoice }: { invoice: InvoiceWithLines }) {
  return (
    <section aria-labelledby="lines-title">
      <h3 id="lines-title" className="section-heading">
        Line items
      </h3>
      <LinesTable
        label="Line items"
        testIdPrefix="invoice"
        lines={invoice.lines}
        currency={invoice.currency}
        subtotal={invoice.subtotal}
        taxRate={invoice.tax_rate}
        tax={invoice.tax}
        total={invoice.total}
      >
        {invoice.amount_paid.minor > 0 && (
          <tr>
            <th scope="row" colSpan={3}>
              Amount paid
            </th>
            <td className="num">−{formatMoney(invoice.amount_paid)}</td>
          </tr>
        )}
        {invoice.amount_refunded.minor > 0 && (
          <tr>
            <th scope="row" colSpan={3}>
              Refunded
            </th>
            <td className="num">{formatMoney(invoice.amount_refunded)}</td>
          </tr>
        )}
        {invoice.status === 'open' && (
          <tr className="row-due">
            <th scope="row" colSpan={3}>
              Amount due
            </th>
            <td className="num">{formatMoney(invoice.amount_due)}</td>
          </tr>
        )}
      </LinesTable>
    </section>
  );
}
