// Shared helpers of the EMIS adapter (common.hpp).
#include "adapters/emis/common.hpp"

#include <array>
#include <cctype>
#include <cstdio>
#include <cstring>

#include "adapters/emis/emis.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/fhir/resource.hpp"
#include "gateway/identity/normalise.hpp"

namespace gw::adapters::emis {
namespace detail {

std::uint64_t fnv1a64(std::string_view s, std::uint64_t seed) {
  std::uint64_t h = seed;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

namespace {
std::string hex64(std::uint64_t v) {
  std::array<char, 17> buf{};
  std::snprintf(buf.data(), buf.size(), "%016llx", static_cast<unsigned long long>(v));
  return std::string(buf.data(), 16);
}
}  // namespace

std::string derived_id(std::string_view prefix, std::string_view seed) {
  return std::string(prefix) + hex64(fnv1a64(seed));
}

std::string name_uuid(std::string_view seed) {
  std::string h = hex64(fnv1a64(seed)) + hex64(fnv1a64(seed, 0x84222325cbf29ce4ULL));
  // Version nibble 8 (RFC 9562 "custom"): derived from a name, not random; variant bits 10.
  h[12] = '8';
  const char variant[] = "89ab";
  h[16] = variant[static_cast<unsigned char>(h[16]) % 4];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         std::string("-") + h.substr(20, 12);
}

bool valid_fhir_id(std::string_view id) {
  if (id.empty() || id.size() > 64) {
    return false;
  }
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.';
    if (!ok) {
      return false;
    }
  }
  return true;
}

Error located(Errc code, std::string_view where, std::string_view what) {
  return make_error(
      code, std::string(where) + std::string(ingest::kLocationSeparator) + std::string(what));
}

void set_meta_source(rapidjson::Value& resource, std::string_view source,
                     rapidjson::Document::AllocatorType& a) {
  if (!resource.IsObject()) {
    return;
  }
  // Every resource of the message holds the same source: one string, referred to, not copied.
  rapidjson::Value value(
      rapidjson::StringRef(source.data(), static_cast<rapidjson::SizeType>(source.size())));
  rapidjson::Value* meta = member_of(resource, "meta");
  if (meta != nullptr && !meta->IsObject()) {
    resource.RemoveMember("meta");  // the last member takes its place; a new one goes last
    meta = nullptr;
  }
  if (meta == nullptr) {
    rapidjson::Value made(rapidjson::kObjectType);
    fhir::reserve_members(made, 1, a);
    made.AddMember("source", value, a);
    fhir::reserve_members(resource, resource.MemberCount() + 1, a);
    resource.AddMember("meta", made, a);
  } else if (rapidjson::Value* s = member_of(*meta, "source")) {
    *s = value;
  } else {
    meta->AddMember("source", value, a);
  }
}

namespace {

rapidjson::Value json_str(std::string_view s, rapidjson::Document::AllocatorType& a) {
  return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

/** map_concept: one CodeableConcept's codings; true when a Read v2 code had no SNOMED CT. */
bool map_concept(rapidjson::Value& coding, ReadV2Lookups& lookups,
                 rapidjson::Document::AllocatorType& a) {
  const rapidjson::Value* read = nullptr;
  for (const auto& c : coding.GetArray()) {
    std::string_view system = str_of(c, "system");
    if (system == kSnomedSystem) {
      return false;  // EMIS already sent the concept: nothing to look up
    }
    if (system == kReadV2System && read == nullptr && !str_of(c, "code").empty()) {
      read = &c;
    }
  }
  if (read == nullptr) {
    return false;
  }
  const mapping::Mapped& m = lookups.snomed(str_of(*read, "code"), str_of(*read, "display"));
  if (!m.mapped) {
    return true;
  }
  rapidjson::Value sct(rapidjson::kObjectType);
  fhir::reserve_members(sct, m.coding.display.empty() ? 2 : 3, a);
  sct.AddMember("system", json_str(m.coding.system, a), a);
  sct.AddMember("code", json_str(m.coding.code, a), a);
  if (!m.coding.display.empty()) {
    sct.AddMember("display", json_str(m.coding.display, a), a);
  }
  // SNOMED CT first (what UK Core and the record viewers read), the original after it.
  rapidjson::Value out(rapidjson::kArrayType);
  out.Reserve(coding.Size() + 1, a);
  out.PushBack(sct, a);
  for (auto& c : coding.GetArray()) {
    out.PushBack(c, a);
  }
  coding = out;
  return false;
}

}  // namespace

const mapping::Mapped& ReadV2Lookups::snomed(std::string_view code, std::string_view display) {
  key_.assign(code).push_back('\0');
  key_.append(display);
  if (auto it = hits_.find(key_); it != hits_.end()) {
    return it->second;
  }
  mapping::Mapped m = mapper_.code(
      mapping::Adapter::kEmis,
      {std::string(kReadV2System), std::string(code), std::string(display)}, kSnomedSystem);
  if (!m.mapped) {
    miss_ = std::move(m);
    return miss_;
  }
  return hits_.emplace(key_, std::move(m)).first->second;
}

// Only objects and arrays are descended into: a string or a number holds no concept.
int map_read_codes(rapidjson::Value& v, ReadV2Lookups& lookups,
                   rapidjson::Document::AllocatorType& a, int depth) {
  if (depth > 64) {
    return 0;
  }
  const auto nested = [](const rapidjson::Value& e) { return e.IsObject() || e.IsArray(); };
  int unmapped = 0;
  if (v.IsObject()) {
    for (auto& m : v.GetObject()) {
      if (!nested(m.value)) {
        continue;
      }
      if (m.value.IsArray() && m.name.GetStringLength() == 6 &&
          std::memcmp(m.name.GetString(), "coding", 6) == 0) {
        unmapped += map_concept(m.value, lookups, a) ? 1 : 0;
      } else {
        unmapped += map_read_codes(m.value, lookups, a, depth + 1);
      }
    }
  } else if (v.IsArray()) {
    for (auto& e : v.GetArray()) {
      if (nested(e)) {
        unmapped += map_read_codes(e, lookups, a, depth + 1);
      }
    }
  }
  return unmapped;
}

bool guid_shaped(std::string_view s) {
  if (s.size() != 36) {
    return false;
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') {
        return false;
      }
    } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

identity::IncomingIdentity identity_from_patient(const rapidjson::Value& patient,
                                                 const OdsCode& source, std::string_view local_guid,
                                                 std::string_view message_id,
                                                 std::string_view where,
                                                 std::vector<std::string>& warnings) {
  identity::IncomingIdentity in{source};
  in.message_id = std::string(message_id);
  if (!local_guid.empty()) {
    in.local_id =
        store::LocalId{source, store::LocalIdType::kEmisPatientGuid, std::string(local_guid)};
  }
  fhir::PatientView p(patient);
  if (auto n = p.nhs_number()) {
    if (n->number) {
      in.match.nhs_number = n->number;
      in.match.nhs_status = n->verification.value_or(VerificationStatus::kPresentNotTraced);
    } else {
      warnings.push_back(std::string(where) +
                         ".identifier: the NHS number is not valid (Modulus 11); the patient is "
                         "identified by demographics");
    }
  }
  for (auto g : p.given()) {
    in.match.given.emplace_back(g);
  }
  in.match.family = std::string(p.family());
  if (auto names = patient.FindMember("name");
      names != patient.MemberEnd() && names->value.IsArray()) {
    for (const auto& n : names->value.GetArray()) {
      std::string_view use = str_of(n, "use");
      std::string_view family = str_of(n, "family");
      if ((use == "old" || use == "maiden") && !family.empty()) {
        in.match.previous_families.emplace_back(family);
      }
    }
  }
  if (std::string_view bd = p.birth_date(); !bd.empty()) {
    if (auto d = identity::parse_date(bd)) {
      in.match.birth_date = *d;
    }
  }
  in.match.gender = std::string(p.gender());
  in.match.postcode = std::string(p.postcode());
  if (auto addrs = patient.FindMember("address");
      addrs != patient.MemberEnd() && addrs->value.IsArray() && !addrs->value.Empty()) {
    const auto& addr = addrs->value[0];
    if (auto lines = addr.FindMember("line"); lines != addr.MemberEnd() && lines->value.IsArray()) {
      for (const auto& l : lines->value.GetArray()) {
        if (l.IsString()) {
          in.address_lines.emplace_back(l.GetString(), l.GetStringLength());
        }
      }
    }
    for (const char* part : {"city", "district"}) {
      if (std::string_view v = str_of(addr, part); !v.empty()) {
        in.address_lines.emplace_back(v);
      }
    }
  }
  if (auto tel = patient.FindMember("telecom");
      tel != patient.MemberEnd() && tel->value.IsArray()) {
    for (const auto& t : tel->value.GetArray()) {
      store::ContactPoint cp{std::string(str_of(t, "system")), std::string(str_of(t, "value")),
                             std::string(str_of(t, "use"))};
      if (!cp.value.empty()) {
        in.telecom.push_back(std::move(cp));
      }
    }
  }
  return in;
}

}  // namespace detail

std::string to_r4_bundle(const ingest::TranslatedMessage& message) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("resourceType", "Bundle", a);
  std::string id = detail::derived_id("tr-", message.sender_message_id + "|" + message.kind);
  doc.AddMember("id", rapidjson::Value(id.c_str(), a), a);
  doc.AddMember("type", "collection", a);
  rapidjson::Value entries(rapidjson::kArrayType);
  for (const auto& r : message.resources) {
    if (r.deleted || r.json.empty()) {
      continue;
    }
    auto parsed = fhir::parse_json(r.json);
    if (!parsed) {
      continue;  // our own output: always parses
    }
    rapidjson::Value res;
    res.CopyFrom(*parsed, a);
    rapidjson::Value entry(rapidjson::kObjectType);
    entry.AddMember("resource", res, a);
    entries.PushBack(entry, a);
  }
  doc.AddMember("entry", entries, a);
  return fhir::to_json(doc, true) + "\n";
}

}  // namespace gw::adapters::emis
