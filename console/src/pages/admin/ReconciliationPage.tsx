// Admins: compare what Meterline expects to bill with what Stripe billed.
// POST /billing/reconcile runs one (the console makes the Idempotency-Key, so
// a retry after a lost answer does not run it twice); the history lists past
// runs, and any run can be opened to see its findings.
import { AlertTriangle, CheckCircle2, History, PlayCircle } from 'lucide-react';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { focusFirstInvalid, TextField } from '../../components/FormField';
import { EmptyState, ErrorState, LoadingState, Spinner } from '../../components/states';
import { NumCell, NumHeader } from '../../components/table';
import { ApiError } from '../../lib/api';
import { api, newIdempotencyKey } from '../../lib/billing';
import { formatDateTime, formatInteger, formatMoney, formatMonth, formatRate, METRIC_NAMES } from '../../lib/format';
import type {
  FindingKind,
  Reconciliation,
  ReconciliationFinding,
  ReconciliationSummary,
  ReconciliationTotals,
} from '../../lib/types';
import { useAsync } from '../../lib/useAsync';
import { useDocumentTitle } from '../../lib/useDocumentTitle';
import { TableScroll } from '../../components/TableScroll';

/**
 * Whether a failed request should be retried with the same Idempotency-Key:
 * yes when the answer was lost or the server failed or was busy (the run may
 * have started), no when the request itself was refused.
 */
export function keepKeyAfter(error: unknown): boolean {
  if (!(error instanceof ApiError)) return true;
  return error.status === 0 || error.status === 409 || error.status === 429 || error.status >= 500;
}

const KIND_LABELS: Record<FindingKind, string> = {
  amount_mismatch: 'Amounts differ',
  missing_in_stripe: 'Missing in Stripe',
  missing_internal: 'Missing in Meterline',
  currency_mismatch: 'Billed in another currency',
};

/** "2025-01" for any day of February 2025 (UTC), as the server's default. */
export function lastClosedMonth(now: Date): string {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth(); // 0-based: the previous month's 1-based number
  return month === 0 ? `${year - 1}-12` : `${year}-${String(month).padStart(2, '0')}`;
}

/** A month written YYYY-MM, as the API takes a period ("2025-13" and "2025-1" are not). */
export function isYearMonth(text: string): boolean {
  return /^\d{4}-(0[1-9]|1[0-2])$/.test(text);
}

const RUN_STATUS_LABELS: Record<string, string> = {
  completed: 'Completed',
  running: 'Running',
  pending: 'Waiting to run',
  failed: 'Failed',
};

/** A run's status in words ("completed" -> "Completed"); an unknown one as the API spells it, capitalised. */
export function runStatusLabel(status: string): string {
  return RUN_STATUS_LABELS[status] ?? status.charAt(0).toUpperCase() + status.slice(1).replace(/_/g, ' ');
}

/** The invoice number of a finding; null for a draft or no invoice of ours (the page then shows the id, muted). */
function findingInvoiceNumber(finding: ReconciliationFinding): string | null {
  return finding.invoice_number ? finding.invoice_number : null;
}

function lineLabel(line: string): string {
  if (line === 'total') return 'Invoice total';
  if (line === 'base_fee') return 'Base fee';
  if (line === 'tax') return 'Tax';
  return METRIC_NAMES[line] ?? line.replace(/_/g, ' ');
}

export function ReconciliationPage() {
  useDocumentTitle('Reconciliation');
  const [params, setParams] = useSearchParams();
  const selectedId = params.get('run') ?? '';
  const history = useAsync((signal) => api.reconciliations(20, { signal }), []);
  const selected = useAsync(
    async (signal) => (selectedId ? api.reconciliation(selectedId, { signal }) : null),
    [selectedId],
  );
  const [latest, setLatest] = useState<Reconciliation | null>(null);

  const shown = latest && (!selectedId || latest.id === selectedId) ? latest : (selected.data ?? null);

  const onCompleted = (result: Reconciliation) => {
    setLatest(result);
    setParams({ run: result.id });
    history.reload();
  };

  return (
    <div className="stack">
      <RunForm onCompleted={onCompleted} />
      {selectedId && !shown && selected.loading && <LoadingState label="Loading the reconciliation…" />}
      {selectedId && selected.error && (
        <ErrorState error={selected.error} title="This reconciliation could not be loaded" onRetry={selected.reload} />
      )}
      {shown && <ResultPanel result={shown} />}
      <section className="card card-flush" aria-labelledby="history-title">
        <div className="card-head card-pad">
          <h2 id="history-title">
            <History aria-hidden="true" size={18} /> History
          </h2>
          <p className="muted">The latest runs, newest first.</p>
        </div>
        {history.error ? (
          <div className="card-pad">
            <ErrorState error={history.error} title="The history could not be loaded" onRetry={history.reload} />
          </div>
        ) : !history.data ? (
          <div className="card-pad">
            <LoadingState label="Loading the history…" />
          </div>
        ) : history.data.length === 0 ? (
          <div className="card-pad">
            <EmptyState title="No reconciliations yet">
              <p>Run the first one above.</p>
            </EmptyState>
          </div>
        ) : (
          <HistoryTable runs={history.data} selectedId={shown?.id ?? selectedId} />
        )}
      </section>
    </div>
  );
}

