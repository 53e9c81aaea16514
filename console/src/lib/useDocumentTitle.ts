import { useEffect } from 'react';

/** Names the browser tab after the page ("Invoices · Meterline"). */
export function useDocumentTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Meterline` : 'Meterline';
  }, [title]);
}
