// ViewSet (adapters/emis/view_set.hpp): the EMIS adapter's allocation-free set of string views
// answers as std::set does, through growth, collisions and case-insensitive equality.
#include "adapters/emis/view_set.hpp"

#include <cctype>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace gw::adapters::emis::detail {
namespace {

TEST(ViewSet, InsertSaysWhetherTheViewWasNew) {
  ViewSet<> set;
  EXPECT_FALSE(set.contains("a"));
  EXPECT_TRUE(set.insert("a"));
  EXPECT_FALSE(set.insert("a"));
  EXPECT_TRUE(set.insert(""));  // the empty view is an element like any other
  EXPECT_FALSE(set.insert(""));
  EXPECT_TRUE(set.contains(""));
  EXPECT_TRUE(set.contains("a"));
  EXPECT_FALSE(set.contains("b"));
  EXPECT_EQ(set.size(), 2U);
}

TEST(ViewSet, AgreesWithStdSetThroughGrowth) {
  // GUID-shaped and short keys, with repeats, well past several doublings of the table.
  std::vector<std::string> keys;
  for (int i = 0; i < 3000; ++i) {
    keys.push_back("9A1B2C3D-0000-4000-8000-" + std::to_string(100000000000 + (i * 7919) % 2000));
    keys.push_back(std::to_string(i % 500));
  }
  ViewSet<> set;
  std::set<std::string> reference;
  for (const std::string& k : keys) {
    EXPECT_EQ(set.insert(k), reference.insert(k).second) << k;
    ASSERT_EQ(set.size(), reference.size());
  }
  for (const std::string& k : {std::string("9A1B2C3D-0000-4000-8000-100000000001"),
                               std::string("499"), std::string("500"), std::string("x")}) {
    EXPECT_EQ(set.contains(k), reference.count(k) == 1) << k;
  }
}

/** All views of one length hash alike: every lookup walks a run of collisions. */
struct LengthHash {
  std::size_t operator()(std::string_view s) const { return s.size(); }
};
struct CaselessEq {
  bool operator()(std::string_view a, std::string_view b) const {
    if (a.size() != b.size()) {
      return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(a[i])) !=
          std::tolower(static_cast<unsigned char>(b[i]))) {
        return false;
      }
    }
    return true;
  }
};

TEST(ViewSet, CollisionsAndTheCallersEqualityDecide) {
  ViewSet<LengthHash, CaselessEq> set;
  set.reserve(4);
  const std::vector<std::string> guids{"aaaa", "bbbb", "cccc", "dddd", "eeee", "ffff", "gggg",
                                       "hhhh", "iiii", "jjjj", "kkkk", "llll", "mmmm"};
  for (const std::string& g : guids) {
    EXPECT_TRUE(set.insert(g)) << g;
  }
  EXPECT_FALSE(set.insert("AAAA"));
  EXPECT_FALSE(set.insert("mMmM"));
  EXPECT_TRUE(set.contains("GGGG"));
  EXPECT_FALSE(set.contains("nnnn"));
  EXPECT_TRUE(set.insert("nnnn"));
  EXPECT_EQ(set.size(), guids.size() + 1);
}

}  // namespace
}  // namespace gw::adapters::emis::detail
