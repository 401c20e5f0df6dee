// Loading the policy set from a config.
#include "gateway/policy/policy_set.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gateway/policy/embedded.hpp"

namespace gw::policy {

std::vector<NamedText> sensitive_code_lists(const config::Config& config) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path dir = fs::path(config.mappings.value) / "terminology" / "sensitive";
  if (config.mappings.value.empty() || !fs::is_directory(dir, ec)) {
    return embedded_sensitive_code_lists();
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".csv") {
      files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<NamedText> out;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    out.push_back({f.string(), text.str()});
  }
  return out;
}

std::optional<PolicySet> load_policy_set(const config::Config& config, const FileReader& read,
                                         TimePoint now, std::vector<config::Diagnostic>& errors) {
  const std::size_t before = errors.size();
  auto loaded = load_agreements(config, read, now);
  errors.insert(errors.end(), loaded.errors.begin(), loaded.errors.end());
  const auto lists = sensitive_code_lists(config);
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