function RunForm({ onCompleted }: { onCompleted: (result: Reconciliation) => void }) {
  // The last closed month, which the server also takes when none is sent (an
  // empty field). A text field, not <input type="month">: one Tab stop, where
  // Chromium's month input has one per part.
  const [text, setText] = useState(() => lastClosedMonth(new Date()));
  const [touched, setTouched] = useState(false);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const keyRef = useRef<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const period = text.trim();
  const invalid = period !== '' && !isYearMonth(period);

  // A different request gets a different key.
  useEffect(() => {
    keyRef.current = null;
  }, [period]);

  const run = async () => {
    keyRef.current ??= newIdempotencyKey();
    setRunning(true);
    setError(null);
    try {
      const result = await api.reconcile({ period: period || undefined, idempotencyKey: keyRef.current });
      keyRef.current = null;
      onCompleted(result);
    } catch (caught) {
      if (!keepKeyAfter(caught)) keyRef.current = null;
      setError(caught instanceof Error ? caught : new Error(String(caught)));
    } finally {
      setRunning(false);
    }
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (invalid) {
      setTouched(true);
      focusFirstInvalid(formRef.current);
      return;
    }
    void run();
  };

  const inProgress = error instanceof ApiError && error.status === 409;
  return (
    <section className="card" aria-labelledby="run-title">
      <div className="card-head">
        <h2 id="run-title">Run a reconciliation</h2>
        <p className="muted">
          Compares every subscription's expected charges with the invoices in Stripe, line by line, and lists each
          difference above the tolerance.
        </p>
      </div>
      <form className="run-form" onSubmit={onSubmit} noValidate ref={formRef}>
        <TextField
          label="Billing period"
          value={text}
          onChange={(value) => {
            setText(value);
            // Said again only once the field is left or the form sent.
            setTouched(false);
          }}
          onBlur={() => setTouched(true)}
          hint="YYYY-MM: the billing periods starting in this month (UTC)."
          error={touched && invalid ? 'Not a month: use YYYY-MM, for example 2025-01.' : undefined}
          field="period"
          type="text"
          autoComplete="off"
          spellCheck={false}
          placeholder="YYYY-MM"
          maxLength={7}
        />
        <button type="submit" className="button button-primary" disabled={running} aria-busy={running}>
          {running ? <Spinner /> : <PlayCircle aria-hidden="true" size={18} />}
          {running ? 'Reconciling…' : 'Run reconciliation'}
        </button>
      </form>
      {error && (
        <div data-testid="reconcile-error">
          <ErrorState
            error={error}
            title={inProgress ? 'A reconciliation is already running' : 'The reconciliation did not run'}
            onRetry={keepKeyAfter(error) ? () => void run() : undefined}
          >
            {inProgress && <p>Wait for it to finish; its result will appear in the history.</p>}
          </ErrorState>
        </div>
      )}
    </section>
  );
}

