// The live mapping set, swapped whole on reload. Users take a snapshot (a shared_ptr) per message
// and keep it to the end, so a reload never changes mappings half-way through a message; a set
// with any error is refused and the one in use stays.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/mapping/loader.hpp"
#include "gateway/mapping/unmapped.hpp"
#include "gateway/metrics/metrics.hpp"

namespace gw::mapping {

/** ReloadResult: whether the new set is in use, and the problems that stopped it if not. */
struct ReloadResult {
  bool swapped = false;
  std::vector<Diagnostic> errors;
};

/**
 * MappingRegistry: owns the current MappingSet for a mappings directory.
 * Metrics: caregw_mapping_reloads_total{result="ok"|"rejected"}, caregw_mapping_generation.
 * Thread safety: current(), mapper() and reload() may be called from any thread at once;
 * reloads are serialised, and readers never wait for a load (only for the pointer swap).
 */
class MappingRegistry {
public:
  /**
   * @param dir the mappings directory; nothing is loaded until reload().
   * @param tracker counts unmapped codes for every Mapper handed out (may be nullptr).
   */
  MappingRegistry(std::string dir, LoadOptions opts, UnmappedTracker* tracker = nullptr,
                  metrics::Registry* metrics = nullptr);

  /**
   * reload: loads and validates the directory off to the side, then swaps the new set in
   * atomically. On any error the current set stays (or there is none yet) and the errors are
   * returned. The integrator calls it at start-up and on SIGHUP.
   */
  [[nodiscard]] ReloadResult reload();

  /** current: the set in use (nullptr before the first successful reload). */
  [[nodiscard]] std::shared_ptr<const MappingSet> current() const;

  /** mapper: a Mapper over current() (before the first good reload: one that maps nothing). */
  [[nodiscard]] Mapper mapper() const { return Mapper(current(), tracker_); }

  /** generation: how many sets have been swapped in (0: none yet). */
  [[nodiscard]] std::uint64_t generation() const;

  [[nodiscard]] const std::string& directory() const { return dir_; }

private:
  std::string dir_;
  LoadOptions opts_;
  UnmappedTracker* tracker_;
  metrics::CounterFamily* reloads_ = nullptr;
  metrics::Gauge* generation_gauge_ = nullptr;
  std::mutex reload_mu_;   // one reload at a time
  mutable std::mutex mu_;  // guards current_ and generation_ (held only to copy or swap)
  std::shared_ptr<const MappingSet> current_;
  std::uint64_t generation_ = 0;
};

}  // namespace gw::mapping
