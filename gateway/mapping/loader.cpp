// Mapping directory loading and validation: terminology tables first (value maps may import
// one), then each adapter's YAML files. Every error names the file and line.
#include "gateway/mapping/loader.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "gateway/config/yaml_check.hpp"
#include "gateway/core/ids.hpp"
#include "gateway/mapping/schema.hpp"
#include "gateway/mapping/systems.hpp"
#include "gateway/mapping/terminology_csv.hpp"

namespace gw::mapping {

namespace fs = std::filesystem;

/** SetBuilder: fills a MappingSet's private parts while the loader validates. */
class SetBuilder {
public:
  explicit SetBuilder(std::string dir) : set_(std::make_shared<MappingSet>()) {
    set_->directory_ = std::move(dir);
  }
  AdapterMappings& adapter(Adapter a) { return set_->adapters_[static_cast<std::size_t>(a)]; }
  void add_table(detail::LoadedTable&& t) {
    for (const auto& r : t.rows) {
      set_->codes_.emplace(MappingSet::CodeKey{r.from.uri, r.code, r.to.uri},
                           Coding{r.to.uri, r.target_code, r.target_display});
    }
    set_->tables_.push_back(std::move(t.info));
  }
  std::shared_ptr<const MappingSet> finish() { return std::move(set_); }

private:
  std::shared_ptr<MappingSet> set_;
};

namespace {

int line_of(const YAML::Node& n) { return config::yaml_line(n); }

using Tables = std::map<std::string, detail::LoadedTable, std::less<>>;

/** Where each value map / identifier / sender was first defined, across an adapter's files. */
struct Seen {
  std::map<std::string, std::string> value_maps;   // scope + name -> "file:line"
  std::map<std::string, std::string> identifiers;  // scope + id -> "file:line"
  std::map<std::string, std::string> senders;      // ods -> "file:line"
};

class FileReader {
public:
  FileReader(std::string path, Adapter adapter, const Tables& tables, const LoadOptions& opts,
             std::vector<Diagnostic>& errors, Seen& seen)
      : path_(std::move(path)),
        adapter_(adapter),
        tables_(tables),
        opts_(opts),
        errors_(errors),
        seen_(seen) {}

  void error(int line, std::string msg) { errors_.push_back({path_, line, std::move(msg)}); }

  /**
   * read_base: the file's adapter-wide identifiers and value maps. Every file of an adapter is
   * read this way before any override (read_overrides), so an override finds the adapter's map
   * whatever order the files sort in.
   */
  void read_base(const YAML::Node& root, AdapterMappings& out) {
    if (root.IsNull()) {
      return;  // an empty file configures nothing
    }
    if (!keys(root, "a mapping file", {"adapter", "identifiers", "value_maps", "overrides"})) {
      return;
    }
    if (const auto a = root["adapter"]; a) {
      if (!a.IsScalar() || a.Scalar() != adapter_name(adapter_)) {
        error(line_of(a), "'adapter' is '" + (a.IsScalar() ? a.Scalar() : std::string()) +
                              "' but the file is in the " + std::string(adapter_name(adapter_)) +
                              " folder");
      }
    }
    read_rules(root, "", out.base, nullptr);
  }

  /** read_overrides: the file's per-sender overrides (after every file's read_base). */
  void read_overrides(const YAML::Node& root, AdapterMappings& out) {
    if (root.IsMap()) {
      read_sender_overrides(root, out);
    }
  }

private:
  bool keys(const YAML::Node& n, std::string_view where,
            std::initializer_list<std::string_view> allowed) {
    return config::check_keys(n, where, allowed, [this](int line, std::string message) {
      error(line, std::move(message));
    });
  }

  bool text(const YAML::Node& parent, const char* key, std::string& out, bool required) {
    const YAML::Node n = parent[key];
    if (!n) {
      if (required) {
        error(line_of(parent), std::string("missing required key '") + key + "'");
      }
      return false;
    }
    if (!n.IsScalar()) {
      error(line_of(n), std::string("'") + key + "' must be a text value");
      return false;
    }
    out = n.Scalar();
    return true;
  }

