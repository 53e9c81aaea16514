// A member's plan: the plan now, its period and anything scheduled (a plan
// change, an end), the plans they can move to side by side, and the ways to
// change plan (with a preview of the invoices it makes) or cancel. Members may
// change only when the server allows it (SELF_SERVICE_PLAN_CHANGES); the page
// learns that it does not from the first refusal, and then says who does.
import { CalendarClock, CalendarX, CheckCircle2, CreditCard, Info } from 'lucide-react';
import { useEffect, useId, useRef, useState } from 'react';
import { Navigate } from 'react-router';
import { useCustomerScope } from '../../app/customers';
import { EmptyState, ErrorState, LoadingState, Spinner } from '../../components/states';
import { api } from '../../lib/billing';
import { formatMoney, pricingTerms } from '../../lib/format';
import {
  SELF_SERVICE_OFF,
  cancelConfirmation,
  changeConfirmation,
  feePerInterval,
  formatAllowance,
  formatMoment,
  formatSpan,
  isSelfServiceOff,
  planActionMessage,
  planName,
  segmentNote,
  subscriptionActions,
  subscriptionBadge,
  subscriptionNotes,
  type SubscriptionActions,
  type SubscriptionNote,
  portalFailure,
} from '../../lib/plans';
import type { PlanOffer, Subscription } from '../../lib/types';
import { useAsync } from '../../lib/useAsync';
import { useDocumentTitle } from '../../lib/useDocumentTitle';
import { CancelSubscriptionDialog, PlanChangeDialog } from './PlanDialogs';

export function PlanPage() {
  useDocumentTitle('Plan');
  const scope = useCustomerScope();
  // A member's page: an admin following a link lands on the customer's usage.
  if (scope.isAdmin) return <Navigate to={`/billing/usage${scope.query}`} replace />;
  return <PlanView />;
}

type OpenDialog = { kind: 'change'; plan: PlanOffer } | { kind: 'cancel' } | null;

function PlanView() {
  // The current usage names the member's subscription.
  const usage = useAsync((signal) => api.currentUsage(undefined, { signal }), []);
  const subscriptionId = usage.data?.subscription.id ?? null;
  const subscription = useAsync(
    async (signal) => (subscriptionId ? api.subscription(subscriptionId, { signal }) : null),
    [subscriptionId],
  );
  const plans = useAsync((signal) => api.availablePlans({ signal }), []);
  const [dialog, setDialog] = useState<OpenDialog>(null);
  const [done, setDone] = useState<string | null>(null);
  const [managed, setManaged] = useState(false);
  const doneRef = useRef<HTMLParagraphElement>(null);
  const managedRef = useRef<HTMLParagraphElement>(null);

  // After a change the button that started it may be gone: focus goes to what happened.
  useEffect(() => {
    if (dialog) return;
    if (managed) managedRef.current?.focus();
    else if (done) doneRef.current?.focus();
  }, [dialog, done, managed]);

  const error = usage.error ?? subscription.error ?? plans.error;
  if (error) {
    const noSubscription = usage.error !== undefined && 'status' in usage.error && usage.error.status === 404;
    const retry = () => {
      if (usage.error) usage.reload();
      if (subscription.error) subscription.reload();
      if (plans.error) plans.reload();
    };
    return (
      <ErrorState
        error={error}
        title={noSubscription ? 'No current subscription' : 'Your plan could not be loaded'}
        onRetry={retry}
      />
    );
  }
  if (!subscription.data || !plans.data) {
    if (usage.data && subscription.data === null) return <EmptyState title="No current subscription" />;
    return <LoadingState label="Loading your plan…" rows={4} />;
  }
  const sub = subscription.data;
  const offers = plans.data.data;
  const allowed = subscriptionActions(sub);
  const actions: SubscriptionActions = managed
    ? { change: false, cancel: false, reactivate: false, keep: false }
    : allowed;

  // A new action: the last one's message goes (and is not focused again when its dialog closes).
  const open = (next: OpenDialog) => {
    setDone(null);
    setDialog(next);
  };
  const changed = (message: string) => {
    setDialog(null);
    setDone(message);
    subscription.reload();
  };

  return (
    <div className="stack" aria-busy={subscription.loading} data-subscription={sub.id}>
      {done && !managed && (
        <p className="callout callout-success" role="status" tabIndex={-1} ref={doneRef} data-testid="plan-done">
          <CheckCircle2 aria-hidden="true" size={18} />
          {done}
        </p>
      )}
      {managed && (
        <p className="callout callout-info" role="status" tabIndex={-1} ref={managedRef} data-testid="plan-managed">
          <Info aria-hidden="true" size={18} />
          {SELF_SERVICE_OFF}
        </p>
      )}
      <CurrentPlan
        subscription={sub}
        plans={offers}
        actions={actions}
        onCancel={() => open({ kind: 'cancel' })}
        onManaged={() => setManaged(true)}
        onDone={changed}
      />
      <PlanOffers
        subscription={sub}
        plans={offers}
        canChange={actions.change}
        onChange={(plan) => open({ kind: 'change', plan })}
      />
      {dialog?.kind === 'change' && (
        <PlanChangeDialog
          subscription={sub}
          plan={dialog.plan}
          plans={offers}
          managed={managed}
          onManaged={() => setManaged(true)}
          onCancel={() => setDialog(null)}
          onChanged={(result) => changed(changeConfirmation(result.change, offers))}
        />
      )}
      {dialog?.kind === 'cancel' && (
        <CancelSubscriptionDialog
          subscription={sub}
          managed={managed}
          onManaged={() => setManaged(true)}
          onCancel={() => setDialog(null)}
          onCanceled={(after, at) => changed(cancelConfirmation(after, at))}
        />
      )}
    </div>
  );
}

