#include "invoicing/pdf/invoice_pdf.hpp"

#include <cairo-pdf.h>
#include <cairo.h>
#include <glib.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <mutex>
#include <new>
#include <string_view>
#include <utility>

namespace meterline::invoicing {
namespace {

// ---- Page geometry, in PDF points (1/72 inch) ----------------------------------

constexpr double kPageWidth = 595.2756;   // A4: 210 mm
constexpr double kPageHeight = 841.8898;  // A4: 297 mm
constexpr double kMargin = 48;            // left, right and top
constexpr double kContentWidth = kPageWidth - 2 * kMargin;
constexpr double kRight = kMargin + kContentWidth;
constexpr double kFooterRuleY = kPageHeight - 46;
constexpr double kBodyBottom = kFooterRuleY - 14;  // nothing but the footer below this

constexpr double kLogoMaxWidth = 200;
constexpr double kLogoMaxHeight = 56;
constexpr double kIssuerWidth = 250;

// The line-item table: four columns, numbers right-aligned.
constexpr double kCellPadX = 6;
constexpr double kCellPadY = 5;
constexpr double kColumnGap = 12;
constexpr double kQuantityWidth = 72;
constexpr double kUnitPriceWidth = 84;
constexpr double kAmountWidth = 88;
constexpr double kAmountX = kRight - kCellPadX - kAmountWidth;
constexpr double kUnitPriceX = kAmountX - kColumnGap - kUnitPriceWidth;
constexpr double kQuantityX = kUnitPriceX - kColumnGap - kQuantityWidth;
constexpr double kDescriptionX = kMargin + kCellPadX;
constexpr double kDescriptionWidth = kQuantityX - kColumnGap - kDescriptionX;

// Caps that keep one absurd field from pushing everything off the page.
constexpr double kMaxRowTextHeight = 420;
constexpr double kMaxPartyLinesHeight = 120;
constexpr double kMaxTermsHeight = 160;

constexpr double kTotalsWidth = 260;
constexpr double kTotalsValueWidth = 110;

// ---- Colours and fonts --------------------------------------------------------

struct Color {
  double r, g, b;
};
constexpr Color kInk{0.12, 0.14, 0.17};
constexpr Color kMuted{0.40, 0.44, 0.49};
constexpr Color kAccent{0.11, 0.29, 0.50};
constexpr Color kRuleColor{0.82, 0.85, 0.88};
constexpr Color kShade{0.945, 0.953, 0.965};

enum class Font { kBody, kBodyBold, kSmall, kLabel, kTitle, kSubtitle, kWordmark, kAmountDue, kFooter, kCount };

const char* FontSpec(Font font) {
  switch (font) {
    case Font::kBody: return "DejaVu Sans 9.5";
    case Font::kBodyBold: return "DejaVu Sans Bold 9.5";
    case Font::kSmall: return "DejaVu Sans 8.5";
    case Font::kLabel: return "DejaVu Sans Bold 7.5";
    case Font::kTitle: return "DejaVu Sans Bold 22";
    case Font::kSubtitle: return "DejaVu Sans 11";
    case Font::kWordmark: return "DejaVu Sans Bold 18";
    case Font::kAmountDue: return "DejaVu Sans Bold 11";
    case Font::kFooter: return "DejaVu Sans 7.5";
    case Font::kCount: break;
  }
  return "DejaVu Sans 9.5";
}

// ---- Owners for the C objects --------------------------------------------------

struct GObjectUnref {
  void operator()(void* object) const { g_object_unref(object); }
};
struct CairoDestroy {
  void operator()(cairo_t* cr) const { cairo_destroy(cr); }
};
struct SurfaceDestroy {
  void operator()(cairo_surface_t* surface) const { cairo_surface_destroy(surface); }
};
struct FontDescriptionFree {
  void operator()(PangoFontDescription* desc) const { pango_font_description_free(desc); }
};
using LayoutPtr = std::unique_ptr<PangoLayout, GObjectUnref>;
using ContextPtr = std::unique_ptr<PangoContext, GObjectUnref>;
using CairoPtr = std::unique_ptr<cairo_t, CairoDestroy>;
using SurfacePtr = std::unique_ptr<cairo_surface_t, SurfaceDestroy>;
using FontDescriptionPtr = std::unique_ptr<PangoFontDescription, FontDescriptionFree>;

// Loads fontconfig's configuration and DejaVu Sans once per process, before any
// thread builds its own font map, so no two threads race through that set-up.
void InitFontsOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::unique_ptr<PangoFontMap, GObjectUnref> map(pango_cairo_font_map_new());
    ContextPtr context(pango_font_map_create_context(map.get()));
    FontDescriptionPtr desc(pango_font_description_from_string(FontSpec(Font::kBody)));
    if (PangoFont* font = pango_font_map_load_font(map.get(), context.get(), desc.get())) g_object_unref(font);
  });
}

