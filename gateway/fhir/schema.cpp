// Loads the FHIR element table (gateway/fhir/schema/*.inc, a small text format) once per version
// into lookup maps, flattening inheritance (Resource -> DomainResource -> Patient) and expanding
// choice elements (value[x] -> valueQuantity, valueString...).
#include "gateway/fhir/schema.hpp"

#include <array>
#include <cctype>
#include <cstddef>
#include <set>
#include <utility>

namespace gw::fhir {
namespace {

// The table: three raw string literals, kept apart (each under the 64 KiB that compilers must
// support; -Woverlength-strings) and read in order.
constexpr std::array<std::string_view, 3> kSchemaParts = {
#include "gateway/fhir/schema/datatypes.inc"
    ,
#include "gateway/fhir/schema/resources_admin.inc"
    ,
#include "gateway/fhir/schema/resources_clinical.inc"
};

// The "open type" lists for `[x]` elements typed `*` in the specification (Extension.value[x],
// ElementDefinition.fixed[x], Parameters.parameter.value[x], Task.input.value[x]...).
// http://hl7.org/fhir/R4/datatypes.html#open and http://hl7.org/fhir/STU3/datatypes.html#open
// (the STU3 list is widened by the metadata types so real-world extensions still convert).
constexpr std::array kOpenTypesR4 = {"base64Binary",
                                     "boolean",
                                     "canonical",
                                     "code",
                                     "date",
                                     "dateTime",
                                     "decimal",
                                     "id",
                                     "instant",
                                     "integer",
                                     "markdown",
                                     "oid",
                                     "positiveInt",
                                     "string",
                                     "time",
                                     "unsignedInt",
                                     "uri",
                                     "url",
                                     "uuid",
                                     "Address",
                                     "Age",
                                     "Annotation",
                                     "Attachment",
                                     "CodeableConcept",
                                     "Coding",
                                     "ContactPoint",
                                     "Count",
                                     "Distance",
                                     "Duration",
                                     "HumanName",
                                     "Identifier",
                                     "Money",
                                     "Period",
                                     "Quantity",
                                     "Range",
                                     "Ratio",
                                     "Reference",
                                     "SampledData",
                                     "Signature",
                                     "Timing",
                                     "ContactDetail",
                                     "Contributor",
                                     "DataRequirement",
                                     "Expression",
                                     "ParameterDefinition",
                                     "RelatedArtifact",
                                     "TriggerDefinition",
                                     "UsageContext",
                                     "Dosage",
                                     "Meta"};
constexpr std::array kOpenTypesStu3 = {"base64Binary",
                                       "boolean",
                                       "code",
                                       "date",
                                       "dateTime",
                                       "decimal",
                                       "id",
                                       "instant",
                                       "integer",
                                       "markdown",
                                       "oid",
                                       "positiveInt",
                                       "string",
                                       "time",
                                       "unsignedInt",
                                       "uri",
                                       "Address",
                                       "Age",
                                       "Annotation",
                                       "Attachment",
                                       "CodeableConcept",
                                       "Coding",
                                       "ContactPoint",
                                       "Count",
                                       "Distance",
                                       "Duration",
                                       "HumanName",
                                       "Identifier",
                                       "Money",
                                       "Period",
                                       "Quantity",
                                       "Range",
                                       "Ratio",
                                       "Reference",
                                       "SampledData",
                                       "Signature",
                                       "Timing",
                                       "ContactDetail",
                                       "Contributor",
                                       "DataRequirement",
                                       "ParameterDefinition",
                                       "RelatedArtifact",
                                       "TriggerDefinition",
                                       "UsageContext",
                                       "Dosage",
                                       "Meta"};

constexpr std::array kStringTypes = {"string",    "code", "id",       "uri",      "url",
                                     "canonical", "oid",  "uuid",     "markdown", "base64Binary",
                                     "instant",   "date", "dateTime", "time"};

/** RawElement: one element line of the table, before expansion. */
struct RawElement {
  std::string name;  // as written: "@id", "value[x]", "given"
  std::string type;  // as written: "string", "Quantity|string", "ANY", "#Bundle.link", "Element"
  bool repeats = false;
  std::string nested_path;  // for an inline Element/BackboneElement: its path
};

/** RawType: a type header or an inline backbone element, with its own (not inherited) lines. */
struct RawType {
  std::string base;
  std::vector<RawElement> elements;
};

struct Schema {
  std::map<std::string, TypeInfo, std::less<>> types;
  std::vector<std::string> problems;
};

ElementKind kind_of(std::string_view type) {
  if (type == "boolean") {
    return ElementKind::kBoolean;
  }
  if (type == "integer" || type == "positiveInt" || type == "unsignedInt") {
    return ElementKind::kInteger;
  }
  if (type == "decimal") {
    return ElementKind::kDecimal;
  }
  if (type == "xhtml") {
    return ElementKind::kXhtml;
  }
  if (type == "Resource") {
    return ElementKind::kResource;
  }
  for (std::string_view s : kStringTypes) {
    if (s == type) {
      return ElementKind::kString;
    }
  }
  return ElementKind::kComplex;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    auto pos = s.find(sep);
    out.push_back(s.substr(0, pos));
    if (pos == std::string_view::npos) {
      return out;
    }
    s.remove_prefix(pos + 1);
  }
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::string_view w : split(s, ' ')) {
    if (!w.empty()) {
      out.push_back(w);
    }
  }
  return out;
}

