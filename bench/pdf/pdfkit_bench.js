// PDFKit side of bench/pdf/run: renders the invoice of pdf_bench.cpp with the
// same layout (A4, DejaVu Sans regular + bold embedded as TrueType subsets,
// header, bill-to and details blocks, the line-item table, totals, terms,
// footer) N times in sequence after a short warm-up and prints
// pdfkit_ms_per_invoice=<ms>.
//
//   node bench/pdf/pdfkit_bench.js [N=500] [OUT.pdf]
'use strict';

const fs = require('fs');
const PDFDocument = require('pdfkit');

const FONT_DIR = '/usr/share/fonts/truetype/dejavu';
// Read once, as the C++ side's font map caches the font between renders.
const SANS = fs.readFileSync(`${FONT_DIR}/DejaVuSans.ttf`);
const SANS_BOLD = fs.readFileSync(`${FONT_DIR}/DejaVuSans-Bold.ttf`);

// Keep in step with SampleInvoice() in pdf_bench.cpp.
const invoice = {
  number: 'INV-2025-000123',
  status: 'open',
  issueDate: '2025-01-31',
  dueDate: '2025-03-02',
  period: '2025-01-01 – 2025-02-01',
  issuer: {
    name: 'Meterline Inc.',
    lines: ['100 Market Street, Suite 300', 'San Francisco, CA 94105, USA', 'billing@meterline.example',
      'Tax ID US-12-3456789'],
  },
  customer: {
    name: 'Café Ünïcode GmbH',
    lines: ['Königstraße 12', '70173 Stuttgart, Germany', 'ap@cafe-unicode.example', 'VAT DE123456789'],
  },
  lines: [
    ['Growth plan — base fee (2025-01-01 – 2025-02-01)', '1', '$499.00', '$499.00'],
    ['API calls over 1,000,000 included', '2,350,000', '$0.10 / 1,000', '$235.00'],
    ['Impressions over 5,000,000 included', '1,200,000', '$0.50 / 1,000', '$600.00'],
    ['Storage over 10,000 GB-hours included', '3,500', '$0.02', '$70.00'],
  ],
  subtotal: '$1,404.00',
  taxLabel: 'Tax (19%)',
  tax: '$266.76',
  total: '$1,670.76',
  amountPaid: '$0.00',
  amountDue: '$1,670.76',
  currency: 'USD',
  paymentTerms: 'Net 30: please pay by 2025-03-02. Bank transfer to IBAN DE89 3704 0044 0532 0130 00 ' +
    '(reference INV-2025-000123) or by card in the customer portal.',
};

// The geometry of invoice_pdf.cpp, in points.
const PAGE_W = 595.2756;
const PAGE_H = 841.8898;
const MARGIN = 48;
const CONTENT_W = PAGE_W - 2 * MARGIN;
const RIGHT = MARGIN + CONTENT_W;
const FOOTER_RULE_Y = PAGE_H - 46;
const ISSUER_W = 250;
const PAD_X = 6;
const PAD_Y = 5;
const GAP = 12;
const QTY_W = 72;
const UNIT_W = 84;
const AMOUNT_W = 88;
const AMOUNT_X = RIGHT - PAD_X - AMOUNT_W;
const UNIT_X = AMOUNT_X - GAP - UNIT_W;
const QTY_X = UNIT_X - GAP - QTY_W;
const DESC_X = MARGIN + PAD_X;
const DESC_W = QTY_X - GAP - DESC_X;
const TOTALS_W = 260;
const TOTALS_VALUE_W = 110;

const INK = '#1f242b';
const MUTED = '#66707d';
const ACCENT = '#1c4a80';
const RULE = '#d1d9e0';
const SHADE = '#f1f3f6';

function rule(doc, x0, x1, y, width) {
  doc.moveTo(x0, y).lineTo(x1, y).lineWidth(width).strokeColor(RULE).stroke();
}

// Draws `text` at (x, y) and returns its height.
function put(doc, text, x, y, font, size, color, options = {}) {
  doc.font(font).fontSize(size).fillColor(color);
  const height = options.width ? doc.heightOfString(text, options) : doc.currentLineHeight(true);
  doc.text(text, x, y, { lineBreak: Boolean(options.width), ...options });
  return height;
}