// ---- Text -----------------------------------------------------------------------

// A laid-out block of text and its logical size in points.
struct Text {
  LayoutPtr layout;
  double width = 0;
  double height = 0;
};

struct TextOptions {
  double width = -1;  // wrap (and align) inside this width; -1 = one line per paragraph, no wrap
  PangoAlignment align = PANGO_ALIGN_LEFT;
  double max_height = -1;  // > 0: cut off with "…" beyond this height (needs width)
};

// Makes pango layouts for one rendering: one pango context, one description per font.
class Typesetter {
 public:
  Typesetter(PangoFontMap* font_map, cairo_t* cr) : context_(pango_font_map_create_context(font_map)) {
    // 72 dpi: a 10 pt font is 10 units of the PDF's user space. No hinting and
    // unrounded glyph positions: this is vector output, not a screen.
    pango_cairo_context_set_resolution(context_.get(), 72);
    cairo_font_options_t* options = cairo_font_options_create();
    cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
    pango_cairo_context_set_font_options(context_.get(), options);
    cairo_font_options_destroy(options);
    pango_context_set_round_glyph_positions(context_.get(), FALSE);
    pango_cairo_update_context(cr, context_.get());
    for (size_t font_idx = 0; font_idx < fonts_.size(); ++font_idx) {
      fonts_[font_idx].reset(pango_font_description_from_string(FontSpec(static_cast<Font>(font_idx))));
    }
  }

  Text Make(std::string_view text, Font font, TextOptions options = {}) const {
    Text out;
    out.layout.reset(pango_layout_new(context_.get()));
    PangoLayout* layout = out.layout.get();
    pango_layout_set_font_description(layout, fonts_[static_cast<size_t>(font)].get());
    if (options.width > 0) {
      pango_layout_set_width(layout, ToPango(options.width));
      pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
      pango_layout_set_alignment(layout, options.align);
      if (options.max_height > 0) {
        pango_layout_set_height(layout, ToPango(options.max_height));
        pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END);
      }
    }
    pango_layout_set_text(layout, text.data(), static_cast<int>(text.size()));
    int width = 0;
    int height = 0;
    pango_layout_get_size(layout, &width, &height);
    out.width = static_cast<double>(width) / PANGO_SCALE;
    out.height = static_cast<double>(height) / PANGO_SCALE;
    return out;
  }

 private:
  static int ToPango(double points) { return static_cast<int>(std::lround(points * PANGO_SCALE)); }

  ContextPtr context_;
  std::array<FontDescriptionPtr, static_cast<size_t>(Font::kCount)> fonts_;
};

void SetColor(cairo_t* cr, Color color) { cairo_set_source_rgb(cr, color.r, color.g, color.b); }

void Draw(cairo_t* cr, const Text& text, double x, double y, Color color) {
  SetColor(cr, color);
  cairo_move_to(cr, x, y);
  pango_cairo_show_layout(cr, text.layout.get());
}

void HorizontalRule(cairo_t* cr, double x0, double x1, double y, double thickness, Color color) {
  SetColor(cr, color);
  cairo_set_line_width(cr, thickness);
  cairo_move_to(cr, x0, y);
  cairo_line_to(cr, x1, y);
  cairo_stroke(cr);
}

