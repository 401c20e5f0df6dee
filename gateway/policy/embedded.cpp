// Lookups over the embedded files.
#include "gateway/policy/embedded.hpp"

namespace gw::policy {

std::optional<std::string> read_demo_file(const config::FileRef& ref) {
  const std::string want = "examples/demo/" + ref.raw;
  for (const auto& f : embedded_files()) {
    if (f.path == want) {
      return std::string(f.text);
    }
  }
  return std::nullopt;
}

std::vector<NamedText> embedded_sensitive_code_lists() {
  constexpr std::string_view kDir = "mappings/terminology/sensitive/";
  std::vector<NamedText> out;
  for (const auto& f : embedded_files()) {
    if (f.path.substr(0, kDir.size()) == kDir) {
      out.push_back({std::string(f.path), std::string(f.text)});
    }
  }
  return out;
}

}  // namespace gw::policy
