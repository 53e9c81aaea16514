// Who is signed in, and which features this server has turned on. Loaded once
// at start (GET /meta/features and /auth/me in parallel); a 401 from any later
// request ends the session here, and the route guard sends the user to login.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../lib/api';
import { DEFAULT_FEATURES, api, http } from '../lib/billing';
import { forgetViewState } from '../lib/viewState';
import type { FeatureFlags, User } from '../lib/types';

export type SessionStatus = 'loading' | 'signed-out' | 'signed-in' | 'unavailable';

export interface SessionState {
  status: SessionStatus;
  user: User | null;
  features: FeatureFlags;
  /** The flags could not be read; the server defaults are in use. */
  featuresFallback: boolean;
  /** Why the user was signed out, shown on the login page. */
  notice: string | null;
  /** The error when the server could not be reached at start. */
  startupError: ApiError | Error | null;
  /**
   * Why there is no user: 'user' after signing out here (the login page then
   * keeps no `next`), 'expired' when the server ended the session, null at start.
   */
  signedOutBy: 'user' | 'expired' | null;
  /** Who was signed in in this tab before the session ended (null: nobody yet). */
  previousUserId: string | null;
  login: (email: string, password: string) => Promise<void>;
  logout: () => Promise<void>;
  retry: () => void;
}

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<SessionStatus>('loading');
  const [user, setUser] = useState<User | null>(null);
  const [features, setFeatures] = useState<FeatureFlags>(DEFAULT_FEATURES);
  const [featuresFallback, setFeaturesFallback] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [startupError, setStartupError] = useState<ApiError | Error | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [signedOutBy, setSignedOutBy] = useState<'user' | 'expired' | null>(null);
  const [previousUserId, setPreviousUserId] = useState<string | null>(null);
  // The user as of the last render, for the 401 handler (registered once).
  const userRef = useRef<User | null>(null);
  useEffect(() => {
    userRef.current = user;
  }, [user]);

  useEffect(() => {
    const controller = new AbortController();
    Promise.all([api.features({ signal: controller.signal }), api.me({ signal: controller.signal })]).then(
      ([flags, me]) => {
        setFeatures(flags.flags);
        setFeaturesFallback(flags.fallback);
        setUser(me?.user ?? null);
        setStatus(me ? 'signed-in' : 'signed-out');
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setStartupError(error instanceof Error ? error : new Error(String(error)));
        setStatus('unavailable');
      },
    );
    return () => controller.abort();
  }, [attempt]);

  useEffect(() => {
    http.onUnauthorized((error) => {
      if (userRef.current) setPreviousUserId(userRef.current.id);
      setSignedOutBy('expired');
      setUser(null);
      setStatus('signed-out');
      setNotice(error.message);
    });
    return () => http.onUnauthorized(null);
  }, []);

  const login = useCallback(async (email: string, password: string) => {
    const session = await api.login(email, password);
    setUser(session.user);
    setSignedOutBy(null);
    setNotice(null);
    setStatus('signed-in');
  }, []);

  const logout = useCallback(async () => {
    let notice = 'You are signed out.';
    try {
      await api.logout();
    } catch (error) {
      // The server clears the cookies and ends the session; when it could not,
      // say so rather than claim the session is over.
      const why = error instanceof Error ? ` (${error.message})` : '';
      notice = `You are signed out in this window, but the server could not revoke the session${why}; it stays valid until it expires.`;
    }
    forgetViewState();
    setPreviousUserId(null);
    setSignedOutBy('user');
    setUser(null);
    setNotice(notice);
    setStatus('signed-out');
  }, []);

  // The status starts as 'loading'; a retry sets it again before loading anew.
  const retry = useCallback(() => {
    setStatus('loading');
    setAttempt((n) => n + 1);
  }, []);

  const value = useMemo<SessionState>(
    () => ({
      status,
      user,
      features,
      featuresFallback,
      notice,
      startupError,
      signedOutBy,
      previousUserId,
      login,
      logout,
      retry,
    }),
    [status, user, features, featuresFallback, notice, startupError, signedOutBy, previousUserId, login, logout, retry],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/** The signed-in user; only under a route guarded by RequireAuth. */
export function useUser(): User {
  const { user } = useSession();
  if (!user) throw new Error('useUser without a signed-in user');
  return user;
}