/** The plan now: name, version, status, period, and what is scheduled, with the ways to undo it. */
function CurrentPlan({
  subscription: sub,
  plans,
  actions,
  onCancel,
  onManaged,
  onDone,
}: {
  subscription: Subscription;
  plans: PlanOffer[];
  actions: SubscriptionActions;
  onCancel: () => void;
  onManaged: () => void;
  onDone: (message: string) => void;
}) {
  const [busy, setBusy] = useState<'keep' | 'reactivate' | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const badge = subscriptionBadge(sub);
  const offer = plans.find((plan) => plan.id === sub.plan_id && plan.version === sub.plan_version);
  const since = segmentNote(sub);
  const name = planName(plans, sub.plan_id);

  const act = async (which: 'keep' | 'reactivate') => {
    if (busy) return;
    setBusy(which);
    setFailure(null);
    try {
      if (which === 'keep') {
        await api.withdrawScheduledChange(sub.id);
        onDone(`Your plan stays ${name}.`);
      } else {
        await api.reactivateSubscription(sub.id);
        onDone('Your subscription continues: it no longer ends with this period.');
      }
    } catch (caught) {
      if (isSelfServiceOff(caught)) onManaged();
      setFailure(planActionMessage(caught));
    } finally {
      setBusy(null);
    }
  };

  const button = (note: SubscriptionNote) => {
    const which =
      note.kind === 'changing' && actions.keep
        ? 'keep'
        : note.kind === 'ending' && actions.reactivate
          ? 'reactivate'
          : null;
    if (!which) return null;
    return (
      <button
        type="button"
        className="button button-secondary button-small"
        onClick={() => void act(which)}
        disabled={busy !== null}
        aria-busy={busy === which}
      >
        {busy === which && <Spinner />}
        {which === 'keep' ? 'Keep current plan' : 'Reactivate'}
      </button>
    );
  };

  return (
    <section className="card" aria-labelledby="current-plan-title" data-testid="current-plan" data-plan={sub.plan_id}>
      <div className="card-head card-head-row">
        <div className="card-head-text">
          <h2 id="current-plan-title">Current plan</h2>
          <p className="muted">The plan your usage is billed on now.</p>
        </div>
        <div className="card-head-actions">
          <ManagePaymentMethods onFailure={setFailure} />
          {actions.cancel && (
            <button type="button" className="button button-secondary" onClick={onCancel}>
              <CalendarX aria-hidden="true" size={16} /> Cancel subscription
            </button>
          )}
        </div>
      </div>
      <dl className="facts">
        <div className="fact">
          <dt>Plan</dt>
          <dd>
            <span data-testid="current-plan-name">{name}</span>{' '}
            <span className="muted">version {sub.plan_version}</span>
            {since && <span className="cell-sub">{since}</span>}
          </dd>
        </div>
        <div className="fact">
          <dt>Status</dt>
          <dd>
            <span className={`badge badge-${badge.tone}`} data-testid="subscription-status">
              {badge.label}
            </span>
          </dd>
        </div>
        <div className="fact">
          <dt>Current period</dt>
          <dd data-testid="current-period">{sub.current_period ? formatSpan(sub.current_period) : '—'}</dd>
        </div>
        {offer && (
          <div className="fact">
            <dt>Base fee</dt>
            <dd>{feePerInterval(offer)}</dd>
          </div>
        )}
      </dl>
      {subscriptionNotes(sub, plans).map((note) => (
        <div
          key={note.kind}
          className={`callout ${note.kind === 'changing' || note.kind === 'trial' ? 'callout-info' : 'callout-warning'} plan-note`}
          data-testid={`plan-note-${note.kind}`}
        >
          {note.kind === 'changing' || note.kind === 'trial' ? (
            <CalendarClock aria-hidden="true" size={18} />
          ) : (
            <CalendarX aria-hidden="true" size={18} />
          )}
          <div className="callout-body">
            <p>{note.text}</p>
            {button(note)}
          </div>
        </div>
      ))}
      {failure && (
        <p className="form-error plan-note" role="alert" data-testid="plan-action-error">
          {failure}
        </p>
      )}
    </section>
  );
}

