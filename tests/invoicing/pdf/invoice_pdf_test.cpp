// Renders invoices and reads them back with the poppler and qpdf tools:
// qpdf --check for structure, pdftotext for the text, pdfinfo for pages and
// title, pdfimages for the logo.
#include "invoicing/pdf/invoice_pdf.hpp"

#include <cairo.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace meterline::invoicing {
namespace {

namespace fs = std::filesystem;

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout only
};

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  std::FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t read = 0;
  while ((read = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, read);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// A fresh directory per test, removed afterwards.
class InvoicePdfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "mtl-invoice-pdf-XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // Renders `invoice`, writes it to <dir>/<name>.pdf and returns the path.
  std::string RenderToFile(const PdfInvoice& invoice, const std::string& name = "invoice") {
    auto pdf = RenderInvoicePdf(invoice);
    EXPECT_TRUE(pdf.ok()) << (pdf.ok() ? "" : pdf.error().message);
    if (!pdf.ok()) return "";
    EXPECT_EQ(pdf->substr(0, 5), "%PDF-");
    const std::string path = (dir_ / (name + ".pdf")).string();
    std::ofstream(path, std::ios::binary) << *pdf;
    return path;
  }

  static void ExpectQpdfCheckPasses(const std::string& path) {
    CommandResult check = RunCommand("qpdf --check '" + path + "' 2>&1");
    EXPECT_EQ(check.exit_code, 0) << check.output;
  }

  static std::string Text(const std::string& path, int page = 0) {
    std::string range = page > 0 ? " -f " + std::to_string(page) + " -l " + std::to_string(page) : "";
    CommandResult text = RunCommand("pdftotext -layout -enc UTF-8" + range + " '" + path + "' -");
    EXPECT_EQ(text.exit_code, 0);
    return text.output;
  }

  // The value of one "Key: value" line of pdfinfo.
  static std::string Info(const std::string& path, const std::string& key) {
    CommandResult info = RunCommand("pdfinfo -isodates -enc UTF-8 '" + path + "'");
    EXPECT_EQ(info.exit_code, 0);
    const std::string prefix = key + ":";
    size_t begin = 0;
    while (begin < info.output.size()) {
      size_t end = info.output.find('\n', begin);
      if (end == std::string::npos) end = info.output.size();
      if (info.output.compare(begin, prefix.size(), prefix) == 0) {
        size_t value = info.output.find_first_not_of(' ', begin + prefix.size());
        return value < end ? info.output.substr(value, end - value) : "";
      }
      begin = end + 1;
    }
    return "";
  }

  static int Pages(const std::string& path) { return std::atoi(Info(path, "Pages").c_str()); }

  fs::path dir_;
};

PdfInvoice SampleInvoice() {
  PdfInvoice invoice;
  invoice.number = "INV-2025-000123";
  invoice.status = "open";
  invoice.issue_date = "2025-01-31";
  invoice.due_date = "2025-03-02";
  invoice.period = "2025-01-01 – 2025-02-01";
  invoice.issuer = {"Meterline Inc.",
                    {"100 Market Street, Suite 300", "San Francisco, CA 94105", "billing@meterline.example"}};
  invoice.customer = {"Café Ünïcode — Łódź Straße Ltd", {"Königstraße 12", "70173 Stuttgart", "VAT DE123456789"}};
  invoice.lines = {
      {"Growth plan — base fee", "1", "$499.00", "$499.00"},
      {"API calls over 1,000,000 included", "2,350,000", "$0.10 / 1,000", "$235.00"},
      {"Impressions over 5,000,000 included", "1,200,000", "$0.50 / 1,000", "$600.00"},
      {"Storage over 10,000 GB-hours included", "3,500", "$0.02", "$70.00"},
  };
  invoice.subtotal = "$1,404.00";
  invoice.tax_label = "Tax (19%)";
  invoice.tax = "$266.76";
  invoice.total = "$1,670.76";
  invoice.amount_paid = "$0.00";
  invoice.amount_due = "$1,670.76";
  invoice.currency = "USD";
  invoice.payment_terms = "Net 30: please pay by 2025-03-02.";
  return invoice;
}

