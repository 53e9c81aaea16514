import {
  AlertCircle,
  ArrowLeft,
  CheckCircle2,
  Clock,
  Download,
  FilePlus2,
  FileText,
  Info,
  RefreshCw,
} from 'lucide-react';
import { useState, type ReactNode } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import { customerName, useCustomerScope, useCustomers } from '../../app/customers';
import { StatusBadge } from '../../components/StatusBadge';
import { EmptyState, ErrorState, LoadingState, Spinner } from '../../components/states';
import { NumCell, NumHeader } from '../../components/table';
import { TableScroll } from '../../components/TableScroll';
import { LinesTable } from '../../components/LinesTable';
import { api } from '../../lib/billing';
import { reasonLabel, refundLabel } from '../../lib/credits';
import { useCreditNotePdfDownload, usePdfDownload } from '../../lib/download';
import { attemptOutcome, attemptsInOrder, dunningBadge, dunningFacts, finalActionText } from '../../lib/dunning';
import { daysUntil, formatDate, formatDateTime, formatMoney, formatPeriod } from '../../lib/format';
import { invoiceTitle, isOverdue, rememberedListSearch } from '../../lib/invoices';
import type { CreditNote, DunningCampaign, InvoiceWithLines } from '../../lib/types';
import { CreditNoteDialog } from './CreditNoteDialog';
import { useAsync } from '../../lib/useAsync';
import { useDocumentTitle } from '../../lib/useDocumentTitle';

export function InvoiceDetailPage() {
  const { id = '' } = useParams();
  const location = useLocation();
  const scope = useCustomerScope();
  const customers = useCustomers();
  const invoice = useAsync((signal) => api.invoice(id, { signal }), [id]);
  const notes = useAsync((signal) => api.creditNotes(id, { signal }), [id]);
  const pdf = usePdfDownload();
  const [issuing, setIssuing] = useState(false);
  const [issued, setIssued] = useState<CreditNote | null>(null);
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
  // Open, paid and uncollectible invoices can be credited; a draft or a void one cannot.
  const creditable =
    scope.isAdmin && (inv.status === 'open' || inv.status === 'paid' || inv.status === 'uncollectible');
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
            {creditable && (
              <button
                type="button"
                className="button button-secondary"
                onClick={() => {
                  setIssued(null);
                  setIssuing(true);
                }}
                disabled={!notes.data}
              >
                <FilePlus2 aria-hidden="true" size={18} /> Issue credit note
              </button>
            )}
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
        {issued && (
          <p className="callout callout-success" role="status" data-testid="credit-note-issued">
            <CheckCircle2 aria-hidden="true" size={20} />
            Credit note {issued.number} for {formatMoney(issued.total)} was issued.
          </p>
        )}
        <StatusMessage invoice={inv} />
        <InvoiceFacts invoice={inv} showCustomer={scope.isAdmin} />
        {inv.dunning && <PaymentRetries campaign={inv.dunning} />}
        <LineItems invoice={inv} />
        <CreditNotes state={notes} />
      </article>
      {issuing && notes.data && (
        <CreditNoteDialog
          invoice={inv}
          notes={notes.data.data}
          onCancel={() => setIssuing(false)}
          onIssued={(note) => {
            setIssuing(false);
            setIssued(note);
            // The invoice's amounts and status change with it.
            invoice.reload();
            notes.reload();
          }}
        />
      )}
    </div>
  );
}

