// The process heap's settings: how much freed memory the allocator keeps for the next request.
#pragma once

#include <cstddef>
#include <string>

namespace gw {

/** kKeptFreeHeapBytes: freed memory at the top of a heap arena stays with the process while it is
 * less than this (glibc hands it back to the kernel when it reaches it), instead of going back
 * after each message and being faulted in again, a page at a time, by the next. A 200-entry GP
 * record frees 256-512 KiB at the top of the heap. */
inline constexpr std::size_t kKeptFreeHeapBytes = std::size_t{8} << 20;

/** kHeapMappedFromBytes: blocks of this size and more get their own mapping (returned to the
 * kernel when freed); smaller ones come from the heap arenas and are reused. */
inline constexpr std::size_t kHeapMappedFromBytes = std::size_t{4} << 20;

/** HeapSettings: what configure_heap did. */
enum class HeapSettings {
  kApplied,            // glibc's allocator now uses the two sizes above
  kLeftToTunables,     // GLIBC_TUNABLES sets the allocator's thresholds: the operator's choice
  kNotGlibcAllocator,  // another allocator (e.g. a sanitizer's) serves malloc: nothing to set
};

/**
 * configure_heap: sets glibc's trim and mapping thresholds (mallopt) to the sizes above, unless
 * GLIBC_TUNABLES names a glibc.malloc threshold. glibc's defaults hand back any freed memory over
 * 128 KiB at the top of the heap and adjust that as big blocks come and go: a gateway that builds
 * and frees a few hundred KiB of documents per message then pays a page fault for every 4 KiB of
 * every message (measured in bench/README.md). Call once at start, before threads are started.
 */
HeapSettings configure_heap();

/** describe: a short phrase for the startup log. */
std::string describe(HeapSettings settings);

}  // namespace gw
