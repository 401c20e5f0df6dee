// The DSA YAML loader and the checks across the set of agreements.
#include "gateway/policy/agreement.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

namespace gw::policy {

namespace {

using config::Diagnostic;

int line_of(const YAML::Node& n) { return n.Mark().line >= 0 ? n.Mark().line + 1 : 0; }

/** parse_date: "YYYY-MM-DD" as the start of that day in UTC. */
std::optional<TimePoint> parse_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') {
    return std::nullopt;
  }
  int v[3] = {0, 0, 0};
  const std::size_t starts[3] = {0, 5, 8};
  const std::size_t lens[3] = {4, 2, 2};
  for (int i = 0; i < 3; ++i) {
    for (std::size_t k = 0; k < lens[i]; ++k) {
      const char c = s[starts[i] + k];
      if (c < '0' || c > '9') {
        return std::nullopt;
      }
      v[i] = v[i] * 10 + (c - '0');
    }
  }
  const std::chrono::year_month_day ymd{std::chrono::year{v[0]},
                                        std::chrono::month{static_cast<unsigned>(v[1])},
                                        std::chrono::day{static_cast<unsigned>(v[2])}};
  if (!ymd.ok()) {
    return std::nullopt;
  }
  return std::chrono::sys_days{ymd};
}

class AgreementReader {
public:
  explicit AgreementReader(std::string name) : name_(std::move(name)) {}

  std::vector<Diagnostic> errors;

  void error(int line, std::string msg) { errors.push_back({name_, line, std::move(msg)}); }

  void read(const YAML::Node& root, Agreement& a) {
    if (!root.IsMap()) {
      error(line_of(root), "a data-sharing agreement must be a mapping of keys to values");
      return;
    }
    a.file = name_;
    a.line = line_of(root);
    check_keys(root);
    text(root, "id", a.id);
    text(root, "title", a.title);
    text(root, "version", a.version);
    read_parties(root, a);
    read_purposes(root, a);
    read_categories(root, a);
    read_roles(root, "roles", a.roles, true);
    read_roles(root, "break_glass_roles", a.break_glass_roles, false);
    read_legal_basis(root, a);
    read_validity(root, a);
    flag(root, "legitimate_relationship_required", a.relationship_required, true);
    flag(root, "break_glass_allowed", a.break_glass_allowed, true);
    read_overrides(root, a);
    if (a.break_glass_roles.empty()) {
      a.break_glass_roles = a.roles;
    }
  }

private:
  void check_keys(const YAML::Node& root) {
    static const std::set<std::string> kKeys = {"id",
                                                "title",
                                                "version",
                                                "parties",
                                                "purposes",
                                                "categories",
                                                "roles",
                                                "break_glass_roles",
                                                "legal_basis",
                                                "valid_from",
                                                "valid_to",
                                                "legitimate_relationship_required",
                                                "break_glass_allowed",
                                                "objection_overridden_by"};
    for (auto it = root.begin(); it != root.end(); ++it) {
      if (kKeys.count(it->first.Scalar()) == 0) {
        error(line_of(it->first), "unknown key '" + it->first.Scalar() + "' in an agreement");
      }
    }
  }

  bool text(const YAML::Node& root, const char* key, std::string& out) {
    const YAML::Node n = root[key];
    if (!n) {
      error(line_of(root), std::string("missing required key '") + key + "'");
      return false;
    }
    if (!n.IsScalar() || n.Scalar().empty()) {
      error(line_of(n), std::string("'") + key + "' must be a non-empty text value");
      return false;
    }
    out = n.Scalar();
    return true;
  }

  void flag(const YAML::Node& root, const char* key, bool& out, bool required) {
    const YAML::Node n = root[key];
    if (!n) {
      if (required) {
        error(line_of(root), std::string("missing required key '") + key + "' (true or false)");
      }
      return;
    }
    if (n.IsScalar() && (n.Scalar() == "true" || n.Scalar() == "false")) {
      out = n.Scalar() == "true";
    } else {
      error(line_of(n), std::string("'") + key + "' must be true or false");
    }
  }

  /** list: the scalar items of a required or optional list, reporting non-scalars. */
  std::vector<std::pair<std::string, int>> list(const YAML::Node& root, const char* key,
                                                bool required) {
    std::vector<std::pair<std::string, int>> out;
    const YAML::Node n = root[key];
    if (!n) {
      if (required) {
        error(line_of(root), std::string("missing required key '") + key + "'");
      }
      return out;
    }
    if (!n.IsSequence() || (required && n.size() == 0)) {
      error(line_of(n), std::string("'") + key + "' must be a list" +
                            (required ? " with at least one entry" : ""));
      return out;
    }
    for (const auto& item : n) {
      if (!item.IsScalar()) {
        error(line_of(item), std::string("each entry of '") + key + "' must be a text value");
        continue;
      }
      out.emplace_back(item.Scalar(), line_of(item));
    }
    return out;
  }