function ResultPanel({ result }: { result: Reconciliation }) {
  const clean = result.findings_count === 0;
  // Several currencies: the stats are the main currency's, the table has each.
  const totals = result.totals ?? [];
  const currencies = totals.length > 1;
  const inMain = currencies ? ` (${result.currency})` : '';
  return (
    <section className="card" aria-labelledby="result-title" data-testid="reconcile-result" data-run={result.id}>
      <div className="card-head card-head-row">
        <div>
          <h2 id="result-title">Reconciliation for {formatMonth(result.period)}</h2>
          <p className="muted">
            Run {formatDateTime(result.created_at)} · tolerance {formatRate(result.tolerance)} ·{' '}
            <code>{result.id}</code>
          </p>
        </div>
        {result.alert_raised ? (
          <span className="badge badge-uncollectible">Alert raised</span>
        ) : (
          <span className={`badge ${clean ? 'badge-paid' : 'badge-open'}`}>
            {clean ? 'In agreement' : 'Within alert threshold'}
          </span>
        )}
      </div>
      <dl className="summary-grid summary-grid-tight">
        <Stat label="Subscriptions checked" value={formatInteger(result.subscriptions_checked)} />
        <Stat label="Invoices compared" value={formatInteger(result.invoices_compared)} />
        <Stat label="Findings" value={formatInteger(result.findings_count)} />
        <Stat label={`Expected${inMain}`} value={formatMoney(result.expected_total)} />
        <Stat label={`Billed in Stripe${inMain}`} value={formatMoney(result.billed_total)} />
        <Stat label={`Discrepancy${inMain}`} value={formatMoney(result.discrepancy_total)} />
      </dl>
      {currencies && <CurrencyTable totals={totals} />}
      {clean ? (
        <div className="callout callout-success" role="status">
          <CheckCircle2 aria-hidden="true" size={20} />
          <p>Every invoice matches what was expected, within the tolerance.</p>
        </div>
      ) : (
        <TableScroll label="Findings">
          <table className="table table-stack" data-testid="findings-table">
            <caption className="visually-hidden">Findings</caption>
            <thead>
              <tr>
                <th scope="col">Customer</th>
                <th scope="col">Finding</th>
                <th scope="col">Line</th>
                <NumHeader>Expected</NumHeader>
                <NumHeader>Billed</NumHeader>
                <NumHeader>Difference</NumHeader>
                <th scope="col">Invoice</th>
              </tr>
            </thead>
            <tbody>
              {result.findings.map((finding, index) => (
                <tr key={index} data-kind={finding.kind}>
                  <th scope="row">{finding.customer_name ?? finding.customer_id ?? 'Unknown customer'}</th>
                  <td data-label="Finding">
                    <span className={`badge badge-finding-${finding.kind}`}>
                      {finding.kind === 'amount_mismatch' ? null : <AlertTriangle aria-hidden="true" size={12} />}
                      {KIND_LABELS[finding.kind] ?? finding.kind}
                    </span>
                  </td>
                  <td data-label="Line">{lineLabel(finding.line)}</td>
                  <NumCell label="Expected">{formatMoney(finding.expected)}</NumCell>
                  <NumCell label="Billed">{formatMoney(finding.billed)}</NumCell>
                  <NumCell label="Difference">{formatMoney(finding.difference)}</NumCell>
                  <td data-label="Invoice">
                    {finding.invoice_id ? (
                      <Link
                        to={`/billing/invoices/${encodeURIComponent(finding.invoice_id)}${finding.customer_id ? `?customer=${encodeURIComponent(finding.customer_id)}` : ''}`}
                      >
                        {findingInvoiceNumber(finding) ?? <code className="id-muted">{finding.invoice_id}</code>}
                      </Link>
                    ) : (
                      '—'
                    )}
                    {finding.stripe_invoice_id && (
                      <span className="cell-sub">
                        Stripe <span className="mono">{finding.stripe_invoice_id}</span>
                      </span>
                    )}
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

function CurrencyTable({ totals }: { totals: ReconciliationTotals[] }) {
  return (
    <TableScroll label="Totals by currency">
      <table className="table table-stack" data-testid="currency-table">
        <caption className="table-caption">By currency (amounts in different currencies are never added)</caption>
        <thead>
          <tr>
            <th scope="col">Currency</th>
            <NumHeader>Subscriptions</NumHeader>
            <NumHeader>Expected</NumHeader>
            <NumHeader>Billed</NumHeader>
            <NumHeader>Discrepancy</NumHeader>
            <NumHeader>Alert above</NumHeader>
            <th scope="col">Alert</th>
          </tr>
        </thead>
        <tbody>
          {totals.map((t) => (
            <tr key={t.currency} data-currency={t.currency}>
              <th scope="row">{t.currency}</th>
              <NumCell label="Subscriptions">{formatInteger(t.subscriptions_checked)}</NumCell>
              <NumCell label="Expected">{formatMoney(t.expected_total)}</NumCell>
              <NumCell label="Billed">{formatMoney(t.billed_total)}</NumCell>
              <NumCell label="Discrepancy">{formatMoney(t.discrepancy_total)}</NumCell>
              <NumCell label="Alert above">{formatMoney(t.alert_threshold)}</NumCell>
              <td data-label="Alert">
                {t.alert_raised ? (
                  <span className="badge badge-uncollectible">Raised</span>
                ) : (
                  <span className="muted">No</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="stat stat-plain">
      <dt className="stat-label">{label}</dt>
      <dd className="stat-value">{value}</dd>
    </div>
  );
}

function HistoryTable({ runs, selectedId }: { runs: ReconciliationSummary[]; selectedId: string }) {
  return (
    <TableScroll label="History">
      <table className="table table-stack" data-testid="history-table">
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Period</th>
            <th scope="col">Status</th>
            <NumHeader>Subscriptions</NumHeader>
            <NumHeader>Findings</NumHeader>
            <NumHeader>Discrepancy</NumHeader>
            <th scope="col">Alert</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr
              key={run.id}
              aria-current={run.id === selectedId ? 'true' : undefined}
              className={run.id === selectedId ? 'row-selected' : undefined}
            >
              <th scope="row" className="nowrap">
                <Link to={`?run=${encodeURIComponent(run.id)}`}>{formatDateTime(run.created_at)}</Link>
              </th>
              <td data-label="Period" className="nowrap">
                {formatMonth(run.period)}
              </td>
              <td data-label="Status">{runStatusLabel(run.status)}</td>
              <NumCell label="Subscriptions">{formatInteger(run.subscriptions_checked)}</NumCell>
              <NumCell label="Findings">{formatInteger(run.findings_count)}</NumCell>
              <NumCell label="Discrepancy">{formatMoney(run.discrepancy_total)}</NumCell>
              <td data-label="Alert">
                {run.alert_raised ? <span className="badge badge-uncollectible">Alert</span> : '—'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}
