import { ShieldCheck } from 'lucide-react';
import { Navigate, Outlet, useLocation } from 'react-router';
import { CustomersProvider } from '../../app/customers';
import { useSession } from '../../app/session';
import { SectionHeading } from '../../components/PageHeader';
import { Tabs, type TabItem } from '../../components/Tabs';
import type { FeatureFlags } from '../../lib/types';

/**
 * The admin tabs with these flags: Customers, Plans, Reconciliation and
 * Analytics need billing; Users, API keys and Stripe webhooks do not.
 */
export function adminTabs(features: FeatureFlags): TabItem[] {
  return [
    ...(features.billing
      ? [
          { to: '/admin/customers', label: 'Customers' },
          { to: '/admin/plans', label: 'Plans' },
          { to: '/admin/reconciliation', label: 'Reconciliation' },
          { to: '/admin/analytics', label: 'Analytics' },
        ]
      : []),
    { to: '/admin/users', label: 'Users' },
    { to: '/admin/api-keys', label: 'API keys' },
    { to: '/admin/webhooks', label: 'Stripe webhooks' },
  ];
}

/** /admin: the first tab there is. */
export function AdminIndex() {
  const { features } = useSession();
  return <Navigate to={adminTabs(features)[0]!.to} replace />;
}

export function AdminLayout() {
  const { features } = useSession();
  const location = useLocation();
  return (
    <CustomersProvider>
      <div className="page">
        <div className="section-header">
          <SectionHeading
            title="Admin"
            // Every admin page's name, its tab hidden or not ("Admin: Customers" with billing off too).
            page={adminTabs({ ...features, billing: true }).find((tab) => location.pathname.startsWith(tab.to))?.label}
            icon={<ShieldCheck aria-hidden="true" size={22} />}
          />
        </div>
        <Tabs label="Admin" items={adminTabs(features)} />
        <div className="tab-panel">
          <Outlet />
        </div>
      </div>
    </CustomersProvider>
  );
}