  void read_parties(const YAML::Node& root, Agreement& a) {
    const YAML::Node n = root["parties"];
    if (!n || !n.IsSequence() || n.size() == 0) {
      error(line_of(n ? n : root), "'parties' must be a list of {ods: CODE} or {kind: KIND}");
      return;
    }
    for (const auto& p : n) {
      Party party;
      party.line = line_of(p);
      if (p.IsMap() && p.size() == 1 && p["ods"] && p["ods"].IsScalar()) {
        auto ods = OdsCode::parse(p["ods"].Scalar());
        if (!ods) {
          error(party.line, ods.error().detail + " ('" + p["ods"].Scalar() + "')");
          continue;
        }
        party.ods = ods->str();
      } else if (p.IsMap() && p.size() == 1 && p["kind"] && p["kind"].IsScalar()) {
        party.kind = parse_kind(p["kind"].Scalar());
        if (!party.kind) {
          error(party.line, "unknown organisation kind '" + p["kind"].Scalar() +
                                "' (expected gp, acute, mental-health, social-care or ambulance)");
          continue;
        }
      } else {
        error(party.line, "a party must be {ods: CODE} or {kind: KIND}");
        continue;
      }
      a.parties.push_back(std::move(party));
    }
  }

  static std::optional<config::OrgKind> parse_kind(std::string_view s) {
    using config::OrgKind;
    for (auto k : {OrgKind::kGp, OrgKind::kAcute, OrgKind::kMentalHealth, OrgKind::kSocialCare,
                   OrgKind::kAmbulance}) {
      if (config::org_kind_name(k) == s) {
        return k;
      }
    }
    return std::nullopt;
  }

  void read_purposes(const YAML::Node& root, Agreement& a) {
    for (const auto& [s, line] : list(root, "purposes", true)) {
      auto p = parse_purpose(s);
      if (!p) {
        error(line,
              "unknown purpose of use '" + s +
                  "' (expected direct-care, safeguarding, ig-audit, operations or integration)");
        continue;
      }
      a.purposes = static_cast<std::uint8_t>(a.purposes | (1U << static_cast<unsigned>(*p)));
    }
  }

  void read_categories(const YAML::Node& root, Agreement& a) {
    for (const auto& [s, line] : list(root, "categories", true)) {
      auto c = parse_category(s);
      if (!c) {
        error(line, "unknown data category '" + s + "' (expected one of: " +
                        category_names(static_cast<CategorySet>((1U << kCategoryCount) - 1)) + ")");
        continue;
      }
      a.categories = static_cast<CategorySet>(a.categories | category_bit(*c));
    }
  }

  void read_roles(const YAML::Node& root, const char* key, std::vector<std::string>& out,
                  bool required) {
    for (const auto& [s, line] : list(root, key, required)) {
      if (find_role(s) == nullptr) {
        error(line, "unknown RBAC job role code '" + s +
                        "' (gateway/policy/README.md lists the codes caregw knows)");
        continue;
      }
      out.push_back(s);
    }
  }

  void read_legal_basis(const YAML::Node& root, Agreement& a) {
    const YAML::Node n = root["legal_basis"];
    if (!n || !n.IsMap()) {
      error(line_of(n ? n : root),
            "'legal_basis' must give article_6 and article_9 (UK GDPR conditions)");
      return;
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (it->first.Scalar() != "article_6" && it->first.Scalar() != "article_9") {
        error(line_of(it->first), "unknown key '" + it->first.Scalar() +
                                      "' in legal_basis (expected article_6, article_9)");
      }
    }
    for (const auto& [s, line] : list(n, "article_6", true)) {
      if (!is_legal_basis_6(s)) {
        error(line, "'" + s + "' is not a UK GDPR Article 6 condition (6(1)(a) to 6(1)(f))");
        continue;
      }
      a.legal_basis_6.push_back(s);
    }
    for (const auto& [s, line] : list(n, "article_9", true)) {
      if (!is_legal_basis_9(s)) {
        error(line, "'" + s + "' is not a UK GDPR Article 9 condition (9(2)(a) to 9(2)(j))");
        continue;
      }
      a.legal_basis_9.push_back(s);
    }
  }

  void read_validity(const YAML::Node& root, Agreement& a) {
    std::string from, to;
    const bool has_from = text(root, "valid_from", from);
    const bool has_to = text(root, "valid_to", to);
    std::optional<TimePoint> f = has_from ? parse_date(from) : std::nullopt;
    std::optional<TimePoint> t = has_to ? parse_date(to) : std::nullopt;
    if (has_from && !f) {
      error(line_of(root["valid_from"]), "'valid_from' must be a date YYYY-MM-DD");
    }
    if (has_to && !t) {
      error(line_of(root["valid_to"]), "'valid_to' must be a date YYYY-MM-DD");
    }
    if (f && t) {
      a.valid_from = *f;
      a.valid_to = *t + std::chrono::days{1};
      if (a.valid_to <= a.valid_from) {
        error(line_of(root["valid_to"]), "'valid_to' is before 'valid_from'");
      }
    }
  }

