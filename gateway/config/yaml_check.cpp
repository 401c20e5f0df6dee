#include "gateway/config/yaml_check.hpp"

#include <algorithm>
#include <set>

namespace gw::config {

int yaml_line(const YAML::Node& n) { return n.Mark().line >= 0 ? n.Mark().line + 1 : 0; }

bool check_keys(const YAML::Node& n, std::string_view where,
                std::initializer_list<std::string_view> allowed,
                const std::function<void(int, std::string)>& report) {
  if (!n.IsMap()) {
    report(yaml_line(n), std::string(where) + " must be a mapping of keys to values");
    return false;
  }
  std::set<std::string> seen;
  for (auto it = n.begin(); it != n.end(); ++it) {
    const auto key = it->first.Scalar();
    if (!seen.insert(key).second) {
      report(yaml_line(it->first), "key '" + key + "' appears twice in " + std::string(where));
    } else if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (auto a : allowed) {
        list += (list.empty() ? "" : ", ") + std::string(a);
      }
      report(yaml_line(it->first), "unknown key '" + key + "' in " + std::string(where) +
                                       " (expected one of: " + list + ")");
    }
  }
  return true;
}

}  // namespace gw::config
