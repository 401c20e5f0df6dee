// Reload: load off to the side, then swap the pointer under a short lock.
#include "gateway/mapping/registry.hpp"

namespace gw::mapping {

MappingRegistry::MappingRegistry(std::string dir, LoadOptions opts, UnmappedTracker* tracker,
                                 metrics::Registry* metrics)
    : dir_(std::move(dir)), opts_(std::move(opts)), tracker_(tracker) {
  if (metrics != nullptr) {
    reloads_ = &metrics->counter("caregw_mapping_reloads_total",
                                 "Mapping set reloads, by result (ok or rejected)", {"result"});
    generation_gauge_ =
        &metrics->gauge("caregw_mapping_generation", "How many mapping sets have been put in use")
             .with({});
  }
}

ReloadResult MappingRegistry::reload() {
  std::lock_guard reload_lock(reload_mu_);
  auto loaded = load_directory(dir_, opts_);
  ReloadResult out;
  if (!loaded.set) {
    out.errors = std::move(loaded.errors);
    if (reloads_ != nullptr) {
      reloads_->with({"rejected"}).inc();
    }
    return out;
  }
  std::shared_ptr<const MappingSet> old;
  {
    std::lock_guard lock(mu_);
    old = std::exchange(current_, std::move(loaded.set));
    ++generation_;
    if (generation_gauge_ != nullptr) {
      generation_gauge_->set(static_cast<std::int64_t>(generation_));
    }
  }
  // `old` is released here, outside the lock; users still holding it keep it alive.
  if (reloads_ != nullptr) {
    reloads_->with({"ok"}).inc();
  }
  out.swapped = true;
  return out;
}

std::shared_ptr<const MappingSet> MappingRegistry::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

std::uint64_t MappingRegistry::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

}  // namespace gw::mapping
