// The request budget billingd reports on every limited answer:
//   RateLimit-Limit      requests allowed in the window
//   RateLimit-Remaining  requests left in it
//   RateLimit-Reset      seconds until the window starts again
//   RateLimit-Policy     "40;w=900": the limit and its window (tells groups apart)
// Several groups (sign-in, billing, admin; soon one for console sessions) each
// have a budget; the one closest to running out is the one to show.

export interface BudgetState {
  limit: number;
  remaining: number;
  /** When the window starts again (ms since the epoch). */
  resetAt: number;
  policy: string;
}

/** Show the budget when less than this share of it is left. */
export const LOW_BUDGET_SHARE = 0.2;

function headerNumber(headers: Headers, name: string): number | null {
  const text = headers.get(name);
  if (text === null || !/^\d+$/.test(text.trim())) return null;
  return Number(text);
}

/**
 * Answers of one group that arrive within this long of the last one kept are
 * of one moment: requests sent together (a page's loads) are answered in any
 * order, and the fewest remaining is the server's latest count, not the
 * answer that happened to arrive last.
 */
export const SAME_MOMENT_MS = 2000;

export class RateBudget {
  private readonly groups = new Map<string, BudgetState>();
  /** When each group's state was kept (ms since the epoch). */
  private readonly kept = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  private snapshot: BudgetState | null = null;

  constructor(private readonly now: () => number = () => Date.now()) {}

  /** Reads the RateLimit-* headers of an answer (one without them changes nothing). */
  update(headers: Headers): void {
    const limit = headerNumber(headers, 'RateLimit-Limit');
    const remaining = headerNumber(headers, 'RateLimit-Remaining');
    const reset = headerNumber(headers, 'RateLimit-Reset');
    if (limit === null || remaining === null || reset === null || limit <= 0) return;
    const policy = headers.get('RateLimit-Policy') ?? String(limit);
    const now = this.now();
    const previous = this.groups.get(policy);
    const keptAt = this.kept.get(policy);
    if (previous && keptAt !== undefined && now - keptAt < SAME_MOMENT_MS && previous.remaining < remaining) return;
    this.groups.set(policy, { limit, remaining, resetAt: now + reset * 1000, policy });
    this.kept.set(policy, now);
    this.changed();
  }

  /**
   * The budget closest to running out whose window has not started again, or
   * null when none is known. The same object until something changes.
   */
  current = (): BudgetState | null => this.snapshot;

  /** Whether `state` is low enough to tell the user (under 20 % left). */
  static isLow(state: BudgetState | null): boolean {
    return state !== null && state.remaining < state.limit * LOW_BUDGET_SHARE;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Drops the budgets whose window has started again (their numbers no longer hold). */
  expire(): void {
    const now = this.now();
    let dropped = false;
    for (const [key, state] of this.groups) {
      if (state.resetAt <= now) {
        this.groups.delete(key);
        this.kept.delete(key);
        dropped = true;
      }
    }
    if (dropped) this.changed();
  }

  private changed(): void {
    let lowest: BudgetState | null = null;
    const now = this.now();
    for (const state of this.groups.values()) {
      if (state.resetAt <= now) continue;
      if (!lowest || state.remaining / state.limit < lowest.remaining / lowest.limit) lowest = state;
    }
    this.snapshot = lowest;
    for (const listener of this.listeners) listener();
  }
}
