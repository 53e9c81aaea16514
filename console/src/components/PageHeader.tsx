import type { ReactNode } from 'react';

export function PageHeader({
  title,
  subtitle,
  actions,
  icon,
}: {
  title: string;
  subtitle?: ReactNode;
  actions?: ReactNode;
  icon?: ReactNode;
}) {
  return (
    <header className="page-header">
      <div className="page-header-text">
        <h1 tabIndex={-1}>
          {icon}
          {title}
        </h1>
        {subtitle && <p className="page-subtitle">{subtitle}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </header>
  );
}

/**
 * The h1 of a section with tabs (Billing, Admin): the section's name as shown,
 * and for screen readers the tab that is open ("Billing: Invoices"). The shell
 * moves focus here after each page change.
 */
export function SectionHeading({ title, page, icon }: { title: string; page?: string; icon?: ReactNode }) {
  return (
    <h1 className="section-title" tabIndex={-1}>
      {icon}
      <span>{title}</span>
      {page && <span className="visually-hidden">: {page}</span>}
    </h1>
  );
}
