// Typed views over FHIR JSON.
#include "gateway/fhir/resource.hpp"

namespace gw::fhir {
namespace {

using rapidjson::Value;

constexpr std::string_view kVerificationExt =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus";
constexpr std::string_view kOdsSystem = "https://fhir.nhs.uk/Id/ods-organization-code";

const Value* member(const Value& obj, std::string_view name) {
  if (!obj.IsObject()) {
    return nullptr;
  }
  auto it = obj.FindMember(Value(rapidjson::StringRef(name.data(), name.size())));
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::string_view as_string(const Value* v) {
  return v != nullptr && v->IsString() ? std::string_view(v->GetString(), v->GetStringLength())
                                       : std::string_view{};
}

std::vector<Code> codings(const Value* cc) {
  std::vector<Code> out;
  const Value* list = cc != nullptr ? member(*cc, "coding") : nullptr;
  if (list == nullptr || !list->IsArray()) {
    return out;
  }
  for (const auto& c : list->GetArray()) {
    out.push_back({as_string(member(c, "system")), as_string(member(c, "code")),
                   as_string(member(c, "display"))});
  }
  return out;
}

/** preferred: the array item whose `use` is `use`, else the first; nullptr if none. */
const Value* preferred(const Value* list, std::string_view use) {
  if (list == nullptr || !list->IsArray() || list->Empty()) {
    return nullptr;
  }
  for (const auto& item : list->GetArray()) {
    if (as_string(member(item, "use")) == use) {
      return &item;
    }
  }
  return &(*list)[0];
}

}  // namespace

bool ResourceView::valid() const {
  return v_->IsObject() && member(*v_, "resourceType") != nullptr &&
         member(*v_, "resourceType")->IsString();
}
std::string_view ResourceView::string_member(std::string_view name) const {
  return as_string(member(*v_, name));
}
std::string_view ResourceView::type() const { return string_member("resourceType"); }
std::string_view ResourceView::id() const { return string_member("id"); }
std::string_view ResourceView::status() const { return string_member("status"); }

std::string_view ResourceView::meta_source() const {
  const Value* meta = member(*v_, "meta");
  return meta != nullptr ? as_string(member(*meta, "source")) : std::string_view{};
}

std::string_view ResourceView::last_updated() const {
  const Value* meta = member(*v_, "meta");
  return meta != nullptr ? as_string(member(*meta, "lastUpdated")) : std::string_view{};
}

std::string_view ResourceView::subject_reference() const {
  for (std::string_view name : {"subject", "patient", "beneficiary", "individual"}) {
    if (const Value* ref = member(*v_, name); ref != nullptr && ref->IsObject()) {
      return as_string(member(*ref, "reference"));
    }
  }
  return {};
}

std::vector<Code> ResourceView::codes(std::string_view name) const {
  return codings(member(*v_, name));
}

std::optional<PatientView::NhsNumberEntry> PatientView::nhs_number() const {
  const Value* ids = member(*v_, "identifier");
  if (ids == nullptr || !ids->IsArray()) {
    return std::nullopt;
  }
  for (const auto& id : ids->GetArray()) {
    if (as_string(member(id, "system")) != kNhsNumberSystem) {
      continue;
    }
    NhsNumberEntry e;
    if (auto n = NhsNumber::parse(as_string(member(id, "value")))) {
      e.number = *n;
    }
    if (const Value* exts = member(id, "extension"); exts != nullptr && exts->IsArray()) {
      for (const auto& ext : exts->GetArray()) {
        if (as_string(member(ext, "url")) != kVerificationExt) {
          continue;
        }
        for (const Code& c : codings(member(ext, "valueCodeableConcept"))) {
          VerificationStatus s{};
          if (c.code.size() == 2 && parse_verification_status(c.code, s)) {
            e.verification = s;
          }
        }
      }
    }
    return e;
  }
  return std::nullopt;
}

std::string_view PatientView::identifier(std::string_view system) const {
  const Value* ids = member(*v_, "identifier");
  if (ids == nullptr || !ids->IsArray()) {
    return {};
  }
  for (const auto& id : ids->GetArray()) {
    if (as_string(member(id, "system")) == system) {
      return as_string(member(id, "value"));
    }
  }
  return {};
}

std::string_view PatientView::family() const {
  const Value* name = preferred(member(*v_, "name"), "official");
  return name != nullptr ? as_string(member(*name, "family")) : std::string_view{};
}

std::vector<std::string_view> PatientView::given() const {
  std::vector<std::string_view> out;
  const Value* name = preferred(member(*v_, "name"), "official");
  const Value* given = name != nullptr ? member(*name, "given") : nullptr;
  if (given != nullptr && given->IsArray()) {
    for (rapidjson::SizeType i = 0; i < given->Size(); ++i) {
      out.push_back(as_string(&(*given)[i]));
    }
  }
  return out;
}

std::string_view PatientView::birth_date() const { return string_member("birthDate"); }
std::string_view PatientView::gender() const { return string_member("gender"); }

std::string_view PatientView::postcode() const {
  const Value* address = preferred(member(*v_, "address"), "home");
  return address != nullptr ? as_string(member(*address, "postalCode")) : std::string_view{};
}

std::string_view PatientView::gp_practice_ods() const {
  const Value* gps = member(*v_, "generalPractitioner");
  if (gps == nullptr || !gps->IsArray()) {
    return {};
  }
  for (const auto& gp : gps->GetArray()) {
    const Value* id = member(gp, "identifier");
    if (id != nullptr && as_string(member(*id, "system")) == kOdsSystem) {
      return as_string(member(*id, "value"));
    }
  }
  return {};
}

std::string_view BundleView::bundle_type() const { return string_member("type"); }

std::vector<ResourceView> BundleView::resources() const {
  std::vector<ResourceView> out;
  const Value* entries = member(*v_, "entry");
  if (entries == nullptr || !entries->IsArray()) {
    return out;
  }
  for (const auto& e : entries->GetArray()) {
    if (const Value* r = member(e, "resource")) {
      out.emplace_back(*r);
    }
  }
  return out;
}

const Value* BundleView::find(std::string_view reference) const {
  const Value* entries = member(*v_, "entry");
  if (entries == nullptr || !entries->IsArray() || reference.empty()) {
    return nullptr;
  }
  for (const auto& e : entries->GetArray()) {
    const Value* r = member(e, "resource");
    if (r == nullptr) {
      continue;
    }
    if (as_string(member(e, "fullUrl")) == reference) {
      return r;
    }
    const ResourceView view(*r);
    const auto type = view.type();
    const auto id = view.id();
    if (!id.empty() && reference.size() == type.size() + 1 + id.size() &&
        reference.substr(0, type.size()) == type && reference[type.size()] == '/' &&
        reference.substr(type.size() + 1) == id) {
      return r;
    }
  }
  return nullptr;
}

std::optional<Code> MessageHeaderView::event() const {
  const Value* c = member(*v_, "eventCoding");
  if (c == nullptr || !c->IsObject()) {
    return std::nullopt;
  }
  return Code{as_string(member(*c, "system")), as_string(member(*c, "code")),
              as_string(member(*c, "display"))};
}

std::string_view MessageHeaderView::source_endpoint() const {
  const Value* s = member(*v_, "source");
  return s != nullptr ? as_string(member(*s, "endpoint")) : std::string_view{};
}

std::string_view MessageHeaderView::sender_ods() const {
  const Value* s = member(*v_, "sender");
  const Value* id = s != nullptr ? member(*s, "identifier") : nullptr;
  return id != nullptr && as_string(member(*id, "system")) == kOdsSystem
             ? as_string(member(*id, "value"))
             : std::string_view{};
}

std::vector<std::string_view> MessageHeaderView::focus_references() const {
  std::vector<std::string_view> out;
  const Value* focus = member(*v_, "focus");
  if (focus != nullptr && focus->IsArray()) {
    for (const auto& f : focus->GetArray()) {
      out.push_back(as_string(member(f, "reference")));
    }
  }
  return out;
}

std::string_view MessageHeaderView::response_to() const {
  const Value* r = member(*v_, "response");
  return r != nullptr ? as_string(member(*r, "identifier")) : std::string_view{};
}

}  // namespace gw::fhir