function CreditNotes({ state }: { state: ReturnType<typeof useAsync<{ data: CreditNote[] }>> }) {
  const pdf = useCreditNotePdfDownload();
  if (state.error) {
    return <ErrorState error={state.error} title="Credit notes could not be loaded" onRetry={state.reload} />;
  }
  if (!state.data) return <LoadingState label="Loading credit notes…" rows={2} />;
  const notes = state.data.data;
  return (
    <section aria-labelledby="credit-notes-title">
      <h3 id="credit-notes-title" className="section-heading">
        Credit notes
      </h3>
      {notes.length === 0 ? (
        <EmptyState title="No credit notes">
          <p>Nothing has been credited on this invoice.</p>
        </EmptyState>
      ) : (
        <TableScroll label="Credit notes">
          <table className="table table-stack" data-testid="credit-notes">
            <thead>
              <tr>
                <th scope="col">Number</th>
                <th scope="col">Date</th>
                <th scope="col">Reason</th>
                <NumHeader>Total</NumHeader>
                <th scope="col">After payment</th>
              </tr>
            </thead>
            <tbody>
              {notes.map((note) => (
                <tr key={note.id} data-credit-note={note.id}>
                  <th scope="row" className="cell-main">
                    <a
                      href={`/api/v1/billing/credit-notes/${encodeURIComponent(note.id)}/pdf`}
                      download={`${note.number}.pdf`}
                      aria-busy={pdf.pendingId === note.id}
                      onClick={(event) => {
                        event.preventDefault();
                        void pdf.download(note);
                      }}
                    >
                      {note.number}
                    </a>
                    {pdf.pendingId === note.id && <Spinner label="Preparing PDF…" />}
                    {note.memo && <span className="cell-sub">{note.memo}</span>}
                  </th>
                  <td data-label="Date">{formatDate(note.created_at)}</td>
                  <td data-label="Reason">{reasonLabel(note.reason)}</td>
                  <NumCell label="Total">{formatMoney(note.total)}</NumCell>
                  <td data-label="After payment">
                    {note.post_payment_amount.minor > 0
                      ? `${formatMoney(note.post_payment_amount)}: ${refundLabel(note)}`
                      : refundLabel(note)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {pdf.error && (
        <p className="form-error" role="alert">
          The credit note PDF could not be downloaded: {pdf.error.message}
        </p>
      )}
    </section>
  );
}

/** The retries of the invoice's failed payment (its dunning campaign): where they stand, what follows, each attempt. */
function PaymentRetries({ campaign }: { campaign: DunningCampaign }) {
  const badge = dunningBadge(campaign.state);
  const finalAction = finalActionText(campaign);
  const attempts = attemptsInOrder(campaign.attempts);
  return (
    <section
      className="dunning"
      aria-labelledby="dunning-title"
      data-testid="invoice-dunning"
      data-state={campaign.state}
    >
      <div className="section-heading-row">
        <h3 id="dunning-title" className="section-heading">
          Payment retries
        </h3>
        <span className={`badge badge-${badge.tone}`} data-testid="dunning-state">
          {badge.label}
        </span>
      </div>
      <dl className="facts">
        {dunningFacts(campaign).map((fact) => (
          <div key={fact.key} className={fact.wide ? 'fact fact-wide' : 'fact'}>
            <dt>{fact.label}</dt>
            <dd data-testid={`dunning-${fact.key}`}>
              {fact.value}
              {fact.note && <span className="cell-sub">{fact.note}</span>}
            </dd>
          </div>
        ))}
      </dl>
      {finalAction && (
        <p className="dunning-final muted" data-testid="dunning-final-action">
          <RefreshCw aria-hidden="true" size={16} /> {finalAction}
        </p>
      )}
      {attempts.length === 0 ? (
        <p className="muted" data-testid="dunning-no-attempts">
          No retries have been made yet.
        </p>
      ) : (
        <TableScroll label="Payment retries">
          <table className="table table-stack" data-testid="dunning-attempts">
            <thead>
              <tr>
                <th scope="col">Retry</th>
                <th scope="col">Date</th>
                <th scope="col">Outcome</th>
                <th scope="col">Code</th>
              </tr>
            </thead>
            <tbody>
              {attempts.map((attempt) => (
                <tr key={attempt.attempt} data-attempt={attempt.attempt}>
                  <th scope="row" className="cell-main">
                    {attempt.attempt} of {campaign.attempts_total}
                  </th>
                  <td data-label="Date">{formatDateTime(attempt.attempted_at)}</td>
                  <td data-label="Outcome">
                    <span className={`badge badge-attempt-${attempt.outcome}`}>{attemptOutcome(attempt)}</span>
                  </td>
                  <td data-label="Code">
                    {attempt.code ? <code>{attempt.code}</code> : '—'}
                    {attempt.message && <span className="cell-sub">{attempt.message}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
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
      text =
        invoice.amount_paid.minor > 0 ? (
          <>
            <strong>Paid</strong> {formatMoney(invoice.amount_paid)} on {formatDate(invoice.paid_at)}. Thank you.
          </>
        ) : (
          <>
            <strong>Paid</strong> on {formatDate(invoice.paid_at)} by credits and credit notes. Nothing is owed.
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
  // Stripe's hosted page, where the customer pays an invoice that is still owed.
  const payable = (invoice.status === 'open' || invoice.status === 'uncollectible') && invoice.hosted_invoice_url;
  return (
    <div className={`callout callout-${tone}`} role="status" data-testid="invoice-status-message">
      {icon}
      <p>
        {text}
        {payable && (
          <>
            {' '}
            <a className="button button-small" href={invoice.hosted_invoice_url ?? undefined} data-testid="pay-now">
              Pay now
            </a>
          </>
        )}
      </p>
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
        {invoice.credits_applied.minor > 0 && (
          <tr>
            <th scope="row" colSpan={3}>
              Credits applied
            </th>
            <td className="num" data-testid="invoice-credits-applied">
              −{formatMoney(invoice.credits_applied)}
            </td>
          </tr>
        )}
        {invoice.pre_payment_credit_notes.minor > 0 && (
          <tr>
            <th scope="row" colSpan={3}>
              Credit notes
            </th>
            <td className="num" data-testid="invoice-credit-notes">
              −{formatMoney(invoice.pre_payment_credit_notes)}
            </td>
          </tr>
        )}
        {invoice.amount_paid.minor > 0 && (
          <tr>
            <th scope="row" colSpan={3}>
              Amount paid
            </th>
            <td className="num">−{formatMoney(invoice.amount_paid)}</td>
          </tr>
        )}
        {invoice.post_payment_credit_notes.minor > 0 && (
          <tr>
            <th scope="row" colSpan={3}>
              Credited after payment
            </th>
            <td className="num" data-testid="invoice-post-payment-credit-notes">
              {formatMoney(invoice.post_payment_credit_notes)}
            </td>
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
            <td className="num" data-testid="invoice-amount-due">
              {formatMoney(invoice.amount_due)}
            </td>
          </tr>
        )}
      </LinesTable>
    </section>
  );
}
