// A table's horizontal scroller: a table wider than its card scrolls inside
// the card, never the page, and a shadow at the edge it can scroll towards
// says there is more (data-scroll="left right" for the CSS and the e2e tests).
import { useLayoutEffect, useRef, useState, type ReactNode } from 'react';

export function TableScroll({ children, label }: { children: ReactNode; label?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const [edges, setEdges] = useState('');
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    const measure = () => {
      const max = element.scrollWidth - element.clientWidth;
      const parts = [];
      if (max > 1 && element.scrollLeft > 1) parts.push('left');
      if (max > 1 && element.scrollLeft < max - 1) parts.push('right');
      setEdges(parts.join(' '));
    };
    measure();
    element.addEventListener('scroll', measure, { passive: true });
    const observer = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(measure);
    observer?.observe(element);
    if (element.firstElementChild) observer?.observe(element.firstElementChild);
    return () => {
      element.removeEventListener('scroll', measure);
      observer?.disconnect();
    };
  }, []);
  const scrolls = edges !== '';
  return (
    <div className="table-scroll" data-scroll={edges || undefined}>
      {/* A scrolling region is reachable by keyboard (Tab, then the arrow keys) only when it can scroll. */}
      <div
        ref={ref}
        className="table-wrap"
        tabIndex={scrolls ? 0 : undefined}
        role={scrolls ? 'region' : undefined}
        aria-label={scrolls ? (label ?? 'Table') + ' (scrolls sideways)' : undefined}
      >
        {children}
      </div>
    </div>
  );
}
