// Unit tests for gateway/core/heap.hpp: the heap keeps what a message frees for the next one.
// Each test runs in its own process (ctest), so the settings do not leak into other tests.
#include "gateway/core/heap.hpp"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace gw {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kGlibcHeap = false;  // ASan's allocator serves malloc and takes no mallopt
#elif defined(__GLIBC__)
constexpr bool kGlibcHeap = true;
#else
constexpr bool kGlibcHeap = false;
#endif

/** Block: malloc'd bytes, freed when it goes (a failed assertion leaks nothing). */
struct Block {
  explicit Block(std::size_t n) : p(std::malloc(n)) {
    if (p != nullptr) {
      std::memset(p, 1, n);  // touched, as a message touches what it allocates
    }
  }
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;
  ~Block() { std::free(p); }
  void* p;
};

/** touch_and_free: what a message does to the heap: many blocks under 128 KiB (a document's
 * pool chunks, the strings written from it), all freed at the end, the last first. */
void touch_and_free(std::size_t blocks, std::size_t bytes) {
  std::vector<std::unique_ptr<Block>> held;
  held.reserve(blocks);
  for (std::size_t i = 0; i < blocks; ++i) {
    held.push_back(std::make_unique<Block>(bytes));
    ASSERT_NE(held.back()->p, nullptr);
  }
  while (!held.empty()) {
    held.pop_back();
  }
}

/** HeapSettingsApplied: tests that run with the settings applied (skipped where malloc is not
 *  glibc's). */
class HeapSettingsApplied : public ::testing::Test {
protected:
  void SetUp() override {
    if (!kGlibcHeap) {
      GTEST_SKIP() << "malloc is not glibc's here (a sanitizer build): nothing to set";
    }
    // The settings are only taken when no tunable names them (tests run one thread).
    unsetenv("GLIBC_TUNABLES");  // NOLINT(concurrency-mt-unsafe)
    ASSERT_EQ(configure_heap(), HeapSettings::kApplied);
  }
};

TEST_F(HeapSettingsApplied, TheFreedMemoryOfAMessageStaysWithTheProcess) {
#if defined(__GLIBC__)
  touch_and_free(64, std::size_t{64} * 1024);  // 4 MiB in 64 KiB blocks, freed
  // glibc's default gives back everything over 128 KiB at the top of the heap; kept now.
  EXPECT_GE(mallinfo2().keepcost, std::size_t{3} << 20);
#endif
}

TEST_F(HeapSettingsApplied, AMiBBlockComesFromTheHeapAndAHugeOneFromItsOwnMapping) {
#if defined(__GLIBC__)
  const std::size_t mapped_before = mallinfo2().hblks;
  const Block mib(std::size_t{1} << 20);  // mapped under the defaults
  ASSERT_NE(mib.p, nullptr);
  EXPECT_EQ(mallinfo2().hblks, mapped_before);
  // Over both thresholds (more than the heap's kept top can hold): its own mapping still.
  const Block huge(kKeptFreeHeapBytes * 2);
  ASSERT_NE(huge.p, nullptr);
  EXPECT_EQ(mallinfo2().hblks, mapped_before + 1);
#endif
}

TEST(HeapSettings, GlibcTunablesThatNameAThresholdAreTheOperatorsChoice) {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): the tests run one thread
  ASSERT_EQ(setenv("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1048576", 1), 0);
  EXPECT_EQ(configure_heap(), HeapSettings::kLeftToTunables);
  EXPECT_EQ(describe(HeapSettings::kLeftToTunables), "thresholds from GLIBC_TUNABLES");
  unsetenv("GLIBC_TUNABLES");  // NOLINT(concurrency-mt-unsafe)
}

TEST(HeapSettings, TheStartupLogSaysWhatWasSet) {
  EXPECT_EQ(describe(HeapSettings::kApplied),
            "keeps up to 8 MiB freed per arena; blocks of 4 MiB and more mapped");
}

}  // namespace
}  // namespace gw
