import { CreditCard } from 'lucide-react';
import { Outlet, useLocation } from 'react-router';
import { CustomersProvider, useCustomerScope } from '../../app/customers';
import { CustomerPicker } from '../../components/CustomerPicker';
import { SectionHeading } from '../../components/PageHeader';
import { Tabs } from '../../components/Tabs';

/** Billing: a header, the Usage, Invoices, Credits and (for members) Plan tabs, and (for admins) the customer being viewed. */
export function BillingLayout() {
  return (
    <CustomersProvider>
      <BillingFrame />
    </CustomersProvider>
  );
}

function BillingFrame() {
  const scope = useCustomerScope();
  const location = useLocation();
  const onInvoices = location.pathname.startsWith('/billing/invoices');
  const onPlan = location.pathname.startsWith('/billing/plan');
  const onCredits = location.pathname.startsWith('/billing/credits');
  return (
    <div className="page">
      <div className="section-header">
        <SectionHeading
          title="Billing"
          page={
            /^\/billing\/invoices\/./.test(location.pathname)
              ? 'Invoice'
              : onInvoices
                ? 'Invoices'
                : onPlan
                  ? 'Plan'
                  : onCredits
                    ? 'Credits'
                    : 'Usage'
          }
          icon={<CreditCard aria-hidden="true" size={22} />}
        />
        {scope.isAdmin && <CustomerPicker allowAll={onInvoices} />}
      </div>
      <Tabs
        label="Billing"
        items={[
          { to: `/billing/usage${scope.query}`, label: 'Usage' },
          { to: `/billing/invoices${scope.query}`, label: 'Invoices' },
          { to: `/billing/credits${scope.query}`, label: 'Credits' },
          // A member's own plan; admins change plans through the API.
          ...(scope.isAdmin ? [] : [{ to: '/billing/plan', label: 'Plan' }]),
        ]}
      />
      <div className="tab-panel">
        <Outlet />
      </div>
    </div>
  );
}
