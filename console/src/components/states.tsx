// Loading, error and empty states: every page shows one of these while it has
// nothing else to show, in the same words and shape everywhere.
import { AlertTriangle, Inbox, RotateCw } from 'lucide-react';
import type { ReactNode } from 'react';
import { ApiError, isRetryable } from '../lib/api';

export function Spinner({ label }: { label?: string }) {
  return (
    <span className="spinner" role={label ? 'status' : undefined} aria-label={label}>
      <span className="spinner-ring" aria-hidden="true" />
    </span>
  );
}

export function LoadingState({ label = 'Loading…', rows = 3 }: { label?: string; rows?: number }) {
  return (
    <div className="loading-state" role="status" aria-live="polite">
      <span className="visually-hidden">{label}</span>
      {Array.from({ length: rows }, (_, index) => (
        <div key={index} className="skeleton" aria-hidden="true" style={{ width: `${92 - index * 14}%` }} />
      ))}
    </div>
  );
}

export function ErrorState({
  error,
  title = 'Something went wrong',
  onRetry,
  children,
}: {
  error: Error;
  title?: string;
  /** Offered only when asking again can help (isRetryable): never for a refusal or a missing setting. */
  onRetry?: () => void;
  children?: ReactNode;
}) {
  const requestId = error instanceof ApiError ? error.requestId : null;
  const hint = error instanceof ApiError ? error.hint : null;
  return (
    <div className="state state-error" role="alert">
      <AlertTriangle className="state-icon" aria-hidden="true" />
      <div className="state-body">
        <h2 className="state-title">{title}</h2>
        <p data-testid="error-message">{error.message}</p>
        {hint && (
          <p className="state-hint" data-testid="error-hint">
            {hint}
          </p>
        )}
        {children}
        {requestId && (
          <p className="state-meta">
            Request id: <code>{requestId}</code>
          </p>
        )}
        {onRetry && isRetryable(error) && (
          <button type="button" className="button button-secondary" onClick={onRetry}>
            <RotateCw aria-hidden="true" size={16} /> Try again
          </button>
        )}
      </div>
    </div>
  );
}

export function EmptyState({
  title,
  children,
  icon,
  page = false,
}: {
  title: string;
  children?: ReactNode;
  icon?: ReactNode;
  /** The state is the whole page (not found, forbidden): its title is the page's h1. */
  page?: boolean;
}) {
  const Heading = page ? 'h1' : 'h2';
  return (
    <div className="state state-empty">
      {icon ?? <Inbox className="state-icon" aria-hidden="true" />}
      <div className="state-body">
        <Heading className="state-title" tabIndex={page ? -1 : undefined}>
          {title}
        </Heading>
        {children}
      </div>
    </div>
  );
}