  std::optional<SystemRef> system(const YAML::Node& parent, const char* key) {
    std::string name;
    if (!text(parent, key, name, true)) {
      return std::nullopt;
    }
    auto s = resolve_system(name);
    if (!s) {
      error(line_of(parent[key]), "unknown system '" + name +
                                      "' (an alias such as hl7v2-0001, snomed, a known URI, "
                                      "or local:<name>; see mappings/README.md)");
    }
    return s;
  }

  std::string where(int line) const { return path_ + ":" + std::to_string(line); }

  void read_sender_overrides(const YAML::Node& root, AdapterMappings& out) {
    const YAML::Node os = root["overrides"];
    if (!os) {
      return;
    }
    if (!os.IsSequence()) {
      error(line_of(os), "'overrides' must be a list of {sender, identifiers, value_maps}");
      return;
    }
    for (const auto& o : os) {
      if (!keys(o, "an override", {"sender", "identifiers", "value_maps"})) {
        continue;
      }
      std::string sender_text;
      if (!text(o, "sender", sender_text, true)) {
        continue;
      }
      auto ods = OdsCode::parse(sender_text);
      if (!ods) {
        error(line_of(o["sender"]), ods.error().detail + " ('" + sender_text + "')");
        continue;
      }
      const auto& known = opts_.known_senders;
      if (!known.empty() && std::find(known.begin(), known.end(), ods->str()) == known.end()) {
        error(line_of(o["sender"]),
              "sender " + ods->str() + " is not an organisation in the config");
      }
      auto [it, fresh] = seen_.senders.emplace(ods->str(), where(line_of(o["sender"])));
      if (!fresh) {
        error(line_of(o["sender"]), "sender " + ods->str() + " already has overrides at " +
                                        it->second + " (one override block per sender)");
        continue;
      }
      read_rules(o, ods->str() + "/", out.overrides[ods->str()], &out.base);
    }
  }

  void read_rules(const YAML::Node& n, const std::string& scope, Rules& rules, const Rules* base) {
    if (const auto ids = n["identifiers"]; ids) {
      if (!ids.IsSequence()) {
        error(line_of(ids), "'identifiers' must be a list of identifier rules");
      } else {
        for (const auto& r : ids) {
          read_identifier(r, scope, rules);
        }
      }
    }
    if (const auto vms = n["value_maps"]; vms) {
      if (!vms.IsMap()) {
        error(line_of(vms), "'value_maps' must map a value map name to its definition");
        return;
      }
      std::set<std::string> names;
      for (auto it = vms.begin(); it != vms.end(); ++it) {
        const auto name = it->first.Scalar();
        if (!names.insert(name).second) {
          error(line_of(it->first), "value map '" + name + "' appears twice");
          continue;
        }
        auto [at, fresh] = seen_.value_maps.emplace(scope + name, where(line_of(it->first)));
        if (!fresh) {
          error(line_of(it->first), "value map '" + name + "' is already defined at " + at->second);
          continue;
        }
        const ValueMap* base_map = nullptr;
        if (base != nullptr) {
          auto b = base->value_maps.find(name);
          base_map = b == base->value_maps.end() ? nullptr : &b->second;
        }
        if (auto vm = read_value_map(name, it->first, it->second, base_map)) {
          rules.value_maps.emplace(name, std::move(*vm));
        }
      }
    }
  }

