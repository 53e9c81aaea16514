import { ShieldCheck } from 'lucide-react';
import { Outlet } from 'react-router';
import { CustomersProvider } from '../../app/customers';
import { Tabs } from '../../components/Tabs';

export function AdminLayout() {
  return (
    <CustomersProvider>
      <div className="page">
        <div className="section-header">
          <div className="section-title">
            <ShieldCheck aria-hidden="true" size={22} />
            <span>Admin</span>
          </div>
        </div>
        <Tabs
          label="Admin"
          items={[
            { to: '/admin/customers', label: 'Customers' },
            { to: '/admin/reconciliation', label: 'Reconciliation' },
          ]}
        />
        <div className="tab-panel">
          <Outlet />
        </div>
      </div>
    </CustomersProvider>
  );
}
