// Checks the e2e suite runs on any page: axe-core's accessibility rules, and
// the layout rules (nothing outside its card, no sideways page scroll, a top
// bar of one height).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');

/**
 * axe-core's violations on the page as it is now, of impact serious or
 * critical, as one line each ("state: rule (impact) - help: target, ...").
 * @param {import('playwright-core').Page} page
 * @param {string} state  the name of the page state, for the report
 */
export async function axeViolations(page, state) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
    }));
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${state}: ${v.id} (${v.impact}) - ${v.help}: ${v.targets.join(', ')}`);
}

/**
 * Layout problems on the page as it is now: elements sticking out of their
 * card (unless inside a container that scrolls sideways), and the page
 * scrolling sideways. Also the top bar's height, for comparing pages.
 * @param {import('playwright-core').Page} page
 */
export async function layoutReport(page) {
  return page.evaluate(() => {
    const problems = [];
    const scroller = document.scrollingElement;
    if (scroller.scrollWidth > window.innerWidth)
      problems.push(`the page scrolls sideways: ${scroller.scrollWidth} > ${window.innerWidth}`);
    const name = (el) =>
      `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : ''}`;
    for (const card of document.querySelectorAll('.card')) {
      const box = card.getBoundingClientRect();
      if (box.width === 0) continue;
      for (const el of card.querySelectorAll('*')) {
        // Inside a container that scrolls or clips sideways, the container is what must fit.
        let clipped = false;
        for (let up = el.parentElement; up && up !== card; up = up.parentElement) {
          if (/(auto|scroll|hidden|clip)/.test(getComputedStyle(up).overflowX)) {
            clipped = true;
            break;
          }
        }
        if (clipped) continue;
        const rect = el.getBoundingClientRect();
        if (rect.width === 0 && rect.height === 0) continue;
        if (rect.left < box.left - 1 || rect.right > box.right + 1) {
          problems.push(
            `${name(el)} (${Math.round(rect.left)}–${Math.round(rect.right)}) outside its card ${name(card)} (${Math.round(box.left)}–${Math.round(box.right)})`,
          );
          if (problems.length > 12) return { problems, header: null };
        }
      }
    }
    // The top bar on narrow screens, the sidebar's top (brand) row on wide ones.
    const bar = window.innerWidth < 900 ? document.querySelector('.sidebar') : document.querySelector('.sidebar-top');
    return { problems, header: bar ? Math.round(bar.getBoundingClientRect().height * 10) / 10 : null };
  });
}