void FillRect(cairo_t* cr, double x, double y, double width, double height, Color color) {
  SetColor(cr, color);
  cairo_rectangle(cr, x, y, width, height);
  cairo_fill(cr);
}

void FillRoundedRect(cairo_t* cr, double x, double y, double width, double height, double radius, Color color) {
  radius = std::min(radius, std::min(width, height) / 2);
  cairo_new_sub_path(cr);
  cairo_arc(cr, x + width - radius, y + radius, radius, -G_PI / 2, 0);
  cairo_arc(cr, x + width - radius, y + height - radius, radius, 0, G_PI / 2);
  cairo_arc(cr, x + radius, y + height - radius, radius, G_PI / 2, G_PI);
  cairo_arc(cr, x + radius, y + radius, radius, G_PI, 3 * G_PI / 2);
  cairo_close_path(cr);
  SetColor(cr, color);
  cairo_fill(cr);
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) {
    if (!out.empty()) out += '\n';
    out += line;
  }
  return out;
}

// The badge colour for a status: green when paid, blue when open, grey otherwise.
Color StatusColor(std::string_view status) {
  if (status == "paid") return {0.13, 0.50, 0.28};
  if (status == "open") return kAccent;
  if (status == "uncollectible") return {0.66, 0.20, 0.16};
  return {0.45, 0.48, 0.52};
}

std::string Uppercase(std::string_view text) {
  gchar* upper = g_utf8_strup(text.data(), static_cast<gssize>(text.size()));
  std::string out(upper);
  g_free(upper);
  return out;
}

// True for "YYYY-MM-DD".
bool IsIsoDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (size_t idx : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!g_ascii_isdigit(text[idx])) return false;
  }
  return true;
}

// ---- Validation -----------------------------------------------------------------

bool IsUtf8(const std::string& text) { return g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr); }

// Names the first text field that is not valid UTF-8, or returns "".
std::string FirstInvalidField(const PdfInvoice& invoice) {
  const std::pair<const char*, const std::string*> fields[] = {
      {"title", &invoice.title},
      {"number", &invoice.number},
      {"period_label", &invoice.period_label},
      {"status", &invoice.status},
      {"issue_date", &invoice.issue_date},
      {"due_date", &invoice.due_date},
      {"period", &invoice.period},
      {"issuer.name", &invoice.issuer.name},
      {"customer.name", &invoice.customer.name},
      {"subtotal", &invoice.subtotal},
      {"tax_label", &invoice.tax_label},
      {"tax", &invoice.tax},
      {"total", &invoice.total},
      {"amount_paid", &invoice.amount_paid},
      {"amount_due", &invoice.amount_due},
      {"currency", &invoice.currency},
      {"payment_terms", &invoice.payment_terms},
  };
  for (const auto& [name, value] : fields) {
    if (!IsUtf8(*value)) return name;
  }
  for (const std::string& line : invoice.issuer.lines) {
    if (!IsUtf8(line)) return "issuer.lines";
  }
  for (const std::string& line : invoice.customer.lines) {
    if (!IsUtf8(line)) return "customer.lines";
  }
  for (const PdfTotalRow& row : invoice.adjustments) {
    if (!IsUtf8(row.label) || !IsUtf8(row.value)) return "adjustments";
  }
  for (size_t line_idx = 0; line_idx < invoice.lines.size(); ++line_idx) {
    const PdfLine& line = invoice.lines[line_idx];
    for (const std::string* cell : {&line.description, &line.quantity, &line.unit_price, &line.amount}) {
      if (!IsUtf8(*cell)) return "lines[" + std::to_string(line_idx) + "]";
    }
  }
  return "";
}

// ---- The document ---------------------------------------------------------------

// One invoice laid out and paginated on construction, then drawn by DrawAll.
class InvoiceDocument {
 public:
  InvoiceDocument(const PdfInvoice& invoice, const Typesetter& type, cairo_t* cr)
      : invoice_(invoice), type_(type), cr_(cr) {
    LayOutHeader();
    LayOutTable();
    LayOutTail();
    Paginate();
  }