/** tag_applies: a line or header tagged "r4"/"s3" applies to that version only. */
bool tag_applies(std::string_view tag, FhirVersion version) {
  return tag.empty() || (tag == "r4" && version == FhirVersion::kR4) ||
         (tag == "s3" && version == FhirVersion::kStu3);
}

/** Parser: reads the table text for one version into RawTypes. */
class Parser {
public:
  Parser(FhirVersion version, std::vector<std::string>& problems)
      : version_(version), problems_(problems) {}

  /** feed: reads one part of the table; types accumulate across parts. */
  void feed(std::string_view text, std::string_view part) {
    part_ = part;
    stack_.clear();
    std::size_t line_no = 0;
    for (std::string_view line : split(text, '\n')) {
      ++line_no;
      std::string_view content = trim(line);
      if (content.empty() || content.front() == '#') {
        continue;
      }
      if (content.front() == '=') {
        header(content.substr(1), line_no);
      } else {
        element(line, content, line_no);
      }
    }
  }

  std::map<std::string, RawType, std::less<>> take() { return std::move(types_); }

private:
  struct Frame {
    std::string path;
    bool active = false;
  };

  void problem(std::size_t line_no, std::string what) {
    problems_.push_back("table part " + std::string(part_) + " line " + std::to_string(line_no) +
                        ": " + std::move(what));
  }

  void header(std::string_view rest, std::size_t line_no) {
    stack_.clear();
    auto w = words(rest);
    if (w.size() < 2 || w.size() > 3) {
      problem(line_no, "a type header is '= Name Base [r4|s3]'");
      return;
    }
    bool active = tag_applies(w.size() == 3 ? w[2] : std::string_view{}, version_);
    stack_.push_back({std::string(w[0]), active});
    if (!active) {
      return;
    }
    auto [it, inserted] = types_.try_emplace(std::string(w[0]));
    if (!inserted) {
      problem(line_no, "type '" + std::string(w[0]) + "' defined twice");
    }
    it->second.base = w[1] == "-" ? std::string() : std::string(w[1]);
  }

  void element(std::string_view line, std::string_view content, std::size_t line_no) {
    std::size_t indent = line.find_first_not_of(' ');
    if (indent % 2 != 0 || stack_.size() < indent / 2 + 1) {
      problem(line_no, "bad indentation");
      return;
    }
    std::size_t level = indent / 2;
    stack_.resize(level + 1);
    std::string_view tag;
    if (content.size() > 3 && content[2] == ':') {
      tag = content.substr(0, 2);
      content.remove_prefix(3);
    }
    auto w = words(content);
    if (w.size() != 2) {
      problem(line_no, "an element line is '[r4:|s3:]name type[*]'");
      return;
    }
    const Frame parent = stack_[level];
    bool active = parent.active && tag_applies(tag, version_);
    RawElement e;
    e.name = std::string(w[0]);
    std::string_view type = w[1];
    if (type.ends_with('*')) {
      e.repeats = true;
      type.remove_suffix(1);
    }
    e.type = std::string(type);
    bool nested = type == "Element" || type == "BackboneElement";
    if (nested) {
      e.nested_path = parent.path + "." + e.name;
    }
    if (active) {
      auto it = types_.find(parent.path);
      if (it == types_.end()) {
        problem(line_no, "element outside a type");
        return;
      }
      it->second.elements.push_back(e);
      if (nested) {
        auto [child, inserted] = types_.try_emplace(e.nested_path);
        if (!inserted) {
          problem(line_no, "path '" + e.nested_path + "' defined twice");
        }
        child->second.base = e.type;
      }
    }
    if (nested) {
      stack_.push_back({e.nested_path, active});
    }
  }

  FhirVersion version_;
  std::vector<std::string>& problems_;
  std::map<std::string, RawType, std::less<>> types_;
  std::vector<Frame> stack_;
  std::string_view part_;
};

/** Flattener: builds TypeInfo (inherited elements first, choices expanded) from RawTypes. */
class Flattener {
public:
  Flattener(FhirVersion version, const std::map<std::string, RawType, std::less<>>& raw,
            Schema& out)
      : version_(version), raw_(raw), out_(out) {}

  void run() {
    for (const auto& [name, type] : raw_) {
      (void)type;
      build(name, 0);
    }
    check_references();
  }

private:
  const TypeInfo* build(const std::string& name, int depth) {
    if (auto it = out_.types.find(name); it != out_.types.end()) {
      return &it->second;
    }
    auto raw = raw_.find(name);
    if (raw == raw_.end() || depth > 16) {
      out_.problems.push_back("unknown base type '" + name + "'");
      return nullptr;
    }
    TypeInfo info;
    info.name = name;
    info.base = raw->second.base;
    if (!info.base.empty()) {
      const TypeInfo* base = build(info.base, depth + 1);
      if (base != nullptr) {
        info.elements = base->elements;
        info.is_resource = base->is_resource || info.base == "Resource";
      }
    }
    auto order =
        static_cast<std::uint16_t>(info.elements.empty() ? 0 : info.elements.back().order + 1);
    for (const RawElement& e : raw->second.elements) {
      expand(e, order++, info);
    }
    for (std::size_t i = 0; i < info.elements.size(); ++i) {
      if (!info.index.emplace(info.elements[i].name, i).second) {
        out_.problems.push_back("element '" + info.elements[i].name + "' twice in " + name);
      }
    }
    return &out_.types.emplace(name, std::move(info)).first->second;
  }

