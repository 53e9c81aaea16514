// Admins: the plans billingd prices with (rows in its database, seeded from
// the catalog), each metric's charge model in words, every version of a plan
// with when it took effect, and a price preview: the lines and total one
// period of a plan's version would be invoiced for the usage typed in
// (POST /billing/price-preview, which stores nothing).
import { Calculator } from 'lucide-react';
import { useId, useState, type FormEvent } from 'react';
import { LinesTable } from '../../components/LinesTable';
import { EmptyState, ErrorState, LoadingState, Spinner } from '../../components/states';
import { NumCell, NumHeader } from '../../components/table';
import { TableScroll } from '../../components/TableScroll';
import { api } from '../../lib/billing';
import { formatDate, formatMoney, formatQuantity, pricingTerms } from '../../lib/format';
import { trialTerms } from '../../lib/plans';
import type { Plan, PricePreview } from '../../lib/types';
import { useAsync } from '../../lib/useAsync';
import { useDocumentTitle } from '../../lib/useDocumentTitle';

/** Digits only (no signs, no decimals): usage is counted in whole units. */
const WHOLE_UNITS = /^\d{1,18}$/;

const UNIT_WORDS: Record<string, string> = { impression: 'impressions', call: 'calls', byte: 'bytes' };

export function PlansPage() {
  useDocumentTitle('Plans');
  const list = useAsync((signal) => api.plans({ signal }), []);
  if (list.error) return <ErrorState error={list.error} title="Plans could not be loaded" onRetry={list.reload} />;
  if (!list.data) return <LoadingState label="Loading plans…" rows={4} />;
  const plans = list.data.data;
  if (plans.length === 0) return <EmptyState title="No plans yet" />;
  return (
    <div className="stack">
      <PreviewForm plans={plans} />
      {plans.map((plan) => (
        <PlanCard key={plan.id} plan={plan} />
      ))}
    </div>
  );
}

