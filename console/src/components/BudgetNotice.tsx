// A discreet line at the top of every signed-in page once this browser has
// used most of its request budget (RateLimit-* headers, lib/rateBudget.ts):
// "7 requests left in this window, resets in 4 min". Hidden the rest of the time.
import { Gauge } from 'lucide-react';
import { useEffect, useState, useSyncExternalStore } from 'react';
import { http } from '../lib/billing';
import { RateBudget, type BudgetState } from '../lib/rateBudget';

/** "resets in 4 min" / "resets in 40 s". */
export function resetsIn(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.ceil(seconds))} s`;
  return `${Math.ceil(seconds / 60)} min`;
}

export function budgetText(state: BudgetState, now: number): string {
  const wait = resetsIn((state.resetAt - now) / 1000);
  if (state.remaining <= 0) return `No requests left in this window: Meterline answers again in ${wait}.`;
  return `${state.remaining} request${state.remaining === 1 ? '' : 's'} left in this window, resets in ${wait}.`;
}

export function BudgetNotice() {
  const state = useSyncExternalStore(http.budget.subscribe, http.budget.current);
  const low = RateBudget.isLow(state);
  // The clock, for "resets in …": ticks while the notice shows, and ends the notice when the window resets.
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!low) return;
    const tick = () => {
      http.budget.expire();
      setNow(Date.now());
    };
    tick();
    const timer = setInterval(tick, 10_000);
    return () => clearInterval(timer);
  }, [low, state]);
  if (!state || !low || state.resetAt <= now) return null;
  return (
    <p className="budget-notice" role="status" data-testid="budget-notice">
      <Gauge aria-hidden="true" size={16} />
      <span>{budgetText(state, now)}</span>
    </p>
  );
}
