// Checks shared by the YAML readers (the config loader and the mappings loader): line numbers
// and the key checks that make a typo an error with file:line instead of a silently ignored key.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

namespace gw::config {

/** yaml_line: the 1-based line of a node, or 0 when yaml-cpp has no mark for it. */
[[nodiscard]] int yaml_line(const YAML::Node& n);

/**
 * check_keys: reports through `report(line, message)` a node that is not a mapping, a key that
 * appears twice (YAML 1.2, 3.2.1.1, requires unique keys; yaml-cpp would keep the first
 * silently) and a key not in `allowed` (listing the expected ones).
 * @param where how the node is named in messages, e.g. "tls" or "an override"
 * @return false when the node is not a mapping (nothing else was checked).
 */
bool check_keys(const YAML::Node& n, std::string_view where,
                std::initializer_list<std::string_view> allowed,
                const std::function<void(int, std::string)>& report);

}  // namespace gw::config
