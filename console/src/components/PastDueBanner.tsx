// The past-due banner: at the top of every page a member sees while their
// customer has an invoice whose payment failed and is being retried (an
// active dunning campaign, docs/dunning.md). Read once when the member's
// session starts: the active campaigns, then the invoice's number (one request
// each). Admins, members without a customer, and servers with billing turned
// off ask nothing and see nothing.
import { AlertCircle, CreditCard, FileText } from 'lucide-react';
import { Link } from 'react-router';
import { useSession, useUser } from '../app/session';
import { api } from '../lib/billing';
import { pastDueCampaign, pastDueNotice } from '../lib/dunning';
import { useAsync } from '../lib/useAsync';

export function PastDueBanner() {
  const user = useUser();
  const { features } = useSession();
  const ask = user.role === 'member' && user.customer_id !== null && features.billing;
  const state = useAsync(
    async (signal) => {
      if (!ask) return null;
      const page = await api.dunningCampaigns({ state: 'active', limit: 5 }, { signal });
      const campaign = pastDueCampaign(page);
      if (!campaign) return null;
      // The number reads better than an id; without it the banner still says what to do.
      const number = await api.invoice(campaign.invoice_id, { signal }).then(
        (invoice) => invoice.number,
        (error: unknown) => {
          if (signal.aborted) throw error;
          return null;
        },
      );
      return { campaign, number, active: Math.max(page.total, page.data.length) };
    },
    [ask, user.id],
  );
  // Nothing to say, or it could not be read: a banner about a failure to read would only distract.
  if (!state.data) return null;
  const { campaign, number, active } = state.data;
  const notice = pastDueNotice(campaign, number, active);
  return (
    <div
      className="callout callout-danger past-due-banner"
      role="alert"
      aria-labelledby="past-due-title"
      data-testid="past-due-banner"
      data-invoice={campaign.invoice_id}
    >
      <AlertCircle aria-hidden="true" size={20} />
      <div className="callout-body">
        <p>
          <strong id="past-due-title">{notice.failed}</strong>
          {notice.retry && <> {notice.retry}</>} {notice.action}
          {notice.others && <> {notice.others}</>}
        </p>
        <div className="past-due-actions">
          <Link
            className="button button-primary button-small"
            to={`/billing/invoices/${encodeURIComponent(campaign.invoice_id)}`}
            data-testid="past-due-invoice-link"
          >
            <FileText aria-hidden="true" size={16} /> View invoice
          </Link>
          <Link className="button button-secondary button-small" to="/billing/plan">
            <CreditCard aria-hidden="true" size={16} /> Update payment method
          </Link>
        </div>
      </div>
    </div>
  );
}