  void DrawAll() {
    const int page_count = static_cast<int>(pages_.size());
    for (int page_idx = 0; page_idx < page_count; ++page_idx) {
      const Page& page = pages_[static_cast<size_t>(page_idx)];
      double y = page_idx == 0 ? DrawFirstPageHeader() : DrawContinuationHeader();
      if (page.row_begin < page.row_end || (page_idx == 0 && rows_.empty())) {
        y = DrawTableHeader(y);
        for (size_t row_idx = page.row_begin; row_idx < page.row_end; ++row_idx) y = DrawRow(rows_[row_idx], y);
      }
      if (page.has_tail) DrawTail(page.row_begin == page.row_end && page_idx > 0 ? y : y + kTailGap);
      DrawFooter(page_idx + 1, page_count);
      cairo_show_page(cr_);
    }
  }

 private:
  static constexpr double kTailGap = 16;

  struct Row {
    std::array<Text, 4> cells;  // description, quantity, unit price, amount
    double height = 0;
  };
  struct Page {
    size_t row_begin = 0;
    size_t row_end = 0;
    bool has_tail = false;
  };
  struct TotalsRow {
    Text label;
    Text value;
    bool emphasised = false;  // the amount due: bold, shaded
    bool rule_above = false;
  };

  void LayOutHeader() {
    LoadLogo();
    if (!logo_) {
      wordmark_ = type_.Make(invoice_.issuer.name, Font::kWordmark,
                             {.width = kContentWidth - kIssuerWidth - 20, .max_height = 2 * kLogoMaxHeight});
    }
    issuer_name_ =
        type_.Make(invoice_.issuer.name, Font::kBodyBold, {.width = kIssuerWidth, .align = PANGO_ALIGN_RIGHT});
    issuer_lines_ = type_.Make(JoinLines(invoice_.issuer.lines), Font::kSmall,
                               {.width = kIssuerWidth, .align = PANGO_ALIGN_RIGHT, .max_height = kMaxPartyLinesHeight});
    title_ = type_.Make(invoice_.title, Font::kTitle);
    number_ = type_.Make(invoice_.number, Font::kSubtitle, {.width = kContentWidth / 2});
    if (!invoice_.status.empty()) status_ = type_.Make(Uppercase(invoice_.status), Font::kLabel);

    bill_to_label_ = type_.Make("BILL TO", Font::kLabel);
    customer_name_ = type_.Make(invoice_.customer.name, Font::kBodyBold, {.width = kContentWidth / 2 - 20});
    customer_lines_ = type_.Make(JoinLines(invoice_.customer.lines), Font::kBody,
                                 {.width = kContentWidth / 2 - 20, .max_height = kMaxPartyLinesHeight});
    details_label_ = type_.Make("DETAILS", Font::kLabel);
    const std::pair<const char*, const std::string*> details[] = {
        {"Issue date", &invoice_.issue_date},
        {"Due date", &invoice_.due_date},
        {invoice_.period_label.c_str(), &invoice_.period},
        {"Currency", &invoice_.currency},
    };
    for (const auto& [label, value] : details) {
      if (value->empty()) continue;
      // NOLINTNEXTLINE(modernize-use-emplace): a braced pair
      details_.push_back({type_.Make(label, Font::kBody, {.width = kDetailsLabelWidth}),
                          type_.Make(*value, Font::kBody, {.width = kContentWidth / 2 - kDetailsLabelWidth})});
    }

    // Vertical positions on the first page.
    double header_height =
        std::max(logo_ ? logo_height_ : wordmark_.height,
                 issuer_name_.height + (invoice_.issuer.lines.empty() ? 0 : 2 + issuer_lines_.height));
    rule_y_ = kMargin + header_height + 14;
    title_y_ = rule_y_ + 16;
    number_y_ = title_y_ + title_.height + 1;
    blocks_y_ = number_y_ + number_.height + 20;
    double bill_to_height = bill_to_label_.height + 4 + customer_name_.height +
                            (invoice_.customer.lines.empty() ? 0 : 2 + customer_lines_.height);
    double details_height = details_label_.height + 4;
    for (const auto& [label, value] : details_) details_height += std::max(label.height, value.height) + kDetailsRowGap;
    first_table_y_ = blocks_y_ + std::max(bill_to_height, details_height) + 24;

    // Pages after the first: a one-line reminder of whose invoice this is.
    continuation_left_ =
        type_.Make(invoice_.issuer.name, Font::kBodyBold, {.width = kContentWidth / 2, .max_height = 14});
    continuation_right_ = type_.Make(invoice_.title + " " + invoice_.number + " (continued)", Font::kBody,
                                     {.width = kContentWidth / 2, .align = PANGO_ALIGN_RIGHT, .max_height = 14});
    double continuation_height = std::max(continuation_left_.height, continuation_right_.height);
    continuation_rule_y_ = kMargin + continuation_height + 8;
    continuation_table_y_ = continuation_rule_y_ + 14;
    footer_left_ = type_.Make(invoice_.issuer.name, Font::kFooter, {.width = kContentWidth / 2, .max_height = 12});
  }

