import { Eye, FlaskConical, ShieldAlert } from 'lucide-react';
import { PageHeader } from '../components/PageHeader';
import { EmptyState } from '../components/states';
import type { FeatureFlags } from '../lib/types';

const PAGES: Record<Exclude<keyof FeatureFlags, 'billing'>, { title: string; icon: typeof Eye; text: string }> = {
  transparency: {
    title: 'Transparency',
    icon: Eye,
    text: 'Reports on where impressions were served and what they cost.',
  },
  fraudDetection: {
    title: 'Fraud detection',
    icon: ShieldAlert,
    text: 'Suspicious traffic flagged before it is billed.',
  },
  abTesting: { title: 'A/B testing', icon: FlaskConical, text: 'Experiments on placements and pricing.' },
};

/** An area whose flag is on but which billingd has no API for yet. */
export function FeaturePlaceholderPage({ feature }: { feature: Exclude<keyof FeatureFlags, 'billing'> }) {
  const page = PAGES[feature];
  const Icon = page.icon;
  return (
    <div className="page">
      <PageHeader title={page.title} icon={<Icon aria-hidden="true" />} subtitle={page.text} />
      <EmptyState title="Not available in this console yet">
        <p>This area is turned on for your server, but Meterline does not offer it in the console yet.</p>
      </EmptyState>
    </div>
  );
}
