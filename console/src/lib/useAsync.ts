import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from './api';

export interface AsyncState<T> {
  /** The result for the current inputs (kept while the same request is reloaded). */
  data: T | undefined;
  error: ApiError | Error | undefined;
  loading: boolean;
  /** Runs the request again (e.g. from a "Try again" button). */
  reload: () => void;
}

/**
 * Runs `load` when `deps` change, with an AbortSignal that cancels the request
 * when the component goes away or the inputs change, so a slow answer never
 * overwrites a newer one. The result of other inputs is never returned: after
 * switching customers the page shows a loading state, not the previous
 * customer's numbers.
 */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]): AsyncState<T> {
  const key = JSON.stringify(deps);
  const [state, setState] = useState<{ key: string; data?: T; error?: ApiError | Error; loading: boolean }>({
    key,
    loading: true,
  });
  const [attempt, setAttempt] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const controller = new AbortController();
    setState((previous) => ({ key, data: previous.key === key ? previous.data : undefined, loading: true }));
    loadRef.current(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ key, data, loading: false });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setState({ key, error: error instanceof Error ? error : new Error(String(error)), loading: false });
      },
    );
    return () => controller.abort();
  }, [key, attempt]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  const current = state.key === key;
  return {
    data: current ? state.data : undefined,
    error: current ? state.error : undefined,
    loading: current ? state.loading : true,
    reload,
  };
}
