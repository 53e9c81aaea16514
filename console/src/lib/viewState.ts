// What one browser tab remembers between pages: the customer an admin looked
// at last, the invoice list's filters. Kept in sessionStorage (per tab), under
// keys starting with "meterline.", and forgotten at sign-out.

const REMEMBER_KEY = 'meterline.customer';

export function rememberCustomer(id: string): void {
  try {
    if (id) sessionStorage.setItem(REMEMBER_KEY, id);
    else sessionStorage.removeItem(REMEMBER_KEY);
  } catch {
    // storage may be unavailable (private mode): nothing to remember then
  }
}

/** Forgets what this tab remembered for the last user (at sign-out). */
export function forgetViewState(): void {
  try {
    for (const key of Object.keys(sessionStorage)) if (key.startsWith('meterline.')) sessionStorage.removeItem(key);
  } catch {
    // no storage, nothing remembered
  }
}

export function rememberedCustomer(): string {
  try {
    return sessionStorage.getItem(REMEMBER_KEY) ?? '';
  } catch {
    return '';
  }
}
