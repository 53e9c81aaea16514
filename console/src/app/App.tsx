import { Navigate, Route, Routes } from 'react-router';
import { Shell } from '../components/Shell';
import { AdminIndex, AdminLayout } from '../pages/admin/AdminLayout';
import { AnalyticsPage } from '../pages/admin/AnalyticsPage';
import { ApiKeysPage } from '../pages/admin/ApiKeysPage';
import { CustomersPage } from '../pages/admin/CustomersPage';
import { PlansPage } from '../pages/admin/PlansPage';
import { ReconciliationPage } from '../pages/admin/ReconciliationPage';
import { UsersPage } from '../pages/admin/UsersPage';
import { WebhooksPage } from '../pages/admin/WebhooksPage';
import { BillingLayout } from '../pages/billing/BillingLayout';
import { CreditsPage } from '../pages/billing/CreditsPage';
import { InvoiceDetailPage } from '../pages/billing/InvoiceDetailPage';
import { InvoicesPage } from '../pages/billing/InvoicesPage';
import { PlanPage } from '../pages/billing/PlanPage';
import { UsagePage } from '../pages/billing/UsagePage';
import { WebhookDeliveriesPage } from '../pages/developers/WebhookDeliveriesPage';
import { WebhookEndpointsPage } from '../pages/developers/WebhookEndpointsPage';
import { WebhooksSection } from '../pages/developers/webhookParts';
import { FeaturePlaceholderPage } from '../pages/FeaturePlaceholderPage';
import { HomePage } from '../pages/HomePage';
import { LoginPage } from '../pages/LoginPage';
import { NotFoundPage } from '../pages/NotFoundPage';
import { RequireAdmin, RequireAuth, RequireFeature } from './guards';

export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route
        element={
          <RequireAuth>
            <Shell />
          </RequireAuth>
        }
      >
        <Route index element={<HomePage />} />
        <Route
          path="billing"
          element={
            <RequireFeature feature="billing">
              <BillingLayout />
            </RequireFeature>
          }
        >
          <Route index element={<Navigate to="usage" replace />} />
          <Route path="usage" element={<UsagePage />} />
          <Route path="invoices" element={<InvoicesPage />} />
          <Route path="invoices/:id" element={<InvoiceDetailPage />} />
          <Route path="plan" element={<PlanPage />} />
          <Route path="credits" element={<CreditsPage />} />
        </Route>
        <Route
          path="admin"
          element={
            <RequireAdmin>
              <AdminLayout />
            </RequireAdmin>
          }
        >
          <Route index element={<AdminIndex />} />
          {/* In the Admin section, whose h1 is the layout's: a turned-off notice's title is an h2. */}
          <Route
            path="customers"
            element={
              <RequireFeature feature="billing" inSection>
                <CustomersPage />
              </RequireFeature>
            }
          />
          <Route
            path="plans"
            element={
              <RequireFeature feature="billing" inSection>
                <PlansPage />
              </RequireFeature>
            }
          />
          <Route
            path="reconciliation"
            element={
              <RequireFeature feature="billing" inSection>
                <ReconciliationPage />
              </RequireFeature>
            }
          />
          <Route
            path="analytics"
            element={
              <RequireFeature feature="billing" inSection>
                <AnalyticsPage />
              </RequireFeature>
            }
          />
          {/* Users are not billing's: the page works with billing turned off. */}
          <Route path="users" element={<UsersPage />} />
          {/* Neither are billing's routes on the server: they work with billing off. */}
          <Route path="api-keys" element={<ApiKeysPage />} />
          <Route path="webhooks" element={<WebhooksPage />} />
        </Route>
        {/* Outgoing webhooks: admins and members, with any feature flags (the server's routes have none). */}
        <Route path="developers">
          <Route index element={<Navigate to="webhooks" replace />} />
          <Route path="webhooks" element={<WebhooksSection />}>
            <Route index element={<WebhookEndpointsPage />} />
            <Route path=":id" element={<WebhookDeliveriesPage />} />
          </Route>
        </Route>
        <Route
          path="transparency"
          element={
            <RequireFeature feature="transparency">
              <FeaturePlaceholderPage feature="transparency" />
            </RequireFeature>
          }
        />
        <Route
          path="fraud"
          element={
            <RequireFeature feature="fraudDetection">
              <FeaturePlaceholderPage feature="fraudDetection" />
            </RequireFeature>
          }
        />
        <Route
          path="experiments"
          element={
            <RequireFeature feature="abTesting">
              <FeaturePlaceholderPage feature="abTesting" />
            </RequireFeature>
          }
        />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
