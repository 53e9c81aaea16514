import { useCallback, useEffect, useEffectEvent, useState } from 'react';
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
  // Each request (new inputs, or a reload) has its own number; an answer is
  // stored with the number of the request it answers.
  const [request, setRequest] = useState({ key, number: 0 });
  if (request.key !== key) setRequest({ key, number: request.number + 1 });
  const [answer, setAnswer] = useState<{ key: string; number: number; data?: T; error?: ApiError | Error } | null>(
    null,
  );
  // The latest `load`, called by the effect without being one of its inputs.
  const start = useEffectEvent(load);

  useEffect(() => {
    const { key, number } = request;
    const controller = new AbortController();
    start(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setAnswer({ key, number, data });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setAnswer({ key, number, error: error instanceof Error ? error : new Error(String(error)) });
      },
    );
    return () => controller.abort();
  }, [request]);

  const reload = useCallback(() => setRequest((current) => ({ key: current.key, number: current.number + 1 })), []);
  if (answer && answer.number === request.number && answer.key === key) {
    return { data: answer.data, error: answer.error, loading: false, reload };
  }
  return { data: answer?.key === key ? answer.data : undefined, error: undefined, loading: true, reload };
}
