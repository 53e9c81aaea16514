import { NavLink } from 'react-router';

export interface TabItem {
  to: string;
  label: string;
  /** Also active on deeper paths (e.g. an invoice under Invoices). */
  end?: boolean;
}

/** Section tabs as links: each tab is a page with its own URL. */
export function Tabs({ items, label }: { items: TabItem[]; label: string }) {
  return (
    <nav className="tabs" aria-label={label}>
      {items.map((item) => (
        <NavLink
          key={item.to}
          to={item.to}
          end={item.end}
          className={({ isActive }) => `tab${isActive ? ' tab-active' : ''}`}
        >
          {item.label}
        </NavLink>
      ))}
    </nav>
  );
}