/**
 * Opens Stripe's Customer Portal, where the customer adds and chooses payment methods
 * (a trial's end may require one); Stripe sends them back here.
 */
function ManagePaymentMethods({ onFailure }: { onFailure: (message: string | null) => void }) {
  const [busy, setBusy] = useState(false);
  const open = async () => {
    if (busy) return;
    setBusy(true);
    onFailure(null);
    try {
      const session = await api.portalSession(window.location.href);
      window.location.assign(session.url);
    } catch (caught) {
      onFailure(portalFailure(caught));
      setBusy(false);
    }
  };
  return (
    <button
      type="button"
      className="button button-secondary"
      onClick={() => void open()}
      disabled={busy}
      aria-busy={busy}
      data-testid="manage-payment-methods"
    >
      {busy ? <Spinner /> : <CreditCard aria-hidden="true" size={16} />} Manage payment methods
    </button>
  );
}

/** The plans on offer side by side: fee, each metric's allowance and price; the current one marked. */
function PlanOffers({
  subscription: sub,
  plans,
  canChange,
  onChange,
}: {
  subscription: Subscription;
  plans: PlanOffer[];
  canChange: boolean;
  onChange: (plan: PlanOffer) => void;
}) {
  if (plans.length === 0) return <EmptyState title="No plans to compare" />;
  return (
    <section aria-labelledby="plans-title">
      <h2 id="plans-title" className="section-heading">
        Compare plans
      </h2>
      <div className="grid grid-plans">
        {plans.map((plan) => (
          <PlanOfferCard
            key={plan.id}
            plan={plan}
            subscription={sub}
            canChange={canChange}
            onChange={() => onChange(plan)}
          />
        ))}
      </div>
    </section>
  );
}

function PlanOfferCard({
  plan,
  subscription: sub,
  canChange,
  onChange,
}: {
  plan: PlanOffer;
  subscription: Subscription;
  canChange: boolean;
  onChange: () => void;
}) {
  const titleId = useId();
  const current = plan.id === sub.plan_id;
  const scheduled = sub.scheduled_change?.plan_id === plan.id ? sub.scheduled_change : null;
  return (
    <article
      className={`card plan-offer${current ? ' plan-offer-current' : ''}`}
      aria-labelledby={titleId}
      data-plan={plan.id}
    >
      <div className="plan-offer-head">
        <h3 id={titleId}>{plan.name}</h3>
        {current && (
          <span className="badge badge-enabled" data-testid="current-plan-badge">
            Current plan
          </span>
        )}
        {scheduled && (
          <span className="badge badge-open" data-testid="scheduled-plan-badge">
            From {formatMoment(scheduled.effective_at)}
          </span>
        )}
      </div>
      <p className="plan-fee">
        <span data-testid="plan-fee">{formatMoney(plan.base_fee)}</span>{' '}
        <span className="muted">a {plan.interval}</span>
      </p>
      {plan.minimum_commitment && (
        <p className="plan-offer-note">
          At least {formatMoney(plan.minimum_commitment)} a {plan.interval}
        </p>
      )}
      {current && sub.plan_version !== plan.version && (
        <p className="plan-offer-note" data-testid="plan-version-note">
          You are on version {sub.plan_version}; these are version {plan.version}'s prices, for new subscriptions.
        </p>
      )}
      <dl className="plan-metrics">
        {plan.metrics.map((metric) => (
          <div key={metric.metric} data-metric={metric.metric}>
            <dt>{metric.name}</dt>
            <dd>
              <span className="cell-title" data-testid="plan-allowance">
                {formatAllowance(metric.limit, metric.unit)}
              </span>
              <span className="cell-sub" data-testid="plan-pricing">
                {pricingTerms(metric.name, metric.pricing)}
              </span>
            </dd>
          </div>
        ))}
      </dl>
      {!current && canChange && (
        <button type="button" className="button button-secondary button-small" onClick={onChange}>
          Change to {plan.name}
        </button>
      )}
    </article>
  );
}
