// Cells of numeric columns: right-aligned (tabular figures), and on phones,
// where `table-stack` tables stack their cells, each cell shows its column's
// name from data-label.
import type { ReactNode } from 'react';

export function NumHeader({ children }: { children: ReactNode }) {
  return (
    <th scope="col" className="num">
      {children}
    </th>
  );
}

export function NumCell({ label, children }: { label: string; children: ReactNode }) {
  return (
    <td data-label={label} className="num">
      {children}
    </td>
  );
}
