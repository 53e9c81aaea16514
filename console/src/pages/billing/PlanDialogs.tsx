// The Plan page's dialogs: a plan change with its preview (the invoices of
// the stretches before and after the change, exactly as billingd computes
// them), and a cancellation. Each sends its change once per Idempotency-Key: a
// retry of the same request reuses the key, another request gets a new one.
import { CalendarClock } from 'lucide-react';
import { useId, useRef, useState, type ReactNode } from 'react';
import { Dialog, DialogActions } from '../../components/Dialog';
import { LinesTable } from '../../components/LinesTable';
import { ErrorState, LoadingState } from '../../components/states';
import { keyFor, type SentKey } from '../../lib/adminForms';
import { api } from '../../lib/billing';
import {
  TIMING_CHOICES,
  cancelChoices,
  describePart,
  feePerInterval,
  isSelfServiceOff,
  planActionMessage,
  planName,
  timingHint,
  timingSummary,
} from '../../lib/plans';
import type {
  CancelTiming,
  PlanChangePart,
  PlanChangePreview,
  PlanChangeRequest,
  PlanChangeResult,
  PlanChangeTiming,
  PlanOffer,
  Subscription,
} from '../../lib/types';
import { useAsync } from '../../lib/useAsync';

/** Runs one plan action at a time; a 403 self_service_disabled is reported to the page. */
function useAction(onManaged: () => void) {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const sending = useRef(false);
  const run = async (action: () => Promise<void>) => {
    if (sending.current) return;
    sending.current = true;
    setBusy(true);
    setFailure(null);
    try {
      await action();
    } catch (caught) {
      if (isSelfServiceOff(caught)) onManaged();
      setFailure(planActionMessage(caught));
    } finally {
      sending.current = false;
      setBusy(false);
    }
  };
  return { busy, failure, run };
}

