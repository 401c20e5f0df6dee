// configure_heap: glibc's malloc thresholds for a long-running gateway (see heap.hpp).
#include "gateway/core/heap.hpp"

#include <cstdlib>
#include <string_view>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace gw {

HeapSettings configure_heap() {
  // Called once at start, before any thread (heap.hpp).
  const char* tunables = std::getenv("GLIBC_TUNABLES");  // NOLINT(concurrency-mt-unsafe)
  if (tunables != nullptr) {
    const std::string_view set(tunables);
    if (set.find("glibc.malloc.trim_threshold") != std::string_view::npos ||
        set.find("glibc.malloc.mmap_threshold") != std::string_view::npos) {
      return HeapSettings::kLeftToTunables;
    }
  }
#if defined(__GLIBC__)
  // mallopt answers 0 when it did not take the setting (a sanitizer's allocator answers 0 too).
  if (mallopt(M_MMAP_THRESHOLD,  // NOLINT(concurrency-mt-unsafe): before any thread
              static_cast<int>(kHeapMappedFromBytes)) != 0 &&
      mallopt(M_TRIM_THRESHOLD,  // NOLINT(concurrency-mt-unsafe): before any thread
              static_cast<int>(kKeptFreeHeapBytes)) != 0) {
    return HeapSettings::kApplied;
  }
#endif
  return HeapSettings::kNotGlibcAllocator;
}

std::string describe(HeapSettings settings) {
  switch (settings) {
    case HeapSettings::kApplied:
      return "keeps up to " + std::to_string(kKeptFreeHeapBytes >> 20) +
             " MiB freed per arena; blocks of " + std::to_string(kHeapMappedFromBytes >> 20) +
             " MiB and more mapped";
    case HeapSettings::kLeftToTunables:
      return "thresholds from GLIBC_TUNABLES";
    case HeapSettings::kNotGlibcAllocator:
      return "not glibc's allocator: its own settings";
  }
  return "unknown";
}

}  // namespace gw
