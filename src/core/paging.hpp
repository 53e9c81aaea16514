// Paging of lists: by offset (any list) or by cursor (lists that grow without
// bound: invoices, Stripe webhook events, the audit log). A cursor is the id of
// an item of the list; `after` asks for the items that follow it in the list's
// order, `before` for those that precede it. Stores read one item more than
// asked to tell whether there is more.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace meterline {

struct PageRequest {
  int64_t limit = 20;
  int64_t offset = 0;  // ignored when a cursor is given
  std::string after;   // starting_after: an item id
  std::string before;  // ending_before: an item id
  bool ByCursor() const { return !after.empty() || !before.empty(); }
};

template <typename T>
struct Page {
  std::vector<T> items;          // in the list's order, at most limit
  bool has_more = false;         // more items beyond the page in the direction asked
  std::optional<int64_t> total;  // all items matching the filter, when the store counts them
};

// Trims the limit + 1 items a store read to the page: `reversed` = they were
// read in reverse order (ending_before) and are put back in list order.
template <typename T>
Page<T> TrimPage(std::vector<T> items, const PageRequest& request, bool reversed = false) {
  Page<T> page;
  page.has_more = static_cast<int64_t>(items.size()) > request.limit;
  if (page.has_more) items.resize(static_cast<size_t>(request.limit));
  if (reversed) items = std::vector<T>(items.rbegin(), items.rend());
  page.items = std::move(items);
  return page;
}

}  // namespace meterline