  void expand(const RawElement& e, std::uint16_t order, TypeInfo& into) {
    ElementInfo base;
    base.repeats = e.repeats;
    base.order = order;
    std::string_view name = e.name;
    if (name.starts_with('@')) {
      base.is_attribute = true;
      name.remove_prefix(1);
    }
    if (!e.nested_path.empty()) {
      base.name = std::string(name);
      base.type_name = e.nested_path;
      base.kind = ElementKind::kComplex;
      into.elements.push_back(std::move(base));
      return;
    }
    if (!name.ends_with("[x]")) {
      base.name = std::string(name);
      std::string_view type = e.type;
      if (type.starts_with('#')) {
        type.remove_prefix(1);  // a content reference: the type is another element's path
      }
      base.type_name = std::string(type);
      base.kind = kind_of(type);
      into.elements.push_back(std::move(base));
      return;
    }
    name.remove_suffix(3);
    std::vector<std::string_view> types;
    if (e.type == "ANY") {
      if (version_ == FhirVersion::kR4) {
        types.assign(kOpenTypesR4.begin(), kOpenTypesR4.end());
      } else {
        types.assign(kOpenTypesStu3.begin(), kOpenTypesStu3.end());
      }
    } else {
      types = split(e.type, '|');
    }
    for (std::string_view t : types) {
      ElementInfo choice = base;
      choice.choice_base = std::string(name);
      choice.name = std::string(name) + std::string(t);
      choice.name[name.size()] =
          static_cast<char>(std::toupper(static_cast<unsigned char>(choice.name[name.size()])));
      choice.type_name = std::string(t);
      choice.kind = kind_of(t);
      into.elements.push_back(std::move(choice));
    }
  }

  void check_references() {
    for (const auto& [name, type] : out_.types) {
      for (const ElementInfo& e : type.elements) {
        if (e.kind == ElementKind::kComplex && out_.types.find(e.type_name) == out_.types.end()) {
          out_.problems.push_back(name + "." + e.name + " has unknown type '" + e.type_name + "'");
        }
      }
    }
  }

  FhirVersion version_;
  const std::map<std::string, RawType, std::less<>>& raw_;
  Schema& out_;
};

Schema load(FhirVersion version) {
  Schema schema;
  Parser parser(version, schema.problems);
  constexpr std::array<std::string_view, 3> kPartNames = {"datatypes", "resources_admin",
                                                          "resources_clinical"};
  for (std::size_t i = 0; i < kSchemaParts.size(); ++i) {
    parser.feed(kSchemaParts[i], kPartNames[i]);
  }
  auto raw = parser.take();
  Flattener(version, raw, schema).run();
  return schema;
}

const Schema& schema_for(FhirVersion version) {
  // Function-local statics: built once, thread-safe, immutable afterwards.
  if (version == FhirVersion::kR4) {
    static const Schema kR4Schema = load(FhirVersion::kR4);
    return kR4Schema;
  }
  static const Schema kStu3Schema = load(FhirVersion::kStu3);
  return kStu3Schema;
}

}  // namespace

std::string_view version_name(FhirVersion version) {
  return version == FhirVersion::kR4 ? "R4" : "STU3";
}

const ElementInfo* TypeInfo::find(std::string_view element_name) const {
  auto it = index.find(element_name);
  return it == index.end() ? nullptr : &elements[it->second];
}

const TypeInfo* find_type(FhirVersion version, std::string_view type_or_path) {
  const Schema& s = schema_for(version);
  auto it = s.types.find(type_or_path);
  return it == s.types.end() ? nullptr : &it->second;
}

const ElementInfo* find_element(FhirVersion version, std::string_view parent_type_or_path,
                                std::string_view json_or_xml_name) {
  const TypeInfo* type = find_type(version, parent_type_or_path);
  return type == nullptr ? nullptr : type->find(json_or_xml_name);
}

bool is_resource_type(FhirVersion version, std::string_view name) {
  const TypeInfo* type = find_type(version, name);
  return type != nullptr && type->is_resource && name != "DomainResource" &&
         name.find('.') == std::string_view::npos;
}

std::vector<std::string> resource_types(FhirVersion version) {
  std::vector<std::string> out;
  for (const auto& [name, type] : schema_for(version).types) {
    if (is_resource_type(version, name)) {
      out.push_back(name);
    }
  }
  return out;
}

const std::vector<std::string>& schema_problems(FhirVersion version) {
  return schema_for(version).problems;
}

}  // namespace gw::fhir