  void read_identifier(const YAML::Node& r, const std::string& scope, Rules& rules) {
    if (!keys(r, "an identifier rule",
              {"id", "element", "repetition", "type_codes", "assigning_authority", "system",
               "default_ods"})) {
      return;
    }
    IdentifierRule rule;
    rule.file = path_;
    rule.line = line_of(r);
    bool ok = text(r, "id", rule.id, true);
    ok = text(r, "element", rule.element, true) && ok;
    ok = text(r, "system", rule.system, true) && ok;
    text(r, "assigning_authority", rule.assigning_authority, false);
    if (rule.id == "nhs_number" && !rule.system.empty() &&
        rule.system != "https://fhir.nhs.uk/Id/nhs-number") {
      error(line_of(r["system"]),
            "the nhs_number rule's system must be "
            "https://fhir.nhs.uk/Id/nhs-number");
      ok = false;
    }
    if (const auto rep = r["repetition"]; rep) {
      const auto& s = rep.IsScalar() ? rep.Scalar() : std::string();
      if (s == "any") {
        rule.repetition = 0;
      } else if (!s.empty() && s.size() < 4 &&
                 std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                 std::stoi(s) >= 1) {
        rule.repetition = std::stoi(s);
      } else {
        error(line_of(rep),
              "'repetition' must be 'any' or a repetition number from 1, got '" + s + "'");
        ok = false;
      }
    }
    if (const auto tc = r["type_codes"]; tc) {
      if (!tc.IsSequence()) {
        error(line_of(tc), "'type_codes' must be a list, e.g. [NH, HN, \"\"]");
        ok = false;
      } else {
        for (const auto& c : tc) {
          if (!c.IsScalar() && !c.IsNull()) {
            error(line_of(c), "each type code must be a text value (\"\" for none)");
            ok = false;
          }
          rule.type_codes.push_back(c.IsScalar() ? c.Scalar() : std::string());
        }
      }
    }
    std::string ods;
    if (text(r, "default_ods", ods, false)) {
      if (auto parsed = OdsCode::parse(ods)) {
        rule.default_ods = parsed->str();
      } else {
        error(line_of(r["default_ods"]), parsed.error().detail + " ('" + ods + "')");
        ok = false;
      }
    }
    if (!rule.id.empty()) {
      auto [at, fresh] = seen_.identifiers.emplace(scope + rule.id, where(rule.line));
      if (!fresh) {
        error(rule.line, "identifier rule '" + rule.id + "' is already defined at " + at->second);
        ok = false;
      }
    }
    if (ok) {
      rules.identifiers.push_back(std::move(rule));
    }
  }

  std::optional<ValueMap> read_value_map(const std::string& name, const YAML::Node& key,
                                         const YAML::Node& n, const ValueMap* base) {
    if (!keys(n, "value map '" + name + "'",
              {"element", "target", "from", "to", "table", "codes"})) {
      return std::nullopt;
    }
    ValueMap vm;
    vm.name = name;
    vm.file = path_;
    vm.line = line_of(key);
    bool ok = true;
    text(n, "element", vm.element, false);
    // An override may leave target/from/to to the adapter's map of the same name.
    const bool inherit = base != nullptr;
    if (inherit && !n["target"]) {
      vm.target = base->target;
    } else if (text(n, "target", vm.target, true) && !is_target_element(adapter_, vm.target)) {
      std::string list;
      for (auto e : target_elements(adapter_)) {
        list += (list.empty() ? "" : ", ") + std::string(e);
      }
      error(line_of(n["target"]), "unknown target element '" + vm.target + "' for adapter " +
                                      std::string(adapter_name(adapter_)) +
                                      " (expected one of: " + list + ")");
      ok = false;
    }
    std::optional<SystemRef> from;
    std::optional<SystemRef> to;
    if (inherit && !n["from"]) {
      from = resolve_system(base->from);
    } else {
      from = system(n, "from");
    }
    if (inherit && !n["to"]) {
      to = resolve_system(base->to);
    } else {
      to = system(n, "to");
    }
    if (!from || !to) {
      return std::nullopt;
    }
    vm.from = from->uri;
    vm.to = to->uri;
    std::set<std::string, std::less<>> listed;  // native codes written, even with a bad target
    if (n["table"]) {
      ok = import_table(n, *from, *to, vm) && ok;
    }
    if (const auto codes = n["codes"]; codes) {
      ok = read_codes(codes, *from, *to, vm, listed) && ok;
    } else if (!n["table"]) {
      error(vm.line, "value map '" + name + "' has neither 'codes' nor 'table'");
      ok = false;
    }
    const bool replaces = base == nullptr || base->from != vm.from;
    if (replaces && from->known != nullptr) {
      for (auto req : from->known->required) {
        if (vm.codes.find(req) == vm.codes.end() && listed.find(req) == listed.end()) {
          error(vm.line, "value map '" + name + "' does not map required code '" +
                             std::string(req) + "' of " + std::string(from->known->title));
          ok = false;
        }
      }
    }
    return ok ? std::optional<ValueMap>(std::move(vm)) : std::nullopt;
  }