  void read_overrides(const YAML::Node& root, Agreement& a) {
    for (const auto& [s, line] : list(root, "objection_overridden_by", false)) {
      if (s == "safeguarding") {
        a.objection_overridden_by_safeguarding = true;
      } else if (s == "break-glass") {
        a.objection_overridden_by_break_glass = true;
      } else {
        error(line, "'objection_overridden_by' entries must be safeguarding or break-glass, got '" +
                        s + "'");
      }
    }
  }

  std::string name_;
};

std::string date_text(TimePoint t) {
  const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(t)};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

/** members: the configured organisations (ODS codes) a party list covers. */
std::set<std::string> members(const Agreement& a, const config::Config& config) {
  std::set<std::string> out;
  for (const auto& p : a.parties) {
    if (!p.ods.empty()) {
      out.insert(p.ods);
      continue;
    }
    for (const auto& o : config.organisations) {
      if (p.kind && o.kind == *p.kind) {
        out.insert(o.ods.str());
      }
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> read_from_disk(const config::FileRef& ref) {
  std::ifstream f(ref.path, std::ios::binary);
  if (!f) {
    return std::nullopt;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

AgreementLoad parse_agreement(std::string_view text, const std::string& name) {
  AgreementLoad out;
  AgreementReader r(name);
  Agreement a;
  try {
    r.read(YAML::Load(std::string(text)), a);
  } catch (const YAML::Exception& e) {
    r.error(e.mark.line >= 0 ? e.mark.line + 1 : 0, "not valid YAML: " + e.msg);
  }
  out.errors = std::move(r.errors);
  if (out.errors.empty()) {
    out.agreements.push_back(std::move(a));
  }
  return out;
}

void check_agreements(const std::vector<Agreement>& agreements, const config::Config& config,
                      TimePoint now, std::vector<config::Diagnostic>& errors) {
  std::set<std::string> ids;
  for (const auto& a : agreements) {
    if (!ids.insert(a.id).second) {
      errors.push_back({a.file, a.line, "agreement id '" + a.id + "' is used twice"});
    }
    for (const auto& p : a.parties) {
      if (!p.ods.empty() && config.find_organisation(*OdsCode::parse(p.ods)) == nullptr) {
        errors.push_back({a.file, p.line, "party " + p.ods + " is not a configured organisation"});
      }
      if (p.kind && std::none_of(config.organisations.begin(), config.organisations.end(),
                                 [&](const auto& o) { return o.kind == *p.kind; })) {
        errors.push_back({a.file, p.line,
                          "party kind '" + std::string(config::org_kind_name(*p.kind)) +
                              "' matches no configured organisation"});
      }
    }
    if (a.valid_to <= now) {
      errors.push_back({a.file, a.line,
                        "agreement " + a.id + " version " + a.version + " expired on " +
                            date_text(a.valid_to - std::chrono::days{1})});
    }
  }
  for (std::size_t i = 0; i < agreements.size(); ++i) {
    const auto mi = members(agreements[i], config);
    for (std::size_t j = i + 1; j < agreements.size(); ++j) {
      const auto& a = agreements[i];
      const auto& b = agreements[j];
      if ((a.purposes & b.purposes) == 0 || a.valid_to <= b.valid_from ||
          b.valid_to <= a.valid_from) {
        continue;
      }
      const auto mj = members(b, config);
      std::vector<std::string> common;
      std::set_intersection(mi.begin(), mi.end(), mj.begin(), mj.end(), std::back_inserter(common));
      if (common.size() >= 2) {
        errors.push_back({b.file, b.line,
                          "agreement " + b.id + " overlaps " + a.id + " (" + a.file + ":" +
                              std::to_string(a.line) + "): same purpose, overlapping dates, " +
                              std::to_string(common.size()) + " organisations in common (" +
                              common[0] + ", " + common[1] + (common.size() > 2 ? ", ..." : "") +
                              ")"});
      }
    }
  }
}

AgreementLoad load_agreements(const config::Config& config, const FileReader& read, TimePoint now) {
  AgreementLoad out;
  for (const auto& ref : config.agreements) {
    auto text = read(ref);
    if (!text) {
      out.errors.push_back({config.source, ref.line, "cannot read agreement file " + ref.path});
      continue;
    }
    auto one = parse_agreement(*text, ref.path);
    for (auto& e : one.errors) {
      out.errors.push_back(std::move(e));
    }
    for (auto& a : one.agreements) {
      out.agreements.push_back(std::move(a));
    }
  }
  if (out.errors.empty()) {
    check_agreements(out.agreements, config, now, out.errors);
  }
  if (!out.errors.empty()) {
    out.agreements.clear();
  }
  return out;
}

}  // namespace gw::policy