PdfInvoice LongInvoice(int line_count) {
  PdfInvoice invoice = SampleInvoice();
  invoice.lines.clear();
  for (int line_idx = 1; line_idx <= line_count; ++line_idx) {
    char description[64];
    std::snprintf(description, sizeof description, "Usage line %03d — résumé", line_idx);
    invoice.lines.push_back(
        {description, std::to_string(line_idx * 10), "$1.00", "$" + std::to_string(line_idx * 10) + ".00"});
  }
  return invoice;
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t count = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++count;
  return count;
}

TEST_F(InvoicePdfTest, OnePageHoldsEveryFieldAsText) {
  const PdfInvoice invoice = SampleInvoice();
  const std::string path = RenderToFile(invoice);
  ASSERT_FALSE(path.empty());
  ExpectQpdfCheckPasses(path);
  EXPECT_EQ(Pages(path), 1);
  EXPECT_EQ(Info(path, "Title"), "Invoice INV-2025-000123");

  const std::string text = Text(path);
  for (const std::string& expected :
       {invoice.number, invoice.customer.name, invoice.issuer.name, std::string("Invoice"), std::string("BILL TO"),
        invoice.period, invoice.issue_date, invoice.due_date, std::string("Königstraße 12"), invoice.total,
        invoice.subtotal, invoice.tax_label, invoice.tax, invoice.payment_terms, std::string("OPEN"),
        std::string("Page 1 of 1"), std::string("Unit price")}) {
    EXPECT_NE(text.find(expected), std::string::npos) << "missing: " << expected << "\n" << text;
  }
  for (const PdfLine& line : invoice.lines) {
    EXPECT_NE(text.find(line.description), std::string::npos) << line.description;
    EXPECT_NE(text.find(line.quantity), std::string::npos) << line.quantity;
    EXPECT_NE(text.find(line.amount), std::string::npos) << line.amount;
  }
}

TEST_F(InvoicePdfTest, ManyLinesSpillOntoPagesThatRepeatTheTableHeader) {
  const std::string path = RenderToFile(LongInvoice(120));
  ASSERT_FALSE(path.empty());
  ExpectQpdfCheckPasses(path);
  const int pages = Pages(path);
  ASSERT_GT(pages, 1);

  std::string all_pages;
  for (int page = 1; page <= pages; ++page) {
    const std::string text = Text(path, page);
    all_pages += text;
    EXPECT_NE(text.find("Page " + std::to_string(page) + " of " + std::to_string(pages)), std::string::npos) << text;
    if (text.find("Usage line") == std::string::npos) continue;  // a page with only the totals
    for (const char* header : {"Description", "Quantity", "Unit price", "Amount"}) {
      EXPECT_NE(text.find(header), std::string::npos) << "page " << page << " lacks " << header;
    }
    if (page > 1) {
      EXPECT_NE(text.find("INV-2025-000123 (continued)"), std::string::npos);
    }
  }
  // Every line exactly once, in order; the totals once, after the last line.
  size_t previous = 0;
  for (int line_idx = 1; line_idx <= 120; ++line_idx) {
    char description[64];
    std::snprintf(description, sizeof description, "Usage line %03d — résumé", line_idx);
    EXPECT_EQ(Count(all_pages, description), 1u) << description;
    const size_t pos = all_pages.find(description);
    EXPECT_GT(pos, previous) << description;
    previous = pos;
  }
  EXPECT_EQ(Count(all_pages, "Amount due"), 1u);
  EXPECT_GT(all_pages.find("Amount due"), previous);
}

