#include "metering/batch_keys.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace meterline::metering {
namespace {

using namespace std::string_literals;

// The order InKeyOrder must give: (customer, id) in byte order, the stores' key order.
std::vector<std::pair<std::string, std::string>> ByteOrder(std::vector<std::pair<std::string, std::string>> keys) {
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::vector<std::pair<std::string, std::string>> Sorted(const std::vector<std::pair<std::string, std::string>>& keys) {
  std::vector<UsageEvent> events;
  for (const auto& [customer, id] : keys) events.push_back({id, customer, "api_calls", 1, TimePoint{}, ""});
  std::vector<UsageEventRef> refs(events.begin(), events.end());
  std::vector<size_t> positions(refs.size());
  for (size_t i = 0; i < positions.size(); ++i) positions[i] = i;
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i : InKeyOrder(refs, positions)) out.emplace_back(events[i].customer_id, events[i].id);
  return out;
}

TEST(InKeyOrder, SortsByCustomerThenIdInByteOrder) {
  std::vector<std::pair<std::string, std::string>> keys = {{"cus_b", "e10"}, {"cus_a", "e9"}, {"cus_b", "e1"},
                                                           {"cus_a", "e10"}, {"cus_a", "e1"}, {"cus_b", "e2"}};
  EXPECT_EQ(Sorted(keys), ByteOrder(keys));
}

TEST(InKeyOrder, IdsWithALongCommonPrefixAndTiesPastEightBytes) {
  std::vector<std::pair<std::string, std::string>> keys;
  // Collector-style ids sharing "c7-b12-e", and ids equal for sixteen bytes
  // past it that differ only at the end.
  for (int i = 0; i < 300; ++i) keys.push_back({"cus_a", "c7-b12-e" + std::to_string((i * 7919) % 1000)});
  for (char last : {'z', 'a', 'm'}) keys.push_back({"cus_a", "c7-b12-e0123456789abcdef"s + last});
  keys.push_back({"cus_a", "c7-b12-e"});
  EXPECT_EQ(Sorted(keys), ByteOrder(keys));
}

TEST(InKeyOrder, AShorterIdComesBeforeItsExtensionsEvenWithNulBytes) {
  std::vector<std::pair<std::string, std::string>> keys = {{"c", "ab\0"s},   {"c", "ab"},  {"c", "ab\0\0x"s},
                                                           {"c", "ab\x01"s}, {"c", "a"},   {"c", "ab\xff"s},
                                                           {"c", "ab\0\0"s}, {"c", "abc"}, {"c", ""}};
  EXPECT_EQ(Sorted(keys), ByteOrder(keys));
}

TEST(InKeyOrder, RandomIdsOfRandomLengths) {
  std::mt19937 random(42);
  std::vector<std::pair<std::string, std::string>> keys;
  for (int i = 0; i < 2000; ++i) {
    std::string id(random() % 20, '\0');
    for (char& c : id) c = static_cast<char>(random() % 4 == 0 ? random() % 256 : 'a' + random() % 3);
    keys.push_back({"cus_" + std::to_string(random() % 5), id});
  }
  EXPECT_EQ(Sorted(keys), ByteOrder(keys));
}

}  // namespace
}  // namespace meterline::metering