function render(inv) {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      size: 'A4',
      margin: 0,
      autoFirstPage: true,
      info: { Title: `Invoice ${inv.number}`, Creator: 'Meterline', CreationDate: new Date('2025-01-31T00:00:00Z') },
    });
    const chunks = [];
    doc.on('data', (chunk) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.registerFont('Sans', SANS);
    doc.registerFont('Sans-Bold', SANS_BOLD);

    // Header: wordmark, issuer block.
    const wordmarkH = put(doc, inv.issuer.name, MARGIN, MARGIN, 'Sans-Bold', 18, ACCENT,
      { width: CONTENT_W - ISSUER_W - 20 });
    let y = MARGIN;
    y += put(doc, inv.issuer.name, RIGHT - ISSUER_W, y, 'Sans-Bold', 9.5, INK, { width: ISSUER_W, align: 'right' }) + 2;
    y += put(doc, inv.issuer.lines.join('\n'), RIGHT - ISSUER_W, y, 'Sans', 8.5, MUTED,
      { width: ISSUER_W, align: 'right' });
    const ruleY = Math.max(y, MARGIN + wordmarkH) + 14;
    rule(doc, MARGIN, RIGHT, ruleY, 0.75);

    // Title, status badge, number.
    const titleY = ruleY + 16;
    const titleH = put(doc, 'Invoice', MARGIN, titleY, 'Sans-Bold', 22, INK);
    doc.font('Sans-Bold').fontSize(7.5);
    const status = inv.status.toUpperCase();
    const badgeW = doc.widthOfString(status) + 16;
    const badgeH = doc.currentLineHeight(true) + 8;
    const badgeY = titleY + (titleH - badgeH) / 2;
    doc.roundedRect(RIGHT - badgeW, badgeY, badgeW, badgeH, 4).fill(ACCENT);
    put(doc, status, RIGHT - badgeW + 8, badgeY + 4, 'Sans-Bold', 7.5, '#ffffff');
    const numberY = titleY + titleH + 1;
    const numberH = put(doc, inv.number, MARGIN, numberY, 'Sans', 11, MUTED, { width: CONTENT_W / 2 });

    // Bill to and details.
    const blocksY = numberY + numberH + 20;
    y = blocksY;
    y += put(doc, 'BILL TO', MARGIN, y, 'Sans-Bold', 7.5, MUTED) + 4;
    y += put(doc, inv.customer.name, MARGIN, y, 'Sans-Bold', 9.5, INK, { width: CONTENT_W / 2 - 20 }) + 2;
    y += put(doc, inv.customer.lines.join('\n'), MARGIN, y, 'Sans', 9.5, INK, { width: CONTENT_W / 2 - 20 });
    const billToBottom = y;
    const detailsX = MARGIN + CONTENT_W / 2;
    y = blocksY;
    y += put(doc, 'DETAILS', detailsX, y, 'Sans-Bold', 7.5, MUTED) + 4;
    for (const [label, value] of [['Issue date', inv.issueDate], ['Due date', inv.dueDate], ['Period', inv.period],
      ['Currency', inv.currency]]) {
      put(doc, label, detailsX, y, 'Sans', 9.5, MUTED, { width: 80 });
      y += put(doc, value, detailsX + 80, y, 'Sans', 9.5, INK, { width: CONTENT_W / 2 - 80 }) + 3;
    }
    y = Math.max(billToBottom, y) + 24;

    // Table header and rows.
    doc.font('Sans-Bold').fontSize(7.5);
    const headerH = doc.currentLineHeight(true) + 12;
    doc.rect(MARGIN, y, CONTENT_W, headerH).fill(SHADE);
    put(doc, 'Description', DESC_X, y + 6, 'Sans-Bold', 7.5, MUTED, { width: DESC_W });
    put(doc, 'Quantity', QTY_X, y + 6, 'Sans-Bold', 7.5, MUTED, { width: QTY_W, align: 'right' });
    put(doc, 'Unit price', UNIT_X, y + 6, 'Sans-Bold', 7.5, MUTED, { width: UNIT_W, align: 'right' });
    put(doc, 'Amount', AMOUNT_X, y + 6, 'Sans-Bold', 7.5, MUTED, { width: AMOUNT_W, align: 'right' });
    y += headerH;
    for (const [description, quantity, unitPrice, amount] of inv.lines) {
      const heights = [
        put(doc, description, DESC_X, y + PAD_Y, 'Sans', 9.5, INK, { width: DESC_W }),
        put(doc, quantity, QTY_X, y + PAD_Y, 'Sans', 9.5, INK, { width: QTY_W, align: 'right' }),
        put(doc, unitPrice, UNIT_X, y + PAD_Y, 'Sans', 9.5, INK, { width: UNIT_W, align: 'right' }),
        put(doc, amount, AMOUNT_X, y + PAD_Y, 'Sans', 9.5, INK, { width: AMOUNT_W, align: 'right' }),
      ];
      y += Math.max(...heights) + 2 * PAD_Y;
      rule(doc, MARGIN, RIGHT, y, 0.5);
    }

    // Totals.
    y += 16;
    const labelX = RIGHT - TOTALS_W;
    const valueX = RIGHT - PAD_X - TOTALS_VALUE_W;
    const totals = [
      ['Subtotal', inv.subtotal, 'Sans', 9.5, false, false],
      [inv.taxLabel, inv.tax, 'Sans', 9.5, false, false],
      ['Total', inv.total, 'Sans-Bold', 9.5, false, true],
      ['Amount paid', inv.amountPaid, 'Sans', 9.5, false, false],
      ['Amount due', inv.amountDue, 'Sans-Bold', 11, true, false],
    ];
    for (const [label, value, font, size, emphasised, ruleAbove] of totals) {
      if (ruleAbove) {
        rule(doc, labelX, RIGHT, y + 2, 0.75);
        y += 4;
      }
      doc.font(font).fontSize(size);
      const pad = emphasised ? 7 : 3.5;
      const height = doc.currentLineHeight(true) + 2 * pad;
      if (emphasised) doc.rect(labelX, y, TOTALS_W, height).fill(SHADE);
      put(doc, label, labelX + PAD_X, y + pad, font, size, INK, { width: TOTALS_W - TOTALS_VALUE_W - 10 });
      put(doc, value, valueX, y + pad, font, size, INK, { width: TOTALS_VALUE_W, align: 'right' });
      y += height;
    }

    // Payment terms and footer.
    y += 22;
    y += put(doc, 'PAYMENT TERMS', MARGIN, y, 'Sans-Bold', 7.5, MUTED) + 4;
    put(doc, inv.paymentTerms, MARGIN, y, 'Sans', 9.5, INK, { width: CONTENT_W });
    rule(doc, MARGIN, RIGHT, FOOTER_RULE_Y, 0.5);
    put(doc, inv.issuer.name, MARGIN, FOOTER_RULE_Y + 8, 'Sans', 7.5, MUTED, { width: CONTENT_W / 2 });
    put(doc, `Invoice ${inv.number}  ·  Page 1 of 1`, MARGIN + CONTENT_W / 2, FOOTER_RULE_Y + 8, 'Sans', 7.5, MUTED,
      { width: CONTENT_W / 2, align: 'right' });
    doc.end();
  });
}

async function main() {
  const count = Number(process.argv[2] || 500);
  if (!Number.isInteger(count) || count <= 0) {
    console.error('usage: pdfkit_bench.js [N=500] [OUT.pdf]');
    process.exit(2);
  }
  let pdf;
  for (let warm = 0; warm < 10; ++warm) pdf = await render(invoice);  // JIT, font parsing code paths
  if (process.argv[3]) fs.writeFileSync(process.argv[3], pdf);
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; ++i) pdf = await render(invoice);
  const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(`pdfkit_invoices=${count} pdfkit_pdf_bytes=${pdf.length}`);
  console.log(`pdfkit_ms_per_invoice=${(elapsedMs / count).toFixed(3)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