TEST_F(InvoicePdfTest, LongDescriptionsWrapInsideTheirColumn) {
  PdfInvoice invoice = SampleInvoice();
  invoice.lines[1].description =
      "API calls over 1,000,000 included in the Growth plan, counted across every project and region "
      "of the organisation during the billing period, excluding retries rejected by the rate limiter endtoken";
  const std::string path = RenderToFile(invoice);
  ASSERT_FALSE(path.empty());
  ExpectQpdfCheckPasses(path);
  const std::string text = Text(path);
  EXPECT_NE(text.find("API calls over"), std::string::npos) << text;
  EXPECT_NE(text.find("endtoken"), std::string::npos) << text;
  // Wrapped: the first and last words sit on different lines of the text.
  EXPECT_NE(text.substr(text.find("API calls over"), text.find("endtoken") - text.find("API calls over")).find('\n'),
            std::string::npos);
  EXPECT_EQ(Pages(path), 1);
}

TEST_F(InvoicePdfTest, AbsurdlyLongFieldsStayOnTheirPages) {
  PdfInvoice invoice = SampleInvoice();
  invoice.lines[0].description = std::string(20000, 'x');
  invoice.customer.lines.assign(200, "Another address line");
  invoice.payment_terms = std::string(5000, 'y');
  const std::string path = RenderToFile(invoice);
  ASSERT_FALSE(path.empty());
  ExpectQpdfCheckPasses(path);
  const std::string text = Text(path);
  EXPECT_NE(text.find("Amount due"), std::string::npos);
  EXPECT_NE(text.find("Impressions over 5,000,000 included"), std::string::npos);
}

TEST_F(InvoicePdfTest, NoLinesStillRendersTotals) {
  PdfInvoice invoice = SampleInvoice();
  invoice.lines.clear();
  invoice.tax_label.clear();
  invoice.tax.clear();
  const std::string path = RenderToFile(invoice);
  ASSERT_FALSE(path.empty());
  ExpectQpdfCheckPasses(path);
  const std::string text = Text(path);
  EXPECT_NE(text.find("No line items."), std::string::npos);
  EXPECT_NE(text.find("Amount due"), std::string::npos);
  EXPECT_EQ(text.find("Tax"), std::string::npos);
}

TEST_F(InvoicePdfTest, WithoutALogoTheIssuerNameIsTheWordmark) {
  PdfInvoice invoice = SampleInvoice();
  for (const std::string& logo : {std::string(), (dir_ / "no-such-logo.png").string()}) {
    invoice.logo_png_path = logo;
    const std::string path = RenderToFile(invoice);
    ASSERT_FALSE(path.empty()) << logo;
    ExpectQpdfCheckPasses(path);
    // The wordmark, the issuer block and the footer all name the issuer.
    EXPECT_GE(Count(Text(path), "Meterline Inc."), 3u) << logo;
    EXPECT_EQ(Count(RunCommand("pdfimages -list '" + path + "'").output, "image"), 0u);
  }
}

TEST_F(InvoicePdfTest, AFileThatIsNotAPngFallsBackToTheWordmark) {
  const std::string fake = (dir_ / "logo.png").string();
  std::ofstream(fake) << "not a png";
  PdfInvoice invoice = SampleInvoice();
  invoice.logo_png_path = fake;
  const std::string path = RenderToFile(invoice);
  ASSERT_FALSE(path.empty());
  ExpectQpdfCheckPasses(path);
  EXPECT_GE(Count(Text(path), "Meterline Inc."), 3u);
}