function PlanCard({ plan }: { plan: Plan }) {
  const titleId = useId();
  return (
    <section className="card card-flush" aria-labelledby={titleId} data-plan={plan.id}>
      <div className="card-head card-pad">
        <h2 id={titleId}>
          {plan.name}{' '}
          {plan.archived && (
            <span className="badge badge-disabled" data-testid="plan-archived">
              Archived
            </span>
          )}
        </h2>
        <p className="muted">
          {formatMoney(plan.base_fee)} a {plan.interval}
          {plan.minimum_commitment ? `, at least ${formatMoney(plan.minimum_commitment)} a ${plan.interval}` : ''}
          {plan.interval !== 'month' && (
            <span data-testid="plan-allowances">
              {' '}
              (allowances{' '}
              {plan.allowances === 'per_month' ? 'monthly, scaled to the ' + plan.interval : 'per ' + plan.interval})
            </span>
          )}
          {plan.base_fee_timing === 'in_advance' && <span data-testid="plan-fee-timing"> · fee in advance</span>}
          {trialTerms(plan.trial) && <span data-testid="plan-trial"> · {trialTerms(plan.trial)}</span>} ·{' '}
          <code className="cell-code">{plan.id}</code> · <span data-testid="plan-version">version {plan.version}</span>
          {plan.currencies.length > 1 && (
            <span data-testid="plan-currencies"> · priced in {plan.currencies.join(', ')}</span>
          )}
        </p>
      </div>
      <TableScroll label={`${plan.name} prices`}>
        <table className="table table-plans">
          <thead>
            <tr>
              <th scope="col">Metric</th>
              <NumHeader>Meter limit</NumHeader>
              <th scope="col">Pricing</th>
            </tr>
          </thead>
          <tbody>
            {plan.metrics.map((metric) => (
              <tr key={metric.metric} data-metric={metric.metric}>
                <th scope="row">{metric.name}</th>
                <NumCell label="Meter limit">{formatQuantity(metric.limit, metric.unit)}</NumCell>
                <td data-testid="plan-pricing">{pricingTerms(metric.name, metric.pricing)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      {plan.versions.length > 1 && <VersionList plan={plan} />}
    </section>
  );
}

/** Every version of a plan: when new subscriptions got it and its fee. */
function VersionList({ plan }: { plan: Plan }) {
  return (
    <details className="long-text card-pad" data-testid="plan-versions">
      <summary>
        {plan.versions.length} versions (prices never change in place; subscriptions move at a period end)
      </summary>
      <TableScroll label={`${plan.name} versions`}>
        <table className="table table-plans">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Effective from</th>
              <NumHeader>Fee per {plan.interval}</NumHeader>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {plan.versions.map((version) => (
              <tr key={version.version} data-version={version.version}>
                <th scope="row">{version.version}</th>
                <td>{formatDate(version.effective_at)}</td>
                <NumCell label={`Fee per ${plan.interval}`}>{formatMoney(version.base_fee)}</NumCell>
                <td>{versionStatus(version.version, plan.version)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </details>
  );
}

function versionStatus(version: number, current: number): string {
  if (version === current) return 'Current: new subscriptions';
  return version < current ? 'Earlier' : 'Scheduled';
}

function PreviewForm({ plans }: { plans: Plan[] }) {
  const taxId = useId();
  const [selected, setSelected] = useState(plans[0]!.id);
  const [version, setVersion] = useState<number | null>(null);
  const [currency, setCurrency] = useState<string | null>(null);
  const [quantities, setQuantities] = useState<Record<string, string>>({});
  const [taxRate, setTaxRate] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState('');
  const [preview, setPreview] = useState<PricePreview | null>(null);
  const plan = plans.find((p) => p.id === selected) ?? plans[0]!;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const sent: Record<string, number> = {};
    for (const metric of plan.metrics) {
      const text = (quantities[metric.metric] ?? '').trim();
      if (text === '') continue;
      if (!WHOLE_UNITS.test(text)) {
        setProblem(`${metric.name}: type whole units (digits only).`);
        return;
      }
      sent[metric.metric] = Number(text);
    }
    setProblem('');
    setBusy(true);
    try {
      setPreview(
        await api.pricePreview({
          plan: plan.id,
          ...(version !== null ? { version } : {}),
          ...(currency !== null ? { currency } : {}),
          quantities: sent,
          ...(taxRate.trim() ? { tax_rate: taxRate.trim() } : {}),
        }),
      );
    } catch (caught) {
      setPreview(null);
      setProblem(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="preview-title">
      <div className="card-head">
        <h2 id="preview-title">Price preview</h2>
        <p className="muted">What one month of a plan would be invoiced for this usage, computed as invoices are.</p>
      </div>
      <form className="form form-grid preview-form" onSubmit={(event) => void submit(event)} noValidate>
        <ChoiceField
          label="Plan"
          value={plan.id}
          options={plans.map((p) => ({ value: p.id, label: p.name }))}
          onChange={(value) => {
            setSelected(value);
            setVersion(null);
            setCurrency(null);
            setPreview(null);
          }}
        />
        {plan.currencies.length > 1 && (
          <ChoiceField
            label="Currency"
            value={currency ?? plan.currency}
            options={plan.currencies.map((code) => ({ value: code, label: code }))}
            onChange={(value) => {
              setCurrency(value);
              setPreview(null);
            }}
          />
        )}
        {plan.versions.length > 1 && (
          <ChoiceField
            label="Version"
            value={String(version ?? plan.version)}
            options={plan.versions.map((v) => ({
              value: String(v.version),
              label: `Version ${v.version}${v.version === plan.version ? ' (current)' : ''}`,
            }))}
            onChange={(value) => {
              setVersion(Number(value));
              setPreview(null);
            }}
          />
        )}
        {plan.metrics.map((metric) => (
          <QuantityField
            key={metric.metric}
            label={`${metric.name} (${UNIT_WORDS[metric.unit] ?? metric.unit})`}
            value={quantities[metric.metric] ?? ''}
            onChange={(value) => setQuantities((all) => ({ ...all, [metric.metric]: value }))}
          />
        ))}
        <div className="field">
          <label htmlFor={taxId}>Tax rate (optional)</label>
          <input
            id={taxId}
            inputMode="decimal"
            placeholder="0.19"
            value={taxRate}
            onChange={(event) => setTaxRate(event.target.value)}
          />
        </div>
        <div className="span-2">
          <button type="submit" className="button" disabled={busy}>
            {busy ? <Spinner /> : <Calculator aria-hidden="true" size={16} />} Preview
          </button>
        </div>
      </form>
      {problem && (
        <p className="form-error" role="alert" data-testid="preview-error">
          {problem}
        </p>
      )}
      {preview && <PreviewResult preview={preview} />}
    </section>
  );
}

/** A labelled select: the plan, its currency and its version in the preview. */
function ChoiceField({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: string;
  options: { value: string; label: string }[];
  onChange: (value: string) => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value)}>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}

function QuantityField({ label, value, onChange }: { label: string; value: string; onChange: (v: string) => void }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        inputMode="numeric"
        placeholder="0"
        value={value}
        onChange={(event) => onChange(event.target.value)}
      />
    </div>
  );
}

function PreviewResult({ preview }: { preview: PricePreview }) {
  return (
    <LinesTable
      label="Preview lines"
      testIdPrefix="preview"
      lines={preview.lines}
      currency={preview.currency}
      subtotal={preview.subtotal}
      taxRate={preview.tax_rate}
      tax={preview.tax}
      total={preview.total}
    />
  );
}
