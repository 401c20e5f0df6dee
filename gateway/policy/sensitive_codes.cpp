// Parsing of the sensitive code lists and code classification.
#include "gateway/policy/sensitive_codes.hpp"

#include <optional>
#include <sstream>

namespace gw::policy {

namespace {

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) {
    return {};
  }
  const auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

/** split3: "a,b,c..." into the first two fields and the rest (display may hold commas). */
bool split3(std::string_view line, std::string& a, std::string& b, std::string& c) {
  const auto p1 = line.find(',');
  if (p1 == std::string_view::npos) {
    return false;
  }
  const auto p2 = line.find(',', p1 + 1);
  if (p2 == std::string_view::npos) {
    return false;
  }
  a = trim(line.substr(0, p1));
  b = trim(line.substr(p1 + 1, p2 - p1 - 1));
  c = trim(line.substr(p2 + 1));
  return true;
}

}  // namespace

SensitiveCodeClassifier SensitiveCodeClassifier::load(std::span<const NamedText> files,
                                                      std::vector<config::Diagnostic>& errors) {
  SensitiveCodeClassifier out;
  for (const auto& f : files) {
    const std::size_t errors_before = errors.size();
    std::istringstream in(f.text);
    std::string line;
    int n = 0;
    std::optional<Sensitivity> cls;
    std::string system, source;
    bool header = false;
    while (std::getline(in, line)) {
      ++n;
      const std::string t = trim(line);
      if (t.empty()) {
        continue;
      }
      if (t[0] == '#') {
        const auto colon = t.find(':');
        const std::string key = colon == std::string::npos ? "" : trim(t.substr(1, colon - 1));
        const std::string value = colon == std::string::npos ? "" : trim(t.substr(colon + 1));
        if (key == "class") {
          cls = parse_sensitivity(value);
          if (!cls) {
            errors.push_back({f.name, n, "unknown sensitivity class '" + value + "'"});
          }
        } else if (key == "system") {
          system = value;
        } else if (key == "source") {
          source = value;
        }
        continue;
      }
      if (!header) {
        if (t != "code,match,display") {
          errors.push_back({f.name, n, "expected the header 'code,match,display'"});
          break;
        }
        if (!cls || system.empty() || source.empty()) {
          errors.push_back({f.name, n,
                            "a code list needs '# class:', '# system:' and '# source:' lines "
                            "before its header"});
          break;
        }
        header = true;
        continue;
      }
      std::string code, match, display;
      if (!split3(t, code, match, display) || code.empty() ||
          (match != "exact" && match != "prefix")) {
        errors.push_back({f.name, n, "a row must be 'code,exact|prefix,display'"});
        continue;
      }
      const SensitivitySet bit = sensitivity_bit(*cls);
      if (match == "exact") {
        auto& v = out.exact_[system + '|' + code];
        v = static_cast<SensitivitySet>(v | bit);
      } else {
        out.prefixes_.push_back({system, code, bit});
      }
      ++out.rows_;
    }
    if (!header && errors.size() == errors_before) {
      errors.push_back({f.name, 0, "no header 'code,match,display' found"});
    }
  }
  return out;
}

SensitivitySet SensitiveCodeClassifier::classify(std::string_view system,
                                                 std::string_view code) const {
  SensitivitySet out = 0;
  if (!exact_.empty()) {
    std::string key;
    key.reserve(system.size() + code.size() + 1);
    key.append(system).push_back('|');
    key.append(code);
    if (const auto it = exact_.find(key); it != exact_.end()) {
      out = it->second;
    }
  }
  for (const auto& p : prefixes_) {
    if (p.system == system && code.substr(0, p.prefix.size()) == p.prefix) {
      out = static_cast<SensitivitySet>(out | p.classes);
    }
  }
  return out;
}

SensitivitySet SensitiveCodeClassifier::classify(std::span<const Coding> codes) const {
  SensitivitySet out = 0;
  for (const auto& c : codes) {
    out = static_cast<SensitivitySet>(out | classify(c.system, c.code));
  }
  return out;
}

}  // namespace gw::policy