  void LoadLogo() {
    if (invoice_.logo_png_path.empty()) return;
    SurfacePtr image(cairo_image_surface_create_from_png(invoice_.logo_png_path.c_str()));
    if (cairo_surface_status(image.get()) != CAIRO_STATUS_SUCCESS) return;  // missing or not a PNG
    const int width = cairo_image_surface_get_width(image.get());
    const int height = cairo_image_surface_get_height(image.get());
    if (width <= 0 || height <= 0) return;
    logo_scale_ = std::min(kLogoMaxWidth / width, kLogoMaxHeight / height);
    logo_width_ = width * logo_scale_;
    logo_height_ = height * logo_scale_;
    logo_ = std::move(image);
  }

  void LayOutTable() {
    header_cells_[0] = type_.Make("Description", Font::kLabel, {.width = kDescriptionWidth});
    header_cells_[1] = type_.Make("Quantity", Font::kLabel, {.width = kQuantityWidth, .align = PANGO_ALIGN_RIGHT});
    header_cells_[2] = type_.Make("Unit price", Font::kLabel, {.width = kUnitPriceWidth, .align = PANGO_ALIGN_RIGHT});
    header_cells_[3] = type_.Make("Amount", Font::kLabel, {.width = kAmountWidth, .align = PANGO_ALIGN_RIGHT});
    header_height_ = 0;
    for (const Text& cell : header_cells_) header_height_ = std::max(header_height_, cell.height);
    header_height_ += 2 * 6;

    rows_.reserve(invoice_.lines.size());
    for (const PdfLine& line : invoice_.lines) {
      Row row;
      row.cells[0] =
          type_.Make(line.description, Font::kBody, {.width = kDescriptionWidth, .max_height = kMaxRowTextHeight});
      row.cells[1] = type_.Make(line.quantity, Font::kBody,
                                {.width = kQuantityWidth, .align = PANGO_ALIGN_RIGHT, .max_height = kMaxRowTextHeight});
      row.cells[2] =
          type_.Make(line.unit_price, Font::kBody,
                     {.width = kUnitPriceWidth, .align = PANGO_ALIGN_RIGHT, .max_height = kMaxRowTextHeight});
      row.cells[3] = type_.Make(line.amount, Font::kBody,
                                {.width = kAmountWidth, .align = PANGO_ALIGN_RIGHT, .max_height = kMaxRowTextHeight});
      for (const Text& cell : row.cells) row.height = std::max(row.height, cell.height);
      row.height += 2 * kCellPadY;
      rows_.push_back(std::move(row));
    }
    if (rows_.empty()) {
      no_lines_ = type_.Make("No line items.", Font::kBody, {.width = kDescriptionWidth});
    }
  }

