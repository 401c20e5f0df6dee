// detail::JsonOut (adapters/emis/resource_writer.hpp): the buffer each resource's JSON is written
// into, handed from one JsonOut to the next on a thread so that a message's hundreds of resources
// do not each take a fresh 2 KB block from the allocator.
#include <string>
#include <string_view>
#include <thread>

#include <gtest/gtest.h>

#include "adapters/emis/resource_writer.hpp"

namespace gw::adapters::emis {
namespace {

TEST(JsonOut, TheNextOneOnTheThreadStartsEmptyInTheLastOnesBuffer) {
  const char* first = nullptr;
  {
    detail::JsonOut out;
    out.put(R"({"resourceType":"Condition"})");
    first = out.view().data();
  }
  detail::JsonOut next;
  EXPECT_TRUE(next.view().empty());
  next.put("{}");
  EXPECT_EQ(next.view(), "{}");
  EXPECT_EQ(next.view().data(), first);
}

TEST(JsonOut, TwoAtOnceHaveTheirOwnBuffers) {
  detail::JsonOut a;
  detail::JsonOut b;
  a.put("a");
  b.put("b");
  EXPECT_NE(a.view().data(), b.view().data());
  EXPECT_EQ(a.view(), "a");
  EXPECT_EQ(b.view(), "b");
}

TEST(JsonOut, AGrownBufferKeepsWhatWasWrittenAndAHugeOneIsNotKept) {
  const std::string big(std::size_t{300} * 1024, 'x');  // more than a thread keeps as its spare
  {
    detail::JsonOut out;
    out.put("[");
    out.put(big);
    out.put("]");
    ASSERT_EQ(out.view().size(), big.size() + 2);
    EXPECT_EQ(out.view().substr(0, 4), "[xxx");
    EXPECT_EQ(out.view().back(), ']');
    EXPECT_GE(out.capacity(), big.size() + 2);
  }
  detail::JsonOut next;  // a buffer of the usual size, not the one that grew past the bound
  EXPECT_LT(next.capacity(), big.size());
}

TEST(JsonOut, EachThreadHasItsOwnSpare) {
  const char* here = nullptr;
  {
    detail::JsonOut out;
    out.put("x");
    here = out.view().data();
  }
  const char* there = nullptr;
  std::thread other([&] {
    detail::JsonOut out;
    out.put("y");
    there = out.view().data();
  });
  other.join();
  EXPECT_NE(there, here);
  detail::JsonOut back;  // this thread's spare is still its own
  EXPECT_EQ(back.view().data(), here);
}

}  // namespace
}  // namespace gw::adapters::emis
