// Route guards: signed in, admin, feature on. Each shows a page of its own
// rather than an empty screen when the check fails.
import { Lock } from 'lucide-react';
import { useEffect, type ReactNode } from 'react';
import { Link, Navigate, useLocation } from 'react-router';
import { EmptyState, ErrorState, LoadingState } from '../components/states';
import { recordNext } from '../lib/next';
import type { FeatureFlags } from '../lib/types';
import { useSession } from './session';

export function RequireAuth({ children }: { children: ReactNode }) {
  const { status, startupError, retry, signedOutBy, previousUserId } = useSession();
  const location = useLocation();
  if (status === 'loading') {
    return (
      <div className="page-center">
        <LoadingState label="Starting the console…" />
      </div>
    );
  }
  if (status === 'unavailable' && startupError) {
    return (
      <div className="page-center">
        <ErrorState error={startupError} title="Meterline is not reachable" onRetry={retry} />
      </div>
    );
  }
  if (status !== 'signed-in') {
    // Signed out on purpose: the next person on this tab starts afresh, not on this page.
    if (signedOutBy === 'user') return <Navigate to="/login" replace />;
    const next = location.pathname + location.search;
    if (next === '/') return <Navigate to="/login" replace />;
    return <ToLogin next={next} userId={previousUserId} />;
  }
  return <>{children}</>;
}

/** To the login page, with `next` recorded for this tab and for whoever was signed in (lib/next.ts). */
function ToLogin({ next, userId }: { next: string; userId: string | null }) {
  useEffect(() => recordNext(next, userId), [next, userId]);
  return <Navigate to={`/login?next=${encodeURIComponent(next)}`} replace />;
}

export function RequireAdmin({ children }: { children: ReactNode }) {
  const { user } = useSession();
  if (user?.role !== 'admin') return <Forbidden />;
  return <>{children}</>;
}

export function Forbidden() {
  return (
    <div className="page">
      <EmptyState page title="Administrators only" icon={<Lock className="state-icon" aria-hidden="true" />}>
        <p>This page is for Meterline administrators. Your account can see its own usage and invoices.</p>
        <p>
          <Link to="/">Go to your overview</Link>
        </p>
      </EmptyState>
    </div>
  );
}

const FEATURE_NAMES: Record<keyof FeatureFlags, string> = {
  billing: 'Billing',
  transparency: 'Transparency',
  fraudDetection: 'Fraud detection',
  abTesting: 'A/B testing',
};

export function RequireFeature({
  feature,
  inSection = false,
  children,
}: {
  feature: keyof FeatureFlags;
  /**
   * A page inside a section whose layout has the h1 (Admin): the notice's title
   * is then an h2 under it, so the page keeps one h1.
   */
  inSection?: boolean;
  children: ReactNode;
}) {
  const { features } = useSession();
  if (!features[feature]) {
    const notice = (
      <EmptyState page={!inSection} title={`${FEATURE_NAMES[feature]} is turned off`}>
        <p>
          This server runs with {FEATURE_NAMES[feature].toLowerCase()} disabled. An operator can turn it on in the
          server's configuration.
        </p>
      </EmptyState>
    );
    return inSection ? notice : <div className="page">{notice}</div>;
  }
  return <>{children}</>;
}