export function PlanChangeDialog({
  subscription,
  plan,
  plans,
  managed,
  onManaged,
  onCancel,
  onChanged,
}: {
  subscription: Subscription;
  /** The plan to move to. */
  plan: PlanOffer;
  plans: PlanOffer[];
  /** Changes are an administrator's here: no Confirm. */
  managed: boolean;
  onManaged: () => void;
  onCancel: () => void;
  onChanged: (result: PlanChangeResult) => void;
}) {
  const name = useId();
  // null: the server's choice (now for an upgrade, else the period's end), as the first preview says.
  const [timing, setTiming] = useState<PlanChangeTiming | null>(null);
  const preview = useAsync(
    (signal) =>
      api.previewPlanChange(
        subscription.id,
        { plan: plan.id, version: plan.version, ...(timing ? { effective: timing } : {}) },
        { signal },
      ),
    [subscription.id, plan.id, plan.version, timing],
  );
  const shown = preview.data;
  const chosen = timing ?? shown?.change.effective ?? null;
  const sent = useRef<SentKey | null>(null);
  const action = useAction(onManaged);
  const fromName = planName(plans, subscription.plan_id);

  const confirm = () =>
    action.run(async () => {
      if (!shown) return;
      // What the preview showed, timing included.
      const body: PlanChangeRequest = { plan: plan.id, version: plan.version, effective: shown.change.effective };
      sent.current = keyFor(sent.current, body);
      onChanged(await api.changePlan(subscription.id, body, sent.current.key));
    });

  return (
    <Dialog
      title={`Change to ${plan.name}`}
      testId="plan-change-dialog"
      className="dialog-preview"
      busy={action.busy}
      onClose={onCancel}
      onSubmit={() => void confirm()}
      actions={
        <DialogActions
          label="Confirm change"
          busy={action.busy}
          disabled={!shown || preview.loading || managed}
          onCancel={onCancel}
        />
      }
    >
      <p>
        From {fromName} to {plan.name}, {feePerInterval(plan)}.
      </p>
      <fieldset className="choices">
        <legend>When</legend>
        {TIMING_CHOICES.map((choice) => (
          <label key={choice.value} className="choice">
            <input
              type="radio"
              name={name}
              value={choice.value}
              checked={chosen === choice.value}
              disabled={action.busy}
              onChange={() => setTiming(choice.value)}
            />
            <span>
              <span className="choice-title">{choice.title}</span>
              <span className="choice-hint">{timingHint(choice.value, subscription, fromName)}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {preview.error ? (
        <ErrorState error={preview.error} title="The change could not be previewed" onRetry={preview.reload} />
      ) : !shown || preview.loading ? (
        <LoadingState label="Previewing the change…" rows={3} />
      ) : (
        <PreviewDetails preview={shown} plans={plans} />
      )}
      {action.failure && (
        <p className="form-error" role="alert" data-testid="plan-change-error">
          {action.failure}
        </p>
      )}
    </Dialog>
  );
}

function PreviewDetails({ preview, plans }: { preview: PlanChangePreview; plans: PlanOffer[] }) {
  return (
    <div className="stack" data-testid="plan-change-preview" data-effective={preview.change.effective}>
      <p className="callout callout-info" data-testid="plan-change-timing">
        <CalendarClock aria-hidden="true" size={18} />
        {timingSummary(preview.change)}
      </p>
      <p className="muted">
        The amounts count the usage recorded so far; usage until each invoice is made adds to them.
      </p>
      {preview.parts.map((part) => (
        <PreviewPart key={part.part} part={part} timing={preview.change.effective} plans={plans} />
      ))}
    </div>
  );
}

/** One stretch of the preview: its period, plan, proration and invoice date, then its invoice's lines. */
function PreviewPart({ part, timing, plans }: { part: PlanChangePart; timing: PlanChangeTiming; plans: PlanOffer[] }) {
  const titleId = useId();
  const words = describePart(part, timing, plans);
  return (
    <section className="preview-part" aria-labelledby={titleId} data-part={part.part}>
      <h3 id={titleId}>{words.title}</h3>
      <dl className="facts">
        <Fact label="Period">{words.period}</Fact>
        <Fact label="Plan">{words.plan}</Fact>
        <Fact label="Charged">{words.proration}</Fact>
        <Fact label="Invoiced">{words.invoiced}</Fact>
      </dl>
      <LinesTable
        label={`${words.title}: invoice lines`}
        testIdPrefix={`part-${part.part}`}
        lines={part.lines}
        currency={part.currency}
        subtotal={part.subtotal}
        taxRate={null}
        tax={part.tax}
        total={part.total}
      />
    </section>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

export function CancelSubscriptionDialog({
  subscription,
  managed,
  onManaged,
  onCancel,
  onCanceled,
}: {
  subscription: Subscription;
  managed: boolean;
  onManaged: () => void;
  onCancel: () => void;
  onCanceled: (after: Subscription, at: CancelTiming) => void;
}) {
  const name = useId();
  const [at, setAt] = useState<CancelTiming>('period_end');
  const sent = useRef<SentKey | null>(null);
  const action = useAction(onManaged);

  const confirm = () =>
    action.run(async () => {
      sent.current = keyFor(sent.current, { at });
      onCanceled(await api.cancelSubscription(subscription.id, at, sent.current.key), at);
    });

  return (
    <Dialog
      title="Cancel subscription"
      testId="cancel-dialog"
      busy={action.busy}
      onClose={onCancel}
      onSubmit={() => void confirm()}
      actions={
        <DialogActions
          label="Cancel subscription"
          busy={action.busy}
          disabled={managed}
          onCancel={onCancel}
          cancelLabel="Keep subscription"
          cancelAutoFocus
          danger
        />
      }
    >
      <fieldset className="choices">
        <legend>When</legend>
        {cancelChoices(subscription).map((choice) => (
          <label key={choice.value} className="choice">
            <input
              type="radio"
              name={name}
              value={choice.value}
              checked={at === choice.value}
              disabled={action.busy}
              onChange={() => setAt(choice.value)}
            />
            <span>
              <span className="choice-title">{choice.title}</span>
              <span className="choice-hint">{choice.hint}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {action.failure && (
        <p className="form-error" role="alert" data-testid="cancel-error">
          {action.failure}
        </p>
      )}
    </Dialog>
  );
}
