import { Gauge, LogIn } from 'lucide-react';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Navigate, useSearchParams } from 'react-router';
import { useSession } from '../app/session';
import { ErrorState, LoadingState, Spinner } from '../components/states';
import { recordedNext, resolveNext } from '../lib/next';
import { useDocumentTitle } from '../lib/useDocumentTitle';

export { safeNext } from '../lib/next';

export function LoginPage() {
  const { status, user, login, notice, startupError, retry } = useSession();
  const [params] = useSearchParams();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const emailRef = useRef<HTMLInputElement>(null);
  const errorRef = useRef<HTMLParagraphElement>(null);
  useDocumentTitle('Sign in');

  useEffect(() => {
    if (status === 'signed-out') emailRef.current?.focus();
  }, [status]);

  // A failed sign-in re-enables the button it disabled: focus goes to the
  // message saying why (read out, and the next Tab is the email field), not to the page.
  useEffect(() => {
    if (error) errorRef.current?.focus();
  }, [error]);

  if (status === 'signed-in' && user) {
    return <Navigate to={resolveNext(params.get('next'), recordedNext(), user)} replace />;
  }

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setSubmitting(true);
    try {
      await login(email.trim(), password);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
      setSubmitting(false);
    }
  };

  return (
    <div className="login-page">
      <main className="login-card" aria-labelledby="login-title">
        <div className="login-brand">
          <Gauge aria-hidden="true" size={28} />
          <span>Meterline</span>
        </div>
        <h1 id="login-title">Sign in</h1>
        <p className="muted">Usage, invoices and billing for your account.</p>
        {status === 'loading' && <LoadingState label="Checking your session…" rows={2} />}
        {status === 'unavailable' && startupError && (
          <ErrorState error={startupError} title="Meterline is not reachable" onRetry={retry} />
        )}
        {status === 'signed-out' && (
          <form onSubmit={(event) => void onSubmit(event)} className="form">
            {notice && !error && (
              <p className="notice" role="status">
                {notice}
              </p>
            )}
            {error && (
              <p className="form-error" role="alert" id="login-error" ref={errorRef} tabIndex={-1}>
                {error}
              </p>
            )}
            <div className="field">
              <label htmlFor="email">Email</label>
              <input
                ref={emailRef}
                id="email"
                name="email"
                type="email"
                autoComplete="username"
                required
                value={email}
                onChange={(event) => setEmail(event.target.value)}
                aria-describedby={error ? 'login-error' : undefined}
              />
            </div>
            <div className="field">
              <label htmlFor="password">Password</label>
              <input
                id="password"
                name="password"
                type="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(event) => setPassword(event.target.value)}
              />
            </div>
            <button type="submit" className="button button-primary button-block" disabled={submitting}>
              {submitting ? <Spinner /> : <LogIn aria-hidden="true" size={18} />}
              {submitting ? 'Signing in…' : 'Sign in'}
            </button>
          </form>
        )}
      </main>
    </div>
  );
}
