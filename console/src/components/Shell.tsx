// The frame around every signed-in page: navigation (items depend on the
// feature flags and the user's role), the signed-in user and sign-out, and
// above each page the notices that concern every page (a member's failed
// payment, the request budget).
import {
  ChartColumn,
  CreditCard,
  Eye,
  FlaskConical,
  Gauge,
  KeyRound,
  LogOut,
  Menu,
  Scale,
  Send,
  ShieldAlert,
  Tags,
  UserCog,
  Users,
  Webhook,
  X,
  type LucideIcon,
} from 'lucide-react';
import { useEffect, useRef, useState } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router';
import { useSession, useUser } from '../app/session';
import type { FeatureFlags, User } from '../lib/types';
import { BudgetNotice } from './BudgetNotice';
import { PastDueBanner } from './PastDueBanner';

export interface NavItem {
  to: string;
  label: string;
  icon: LucideIcon;
  /** Shown only when this feature flag is on. */
  feature?: keyof FeatureFlags;
  adminOnly?: boolean;
  section: 'main' | 'admin';
}

export const NAV_ITEMS: NavItem[] = [
  { to: '/billing', label: 'Billing', icon: CreditCard, feature: 'billing', section: 'main' },
  { to: '/transparency', label: 'Transparency', icon: Eye, feature: 'transparency', section: 'main' },
  { to: '/fraud', label: 'Fraud detection', icon: ShieldAlert, feature: 'fraudDetection', section: 'main' },
  { to: '/experiments', label: 'A/B testing', icon: FlaskConical, feature: 'abTesting', section: 'main' },
  // Outgoing webhooks, for admins and members alike (the admin's Stripe webhooks are incoming).
  { to: '/developers/webhooks', label: 'Webhooks', icon: Send, section: 'main' },
  { to: '/admin/customers', label: 'Customers', icon: Users, feature: 'billing', adminOnly: true, section: 'admin' },
  { to: '/admin/plans', label: 'Plans', icon: Tags, feature: 'billing', adminOnly: true, section: 'admin' },
  {
    to: '/admin/reconciliation',
    label: 'Reconciliation',
    icon: Scale,
    feature: 'billing',
    adminOnly: true,
    section: 'admin',
  },
  {
    to: '/admin/analytics',
    label: 'Analytics',
    icon: ChartColumn,
    feature: 'billing',
    adminOnly: true,
    section: 'admin',
  },
  { to: '/admin/users', label: 'Users', icon: UserCog, adminOnly: true, section: 'admin' },
  { to: '/admin/api-keys', label: 'API keys', icon: KeyRound, adminOnly: true, section: 'admin' },
  { to: '/admin/webhooks', label: 'Stripe webhooks', icon: Webhook, adminOnly: true, section: 'admin' },
];

/** The navigation items this user sees with these flags. */
export function visibleNavItems(features: FeatureFlags, user: Pick<User, 'role'>): NavItem[] {
  return NAV_ITEMS.filter(
    (item) => (!item.feature || features[item.feature]) && (!item.adminOnly || user.role === 'admin'),
  );
}

export function Shell() {
  const { features, featuresFallback, logout } = useSession();
  const user = useUser();
  const location = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  // Going to another page closes the menu (set during render, as React
  // recommends for state that follows a prop, rather than in an effect).
  const [menuPath, setMenuPath] = useState(location.pathname);
  if (menuPath !== location.pathname) {
    setMenuPath(location.pathname);
    setMenuOpen(false);
  }
  const [signingOut, setSigningOut] = useState(false);
  const toggleRef = useRef<HTMLButtonElement>(null);
  const mainRef = useRef<HTMLElement>(null);

  // Escape closes the phone menu and gives focus back to its button.
  useEffect(() => {
    if (!menuOpen) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      setMenuOpen(false);
      toggleRef.current?.focus();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [menuOpen]);

  // After a page change focus goes to the new page's heading (h1, tabIndex -1),
  // so keyboard and screen-reader users start there rather than at the top of
  // the document. Filters (the query string) are not a page change.
  const firstPath = useRef(true);
  useEffect(() => {
    const first = firstPath.current;
    firstPath.current = false;
    // On the first page shown, only when nothing else has focus (a deep link, just signed in).
    if (first && document.activeElement && document.activeElement !== document.body) return;
    const frame = requestAnimationFrame(() => {
      const heading = mainRef.current?.querySelector<HTMLElement>('h1');
      (heading ?? mainRef.current)?.focus({ preventScroll: first });
    });
    return () => cancelAnimationFrame(frame);
  }, [location.pathname]);

  const items = visibleNavItems(features, user);
  const main = items.filter((item) => item.section === 'main');
  const admin = items.filter((item) => item.section === 'admin');

  // logout() never rejects: a failed revocation becomes the login page's notice.
  const onLogout = () => {
    setSigningOut(true);
    void logout();
  };

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <aside className={`sidebar${menuOpen ? ' sidebar-open' : ''}`}>
        <div className="sidebar-inner">
          <div className="sidebar-top">
            <NavLink to="/" className="brand" aria-label="Meterline home">
              <Gauge aria-hidden="true" size={22} />
              <span>Meterline</span>
            </NavLink>
            <button
              ref={toggleRef}
              type="button"
              className="icon-button menu-toggle"
              aria-expanded={menuOpen}
              aria-controls="primary-nav"
              onClick={() => setMenuOpen((open) => !open)}
            >
              {menuOpen ? <X aria-hidden="true" size={20} /> : <Menu aria-hidden="true" size={20} />}
              <span className="visually-hidden">{menuOpen ? 'Close menu' : 'Open menu'}</span>
            </button>
          </div>
          <div className="sidebar-body" id="primary-nav">
            <nav aria-label="Main">
              <ul className="nav-list">
                {main.map((item) => (
                  <NavEntry key={item.to} item={item} />
                ))}
              </ul>
              {main.length === 0 && <p className="nav-empty">No areas are turned on for this server.</p>}
              {admin.length > 0 && (
                <>
                  <h2 className="nav-heading">Admin</h2>
                  <ul className="nav-list">
                    {admin.map((item) => (
                      <NavEntry key={item.to} item={item} />
                    ))}
                  </ul>
                </>
              )}
            </nav>
            <div className="user-box">
              <div className="user-avatar" aria-hidden="true">
                {user.email.charAt(0).toUpperCase()}
              </div>
              <div className="user-text">
                <span className="user-email" title={user.email}>
                  {user.email}
                </span>
                <span className="user-role">{user.role === 'admin' ? 'Administrator' : 'Member'}</span>
              </div>
              <button type="button" className="icon-button" onClick={onLogout} disabled={signingOut} title="Sign out">
                <LogOut aria-hidden="true" size={18} />
                <span className="visually-hidden">Sign out</span>
              </button>
            </div>
          </div>
        </div>
      </aside>
      <main id="main" className="main" tabIndex={-1} ref={mainRef}>
        {featuresFallback && (
          <p className="banner" role="status">
            Feature settings could not be loaded; showing the defaults.
          </p>
        )}
        <PastDueBanner />
        <BudgetNotice />
        <Outlet />
      </main>
    </div>
  );
}

function NavEntry({ item }: { item: NavItem }) {
  const Icon = item.icon;
  return (
    <li>
      <NavLink
        to={item.to}
        className={({ isActive }) => `nav-link${isActive ? ' nav-link-active' : ''}`}
        data-nav={item.label}
      >
        <Icon aria-hidden="true" size={18} />
        <span>{item.label}</span>
      </NavLink>
    </li>
  );
}
