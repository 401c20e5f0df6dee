// Everything the policy engine needs from the config, loaded and compiled in one call: the
// agreements (checked), their index and the sensitive code classifier. Startup and reload only.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "gateway/config/config.hpp"
#include "gateway/config/loader.hpp"
#include "gateway/policy/agreement.hpp"
#include "gateway/policy/engine.hpp"
#include "gateway/policy/sensitive_codes.hpp"

namespace gw::policy {

/** PolicySet: the compiled policy for one config snapshot. Immutable; share it. */
struct PolicySet {
  std::shared_ptr<const PolicyIndex> index;
  std::shared_ptr<const SensitiveCodeClassifier> classifier;
};

/**
 * sensitive_code_lists: the sensitive code lists in force: the CSV files of the config's
 * mappings directory's terminology/sensitive/ (the ones check-config checks, so an IG lead's
 * change applies on the next SIGHUP), or the compiled-in copies of the repository's lists when
 * the config has no such directory (the demo, a config without mappings).
 */
[[nodiscard]] std::vector<NamedText> sensitive_code_lists(const config::Config& config);

/**
 * load_policy_set: reads the config's agreements through `read` (read_from_disk, or
 * read_demo_file for the built-in demo), checks them at `now`, compiles the index with the
 * config's relationship rules, and loads the sensitive code lists (sensitive_code_lists). Problems
 * are appended to `errors` (file:line); the set is returned only when there were none.
 */
[[nodiscard]] std::optional<PolicySet> load_policy_set(const config::Config& config,
                                                       const FileReader& read, TimePoint now,
                                                       std::vector<config::Diagnostic>& errors);

/**
 * PolicyHolder: the policy set in force, replaced whole when the config is reloaded (SIGHUP).
 * A request takes the snapshot once (current()) and decides under it to the end, as it does
 * with the config. Thread-safe.
 */
class PolicyHolder {
public:
  explicit PolicyHolder(PolicySet set) : set_(std::make_shared<const PolicySet>(std::move(set))) {}

  /** current: the set in force; keep the pointer for the whole request. */
  [[nodiscard]] std::shared_ptr<const PolicySet> current() const {
    std::lock_guard lock(mu_);
    return set_;
  }

  /** replace: puts `set` in force for requests that start from now on. */
  void replace(PolicySet set) {
    auto next = std::make_shared<const PolicySet>(std::move(set));
    std::lock_guard lock(mu_);
    set_ = std::move(next);
  }

private:
  mutable std::mutex mu_;
  std::shared_ptr<const PolicySet> set_;
};

}  // namespace gw::policy