  void LayOutTail() {
    const TextOptions label_options{.width = kTotalsWidth - kTotalsValueWidth - 10};
    const TextOptions value_options{.width = kTotalsValueWidth, .align = PANGO_ALIGN_RIGHT};
    auto add = [&](std::string_view label, const std::string& value, Font font, bool emphasised, bool rule_above) {
      totals_.push_back(
          {type_.Make(label, font, label_options), type_.Make(value, font, value_options), emphasised, rule_above});
    };
    add("Subtotal", invoice_.subtotal, Font::kBody, false, false);
    if (!invoice_.tax_label.empty() || !invoice_.tax.empty()) {
      add(invoice_.tax_label.empty() ? std::string_view("Tax") : std::string_view(invoice_.tax_label), invoice_.tax,
          Font::kBody, false, false);
    }
    add("Total", invoice_.total, Font::kBodyBold, false, true);
    for (const PdfTotalRow& row : invoice_.adjustments) add(row.label, row.value, Font::kBody, false, false);
    if (!invoice_.amount_due.empty()) {
      add("Amount paid", invoice_.amount_paid, Font::kBody, false, false);
      add("Amount due", invoice_.amount_due, Font::kAmountDue, true, false);
    }
    totals_height_ = 0;
    for (const TotalsRow& row : totals_) totals_height_ += TotalsRowHeight(row);

    tail_height_ = totals_height_;
    if (!invoice_.payment_terms.empty()) {
      terms_label_ = type_.Make("PAYMENT TERMS", Font::kLabel);
      terms_ = type_.Make(invoice_.payment_terms, Font::kBody, {.width = kContentWidth, .max_height = kMaxTermsHeight});
      tail_height_ += kTermsGap + terms_label_.height + 4 + terms_.height;
    }
  }

  static double TotalsRowHeight(const TotalsRow& row) {
    return std::max(row.label.height, row.value.height) + (row.emphasised ? 2 * 7 : 2 * 3.5) + (row.rule_above ? 4 : 0);
  }

  // Rows go on a page while they fit above the footer; the table header
  // repeats on every page with rows; totals and terms stay together.
  void Paginate() {
    pages_.push_back({});
    double y = first_table_y_ + header_height_;
    for (size_t row_idx = 0; row_idx < rows_.size(); ++row_idx) {
      Page& page = pages_.back();
      const bool page_has_rows = page.row_begin < page.row_end;
      // A row too tall for any page (capped, so only with an absurd header)
      // still goes on a fresh continuation page rather than looping forever.
      if (y + rows_[row_idx].height > kBodyBottom && (page_has_rows || pages_.size() == 1)) {
        pages_.push_back({row_idx, row_idx, false});
        y = continuation_table_y_ + header_height_;
      }
      pages_.back().row_end = row_idx + 1;
      y += rows_[row_idx].height;
    }
    if (rows_.empty()) y += no_lines_.height + 2 * kCellPadY;
    if (y + kTailGap + tail_height_ > kBodyBottom) {
      pages_.push_back({rows_.size(), rows_.size(), false});
    }
    pages_.back().has_tail = true;
  }

