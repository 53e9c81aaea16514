#include "core/ids.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

namespace meterline {
namespace {

TEST(IdsTest, NewIdHasPrefixAndBase62Body) {
  std::string id = NewId("cus");
  ASSERT_EQ(id.size(), 4u + 24u);
  EXPECT_EQ(id.substr(0, 4), "cus_");
  for (char c : id.substr(4)) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << id;
}

TEST(IdsTest, IdsSortByCreationTime) {
  std::string first = NewId("inv");
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  std::string second = NewId("inv");
  EXPECT_LT(first, second);
  EXPECT_NE(first.substr(12), second.substr(12));  // the random parts differ
}

TEST(IdsTest, IdsDoNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) EXPECT_TRUE(seen.insert(NewId("evt")).second);
}

TEST(IdsTest, RandomHexLength) {
  std::string hex = RandomHex(16);
  EXPECT_EQ(hex.size(), 32u);
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(RandomHex(16), hex);
}

}  // namespace
}  // namespace meterline