  bool import_table(const YAML::Node& n, const SystemRef& from, const SystemRef& to, ValueMap& vm) {
    std::string table;
    if (!text(n, "table", table, true)) {
      return false;
    }
    auto t = tables_.find(table);
    if (t == tables_.end()) {
      error(line_of(n["table"]),
            "no terminology table '" + table + "' (mappings/terminology/" + table + ".csv)");
      return false;
    }
    std::size_t used = 0;
    for (const auto& r : t->second.rows) {
      if (r.from.uri == from.uri && r.to.uri == to.uri) {
        vm.codes.emplace(r.code, Coding{r.to.uri, r.target_code, r.target_display});
        ++used;
      }
    }
    if (used == 0) {
      error(line_of(n["table"]),
            "table '" + table + "' has no rows from " + from.alias + " to " + to.alias);
      return false;
    }
    return true;
  }

  bool read_codes(const YAML::Node& codes, const SystemRef& from, const SystemRef& to, ValueMap& vm,
                  std::set<std::string, std::less<>>& listed) {
    if (!codes.IsMap()) {
      error(line_of(codes), "'codes' must map each native code to a target code");
      return false;
    }
    bool ok = true;
    std::set<std::string> seen;
    for (auto it = codes.begin(); it != codes.end(); ++it) {
      const auto native = it->first.Scalar();
      const int line = line_of(it->first);
      listed.insert(native);
      if (!seen.insert(native).second) {
        error(line, "native code '" + native + "' appears twice in value map '" + vm.name + "'");
        ok = false;
        continue;
      }
      if (auto why = check_code(from, native); !why.empty()) {
        error(line, "native code '" + native + "': " + why + " (" + from.alias + ")");
        ok = false;
        continue;
      }
      auto target = read_target(it->second, to);
      if (!target) {
        ok = false;
        continue;
      }
      // Explicit codes win over rows imported with `table`.
      vm.codes[native] = std::move(*target);
    }
    return ok;
  }

  /** read_target: `code` or `{code, display, system}`; the code checked against its system. */
  std::optional<Coding> read_target(const YAML::Node& v, const SystemRef& to) {
    Coding c{to.uri, {}, {}};
    SystemRef sys = to;
    if (v.IsScalar()) {
      c.code = v.Scalar();
    } else {
      if (!keys(v, "a target code", {"code", "display", "system"})) {
        return std::nullopt;
      }
      if (!text(v, "code", c.code, true)) {
        return std::nullopt;
      }
      text(v, "display", c.display, false);
      if (v["system"]) {
        auto s = system(v, "system");
        if (!s) {
          return std::nullopt;
        }
        sys = *s;
        c.system = s->uri;
      }
    }
    if (auto why = check_code(sys, c.code); !why.empty()) {
      error(line_of(v), "target code '" + c.code + "': " + why + " (" + sys.alias + ")");
      return std::nullopt;
    }
    return c;
  }