  // Returns where the content below the header starts.
  double DrawFirstPageHeader() {
    if (logo_) {
      cairo_save(cr_);
      cairo_translate(cr_, kMargin, kMargin);
      cairo_scale(cr_, logo_scale_, logo_scale_);
      cairo_set_source_surface(cr_, logo_.get(), 0, 0);
      cairo_pattern_set_filter(cairo_get_source(cr_), CAIRO_FILTER_GOOD);
      cairo_paint(cr_);
      cairo_restore(cr_);
    } else {
      Draw(cr_, wordmark_, kMargin, kMargin, kAccent);
    }
    Draw(cr_, issuer_name_, kRight - kIssuerWidth, kMargin, kInk);
    if (!invoice_.issuer.lines.empty()) {
      Draw(cr_, issuer_lines_, kRight - kIssuerWidth, kMargin + issuer_name_.height + 2, kMuted);
    }
    HorizontalRule(cr_, kMargin, kRight, rule_y_, 0.75, kRuleColor);

    Draw(cr_, title_, kMargin, title_y_, kInk);
    if (!invoice_.status.empty()) {
      constexpr double kPadX = 8;
      constexpr double kPadY = 4;
      const double badge_width = status_.width + 2 * kPadX;
      const double badge_height = status_.height + 2 * kPadY;
      const double badge_x = kRight - badge_width;
      const double badge_y = title_y_ + (title_.height - badge_height) / 2;
      FillRoundedRect(cr_, badge_x, badge_y, badge_width, badge_height, 4, StatusColor(invoice_.status));
      Draw(cr_, status_, badge_x + kPadX, badge_y + kPadY, {1, 1, 1});
    }
    Draw(cr_, number_, kMargin, number_y_, kMuted);

    double y = blocks_y_;
    Draw(cr_, bill_to_label_, kMargin, y, kMuted);
    y += bill_to_label_.height + 4;
    Draw(cr_, customer_name_, kMargin, y, kInk);
    y += customer_name_.height + 2;
    if (!invoice_.customer.lines.empty()) Draw(cr_, customer_lines_, kMargin, y, kInk);

    const double details_x = kMargin + kContentWidth / 2;
    y = blocks_y_;
    Draw(cr_, details_label_, details_x, y, kMuted);
    y += details_label_.height + 4;
    for (const auto& [label, value] : details_) {
      Draw(cr_, label, details_x, y, kMuted);
      Draw(cr_, value, details_x + kDetailsLabelWidth, y, kInk);
      y += std::max(label.height, value.height) + kDetailsRowGap;
    }
    return first_table_y_;
  }

  double DrawContinuationHeader() {
    Draw(cr_, continuation_left_, kMargin, kMargin, kInk);
    Draw(cr_, continuation_right_, kMargin + kContentWidth / 2, kMargin, kMuted);
    HorizontalRule(cr_, kMargin, kRight, continuation_rule_y_, 0.75, kRuleColor);
    return continuation_table_y_;
  }

  double DrawTableHeader(double y) {
    FillRect(cr_, kMargin, y, kContentWidth, header_height_, kShade);
    const double text_y = y + 6;
    Draw(cr_, header_cells_[0], kDescriptionX, text_y, kMuted);
    Draw(cr_, header_cells_[1], kQuantityX, text_y, kMuted);
    Draw(cr_, header_cells_[2], kUnitPriceX, text_y, kMuted);
    Draw(cr_, header_cells_[3], kAmountX, text_y, kMuted);
    y += header_height_;
    if (rows_.empty()) {
      Draw(cr_, no_lines_, kDescriptionX, y + kCellPadY, kMuted);
      y += no_lines_.height + 2 * kCellPadY;
      HorizontalRule(cr_, kMargin, kRight, y, 0.5, kRuleColor);
    }
    return y;
  }

  double DrawRow(const Row& row, double y) {
    const double text_y = y + kCellPadY;
    Draw(cr_, row.cells[0], kDescriptionX, text_y, kInk);
    Draw(cr_, row.cells[1], kQuantityX, text_y, kInk);
    Draw(cr_, row.cells[2], kUnitPriceX, text_y, kInk);
    Draw(cr_, row.cells[3], kAmountX, text_y, kInk);
    y += row.height;
    HorizontalRule(cr_, kMargin, kRight, y, 0.5, kRuleColor);
    return y;
  }

  void DrawTail(double y) {
    const double label_x = kRight - kTotalsWidth;
    const double value_x = kRight - kCellPadX - kTotalsValueWidth;
    for (const TotalsRow& row : totals_) {
      const double height = TotalsRowHeight(row);
      double top = y;
      if (row.rule_above) {
        HorizontalRule(cr_, label_x, kRight, y + 2, 0.75, kRuleColor);
        top += 4;
      }
      const double pad = row.emphasised ? 7 : 3.5;
      if (row.emphasised) FillRect(cr_, label_x, top, kTotalsWidth, height, kShade);
      Draw(cr_, row.label, label_x + kCellPadX, top + pad, kInk);
      Draw(cr_, row.value, value_x, top + pad, kInk);
      y += height;
    }
    if (invoice_.payment_terms.empty()) return;
    y += kTermsGap;
    Draw(cr_, terms_label_, kMargin, y, kMuted);
    y += terms_label_.height + 4;
    Draw(cr_, terms_, kMargin, y, kInk);
  }