TEST_F(InvoicePdfTest, APngLogoIsEmbedded) {
  const std::string logo = (dir_ / "logo.png").string();
  cairo_surface_t* image = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 240, 60);
  cairo_t* cr = cairo_create(image);
  cairo_set_source_rgb(cr, 0.1, 0.3, 0.6);
  cairo_rectangle(cr, 0, 0, 60, 60);
  cairo_fill(cr);
  cairo_set_source_rgb(cr, 0.9, 0.5, 0.1);
  cairo_arc(cr, 150, 30, 28, 0, 6.3);
  cairo_fill(cr);
  cairo_destroy(cr);
  ASSERT_EQ(cairo_surface_write_to_png(image, logo.c_str()), CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy(image);

  PdfInvoice invoice = SampleInvoice();
  invoice.logo_png_path = logo;
  const std::string path = RenderToFile(invoice);
  ASSERT_FALSE(path.empty());
  ExpectQpdfCheckPasses(path);
  const std::string images = RunCommand("pdfimages -list '" + path + "'").output;
  EXPECT_NE(images.find(" 240 "), std::string::npos) << images;  // the logo at its own resolution
  // The issuer block and the footer still name the issuer; the wordmark is gone.
  EXPECT_EQ(Count(Text(path), "Meterline Inc."), 2u);
}

TEST_F(InvoicePdfTest, CjkTextDoesNotBreakRendering) {
  PdfInvoice invoice = SampleInvoice();
  invoice.customer.name = "Café Ünïcode — 東京 Ltd";
  invoice.lines[0].description = "基本料金 — Grundgebühr — Базовая плата";
  const std::string path = RenderToFile(invoice);
  ASSERT_FALSE(path.empty());
  ExpectQpdfCheckPasses(path);
  const std::string text = Text(path);
  EXPECT_NE(text.find("Базовая плата"), std::string::npos) << text;
  EXPECT_NE(text.find("Café Ünïcode"), std::string::npos) << text;
}

TEST_F(InvoicePdfTest, InvalidUtf8IsRefused) {
  PdfInvoice invoice = SampleInvoice();
  invoice.lines[2].amount = "\xff\xfe";
  auto pdf = RenderInvoicePdf(invoice);
  ASSERT_FALSE(pdf.ok());
  EXPECT_EQ(pdf.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(pdf.error().message.find("lines[2]"), std::string::npos) << pdf.error().message;

  invoice = SampleInvoice();
  invoice.customer.name = std::string("Nul\0byte", 8);
  pdf = RenderInvoicePdf(invoice);
  ASSERT_FALSE(pdf.ok());
  EXPECT_NE(pdf.error().message.find("customer.name"), std::string::npos) << pdf.error().message;
}

TEST_F(InvoicePdfTest, SameInvoiceSameBytes) {
  auto first = RenderInvoicePdf(SampleInvoice());
  auto second = RenderInvoicePdf(SampleInvoice());
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);
}

// cairo would stamp the wall-clock time; the issue date replaces it, or nothing does.
TEST_F(InvoicePdfTest, CreationDateIsTheIssueDateNotTheClock) {
  PdfInvoice invoice = SampleInvoice();
  std::string path = RenderToFile(invoice, "iso");
  ASSERT_FALSE(path.empty());
  EXPECT_EQ(Info(path, "CreationDate"), "2025-01-31T00:00:00Z");

  invoice.issue_date = "31 Jan 2025";
  path = RenderToFile(invoice, "free-form");
  ASSERT_FALSE(path.empty());
  EXPECT_EQ(Info(path, "CreationDate"), "");
  EXPECT_NE(Text(path).find("31 Jan 2025"), std::string::npos);
}

TEST_F(InvoicePdfTest, RendersFromSeveralThreadsAtOnce) {
  auto expected = RenderInvoicePdf(LongInvoice(40));
  ASSERT_TRUE(expected.ok());
  constexpr int kThreads = 6;
  constexpr int kRendersPerThread = 8;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int thread_idx = 0; thread_idx < kThreads; ++thread_idx) {
    threads.emplace_back([&, thread_idx] {
      for (int render_idx = 0; render_idx < kRendersPerThread; ++render_idx) {
        auto pdf = RenderInvoicePdf(LongInvoice(40));
        if (!pdf.ok() || *pdf != *expected) ++mismatches[static_cast<size_t>(thread_idx)];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int thread_idx = 0; thread_idx < kThreads; ++thread_idx)
    EXPECT_EQ(mismatches[static_cast<size_t>(thread_idx)], 0);
}

}  // namespace
}  // namespace meterline::invoicing
