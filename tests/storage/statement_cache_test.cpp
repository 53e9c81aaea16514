// StatementCache: least recently used first out, every statement released once.
#include "storage/statement_cache.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace meterline::storage {
namespace {

TEST(StatementCacheTest, EvictsTheLeastRecentlyUsedAndReleasesEachOnce) {
  std::vector<int> released;
  {
    StatementCache<int> cache(3, [&](int& v) { released.push_back(v); });
    cache.Insert("a", 1);
    cache.Insert("b", 2);
    cache.Insert("c", 3);
    ASSERT_NE(cache.Find("a"), nullptr);  // a is now the most recent: b is the oldest
    EXPECT_EQ(*cache.Find("a"), 1);
    cache.Insert("d", 4);
    EXPECT_EQ(released, std::vector<int>{2});
    EXPECT_EQ(cache.Find("b"), nullptr);
    EXPECT_EQ(cache.size(), 3u);
    cache.Insert("e", 5);  // c is the oldest now
    EXPECT_EQ(released, (std::vector<int>{2, 3}));
    EXPECT_NE(cache.Find("a"), nullptr);
    EXPECT_NE(cache.Find("d"), nullptr);
    EXPECT_NE(cache.Find("e"), nullptr);
  }
  // The rest is released when the cache goes.
  std::sort(released.begin(), released.end());
  EXPECT_EQ(released, (std::vector<int>{1, 2, 3, 4, 5}));
}

TEST(StatementCacheTest, KeysAreWholeTextsAndReferencesStayValid) {
  StatementCache<std::string> cache(2, [](std::string&) {});
  std::string& first = cache.Insert("SELECT 1", "s1");
  cache.Insert("SELECT 10", "s10");
  EXPECT_EQ(first, "s1");
  EXPECT_EQ(cache.Find("SELECT"), nullptr);
  EXPECT_EQ(*cache.Find("SELECT 10"), "s10");
  std::string long_text(10'000, 'x');
  cache.Insert(long_text, "long");  // evicts SELECT 1
  EXPECT_EQ(cache.Find("SELECT 1"), nullptr);
  EXPECT_EQ(*cache.Find(long_text), "long");
}

TEST(StatementCacheTest, ClearReleasesEverything) {
  int released = 0;
  StatementCache<int> cache(8, [&](int&) { ++released; });
  for (int i = 0; i < 5; ++i) cache.Insert("q" + std::to_string(i), i);
  cache.Clear();
  EXPECT_EQ(released, 5);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.Find("q1"), nullptr);
}

}  // namespace
}  // namespace meterline::storage