  void DrawFooter(int page_number, int page_count) {
    HorizontalRule(cr_, kMargin, kRight, kFooterRuleY, 0.5, kRuleColor);
    const std::string right = invoice_.title + " " + invoice_.number + "  ·  Page " + std::to_string(page_number) +
                              " of " + std::to_string(page_count);
    Text page_text = type_.Make(right, Font::kFooter, {.width = kContentWidth / 2, .align = PANGO_ALIGN_RIGHT});
    Draw(cr_, footer_left_, kMargin, kFooterRuleY + 8, kMuted);
    Draw(cr_, page_text, kMargin + kContentWidth / 2, kFooterRuleY + 8, kMuted);
  }

  static constexpr double kDetailsLabelWidth = 80;
  static constexpr double kDetailsRowGap = 3;
  static constexpr double kTermsGap = 22;

  const PdfInvoice& invoice_;
  const Typesetter& type_;
  cairo_t* cr_;

  SurfacePtr logo_;
  double logo_scale_ = 1, logo_width_ = 0, logo_height_ = 0;
  Text wordmark_, issuer_name_, issuer_lines_, title_, number_, status_;
  Text bill_to_label_, customer_name_, customer_lines_, details_label_;
  std::vector<std::pair<Text, Text>> details_;
  Text continuation_left_, continuation_right_, footer_left_;
  double rule_y_ = 0, title_y_ = 0, number_y_ = 0, blocks_y_ = 0, first_table_y_ = 0;
  double continuation_rule_y_ = 0, continuation_table_y_ = 0;

  std::array<Text, 4> header_cells_;
  double header_height_ = 0;
  std::vector<Row> rows_;
  Text no_lines_;

  std::vector<TotalsRow> totals_;
  double totals_height_ = 0, tail_height_ = 0;
  Text terms_label_, terms_;

  std::vector<Page> pages_;
};

cairo_status_t AppendToString(void* closure, const unsigned char* data, unsigned int length) {
  try {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  } catch (const std::bad_alloc&) {
    return CAIRO_STATUS_NO_MEMORY;
  }
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace

Result<std::string> RenderInvoicePdf(const PdfInvoice& invoice) {
  if (std::string field = FirstInvalidField(invoice); !field.empty()) {
    return InvalidArgument("invoice PDF: " + field + " is not valid UTF-8");
  }
  InitFontsOnce();

  std::string pdf;
  SurfacePtr surface(cairo_pdf_surface_create_for_stream(AppendToString, &pdf, kPageWidth, kPageHeight));
  if (cairo_status_t status = cairo_surface_status(surface.get()); status != CAIRO_STATUS_SUCCESS) {
    return Internal(std::string("invoice PDF: cannot create the PDF surface: ") + cairo_status_to_string(status));
  }
  const std::string title = invoice.title + " " + invoice.number;
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, title.c_str());
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "Meterline");
  // cairo would stamp the current time (and derive the document ID from it);
  // the issue date keeps the bytes a function of the invoice. "" = no date.
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATE_DATE,
                                 IsIsoDate(invoice.issue_date) ? invoice.issue_date.c_str() : "");

  cairo_status_t draw_status;
  {
    CairoPtr cr(cairo_create(surface.get()));
    // pango's default font map is per thread: no locking, and its caches persist.
    Typesetter type(pango_cairo_font_map_get_default(), cr.get());
    InvoiceDocument document(invoice, type, cr.get());
    document.DrawAll();
    draw_status = cairo_status(cr.get());
  }
  cairo_surface_finish(surface.get());
  cairo_status_t finish_status = cairo_surface_status(surface.get());
  surface.reset();
  if (draw_status != CAIRO_STATUS_SUCCESS || finish_status != CAIRO_STATUS_SUCCESS) {
    cairo_status_t status = draw_status != CAIRO_STATUS_SUCCESS ? draw_status : finish_status;
    return Internal(std::string("invoice PDF: cairo failed: ") + cairo_status_to_string(status));
  }
  return pdf;
}

}  // namespace meterline::invoicing
