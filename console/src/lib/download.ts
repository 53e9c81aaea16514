import { useCallback, useState } from 'react';
import { api } from './billing';
import { pdfFileName } from './invoices';
import type { Invoice } from './types';

type PdfInvoice = Pick<Invoice, 'id' | 'number' | 'status' | 'period' | 'customer_id'>;

/** Hands a blob to the browser as a file download. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.rel = 'noopener';
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Give the browser a moment to start the download before the URL goes away.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/** Downloads invoice PDFs, tracking which one is in flight and the last error
 *  (`download` never rejects: a failure is kept in `error`). */
export function usePdfDownload() {
  const [pendingId, setPendingId] = useState<string | null>(null);
  const [error, setError] = useState<{ id: string; message: string } | null>(null);
  // The name is ours (pdfFileName), not the server's: a draft's would be its id.
  const download = useCallback(async (invoice: PdfInvoice, customerName?: string | null) => {
    const id = invoice.id;
    setPendingId(id);
    setError(null);
    try {
      const { blob } = await api.invoicePdf(id);
      saveBlob(blob, pdfFileName(invoice, customerName));
    } catch (caught) {
      setError({ id, message: caught instanceof Error ? caught.message : String(caught) });
    } finally {
      setPendingId(null);
    }
  }, []);
  return { download, pendingId, error };
}

/** Downloads credit note PDFs (named for their number), like usePdfDownload. */
export function useCreditNotePdfDownload() {
  const [pendingId, setPendingId] = useState<string | null>(null);
  const [error, setError] = useState<{ id: string; message: string } | null>(null);
  const download = useCallback(async (note: { id: string; number: string }) => {
    setPendingId(note.id);
    setError(null);
    try {
      const { blob } = await api.creditNotePdf(note.id);
      saveBlob(blob, `${note.number.replace(/[^A-Za-z0-9_-]+/g, '-') || note.id}.pdf`);
    } catch (caught) {
      setError({ id: note.id, message: caught instanceof Error ? caught.message : String(caught) });
    } finally {
      setPendingId(null);
    }
  }, []);
  return { download, pendingId, error };
}
