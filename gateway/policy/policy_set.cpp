// Loading the policy set from a config.
#include "gateway/policy/policy_set.hpp"

#include "gateway/policy/embedded.hpp"

namespace gw::policy {

std::optional<PolicySet> load_policy_set(const config::Config& config, const FileReader& read,
                                         TimePoint now, std::vector<config::Diagnostic>& errors) {
  const std::size_t before = errors.size();
  auto loaded = load_agreements(config, read, now);
  errors.insert(errors.end(), loaded.errors.begin(), loaded.errors.end());
  const auto lists = embedded_sensitive_code_lists();
  auto classifier =
      std::make_shared<const SensitiveCodeClassifier>(SensitiveCodeClassifier::load(lists, errors));
  if (errors.size() != before) {
    return std::nullopt;
  }
  PolicySet set;
  set.index =
      std::make_shared<const PolicyIndex>(std::move(loaded.agreements), config.organisations,
                                          RelationshipRules::from_config(config.policy));
  set.classifier = std::move(classifier);
  return set;
}

}  // namespace gw::policy