  std::string path_;
  Adapter adapter_;
  const Tables& tables_;
  const LoadOptions& opts_;
  std::vector<Diagnostic>& errors_;
  Seen& seen_;
};

std::vector<fs::path> sorted_entries(const fs::path& dir, std::vector<Diagnostic>& errors) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    out.push_back(it->path());
  }
  if (ec) {
    errors.push_back({dir.string(), 0, "cannot list the folder: " + ec.message()});
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool is_yaml(const fs::path& p) { return p.extension() == ".yaml" || p.extension() == ".yml"; }

/**
 * check_sensitive_lists: terminology/sensitive/ holds the policy engine's code lists (loaded by
 * gateway/policy, format in its README). Here only their SNOMED CT codes are checked (Verhoeff
 * check digit), so that a mistyped code in a list that withholds information is caught by the
 * same check as every other table.
 */
void check_sensitive_lists(const fs::path& dir, std::vector<Diagnostic>& errors) {
  for (const auto& p : sorted_entries(dir, errors)) {
    if (p.extension() != ".csv") {
      continue;
    }
    std::ifstream in(p);
    std::string line;
    bool snomed = false;
    bool header = false;
    for (int n = 1; std::getline(in, line); ++n) {
      if (line.starts_with("# system:")) {
        snomed = line.find("http://snomed.info/sct") != std::string::npos;
      } else if (line.empty() || line.starts_with('#')) {
        continue;
      } else if (!header) {
        header = true;  // code,match,display
      } else if (snomed) {
        const std::string code = line.substr(0, line.find(','));
        if (code.empty() ||
            !std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
            !verhoeff_valid(code)) {
          errors.push_back({p.string(), n, "not a valid SNOMED CT identifier (check digit)"});
        }
      }
    }
  }
}

Tables load_tables(const fs::path& dir, std::vector<Diagnostic>& errors) {
  Tables tables;
  for (const auto& p : sorted_entries(dir, errors)) {
    if (p.filename() == "sensitive" && fs::is_directory(p)) {
      check_sensitive_lists(p, errors);
    } else if (p.extension() == ".csv") {
      tables.emplace(p.stem().string(), detail::load_table(p.string(), errors));
    } else if (p.extension() != ".md") {
      errors.push_back({p.string(), 0, "not a terminology table (expected a .csv file)"});
    }
  }
  return tables;
}

/** ParsedFile: one adapter file's YAML, parsed (null root when it could not be read). */
struct ParsedFile {
  fs::path path;
  YAML::Node root;
  bool ok = false;
};

ParsedFile parse_file(const fs::path& p, std::vector<Diagnostic>& errors) {
  ParsedFile out{p, {}, false};
  std::ifstream f(p, std::ios::binary);
  if (!f) {
    errors.push_back({p.string(), 0, "cannot read the file"});
    return out;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  try {
    out.root = YAML::Load(ss.str());
    out.ok = true;
  } catch (const YAML::Exception& e) {
    // Start-up / reload parsing of local files (STYLE.md 3.3): yaml-cpp reports by throwing.
    errors.push_back(
        {p.string(), e.mark.line >= 0 ? e.mark.line + 1 : 0, "not valid YAML: " + e.msg});
  }
  return out;
}

/** load_adapter: every YAML file of one adapter folder: all base rules, then all overrides. */
void load_adapter(const fs::path& folder, Adapter a, const Tables& tables, const LoadOptions& opts,
                  std::vector<Diagnostic>& errors, SetBuilder& builder) {
  std::vector<ParsedFile> files;
  for (const auto& f : sorted_entries(folder, errors)) {
    if (is_yaml(f)) {
      files.push_back(parse_file(f, errors));
      builder.adapter(a).files.push_back(f.string());
    } else if (f.extension() != ".md") {
      errors.push_back({f.string(), 0, "not a mapping file (expected .yaml)"});
    }
  }
  Seen seen;
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& f : files) {
      if (!f.ok) {
        continue;
      }
      FileReader reader(f.path.string(), a, tables, opts, errors, seen);
      try {
        if (pass == 0) {
          reader.read_base(f.root, builder.adapter(a));
        } else {
          reader.read_overrides(f.root, builder.adapter(a));
        }
      } catch (const YAML::Exception& e) {
        reader.error(e.mark.line >= 0 ? e.mark.line + 1 : 0, e.msg);
      }
    }
  }
}

}  // namespace

LoadResult load_directory(const std::string& dir, const LoadOptions& opts) {
  LoadResult out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    out.errors.push_back({dir, 0, "the mappings directory does not exist or is not a folder"});
    return out;
  }
  SetBuilder builder(fs::path(dir).lexically_normal().string());
  const fs::path root(dir);
  Tables tables;
  if (fs::is_directory(root / "terminology", ec)) {
    tables = load_tables(root / "terminology", out.errors);
  }
  for (const auto& p : sorted_entries(root, out.errors)) {
    const auto name = p.filename().string();
    if (!fs::is_directory(p, ec)) {
      if (p.extension() != ".md") {
        out.errors.push_back({p.string(), 0,
                              "unexpected file (mapping files go in <adapter>/ "
                              "or terminology/ folders)"});
      }
      continue;
    }
    if (name == "terminology") {
      continue;
    }
    auto a = parse_adapter(name);
    if (!a) {
      out.errors.push_back({p.string(), 0,
                            "unknown adapter '" + name +
                                "' (expected acute, emis, las, mental_health, "
                                "ambulance or terminology)"});
      continue;
    }
    load_adapter(p, *a, tables, opts, out.errors, builder);
  }
  for (auto& [name, t] : tables) {
    builder.add_table(std::move(t));
  }
  if (out.errors.empty()) {
    out.set = builder.finish();
  }
  return out;
}

}  // namespace gw::mapping
