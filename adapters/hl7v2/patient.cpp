// PID and PD1 to a UK Core Patient and to the IncomingIdentity the MPI matches on: identifiers by
// the mapping's identifier rules (mappings/acute/hl7v2.yaml), names, birth date, gender, address,
// telecom, marital status, ethnic category, death, and the registered GP and practice.
#include <algorithm>
#include <cstdint>
#include <cstdio>

#include <boost/container/small_vector.hpp>

#include "adapters/hl7v2/detail.hpp"
#include "gateway/identity/mpi_service.hpp"
#include "gateway/identity/nhs_number.hpp"
#include "gateway/identity/normalise.hpp"
#include "gateway/mapping/mapping_set.hpp"

namespace gw::adapters::hl7v2::detail {
namespace {

constexpr std::string_view kVerificationExtension =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus";
constexpr std::string_view kVerificationSystem =
    "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland";
constexpr std::string_view kEthnicExtension =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory";

/** default_rules: mappings/acute/hl7v2.yaml's identifier rules, used when no mapping set is
 * loaded (caregw translate without mappings): the same HL7 UK reading either way. */
std::vector<mapping::IdentifierRule> default_rules() {
  mapping::IdentifierRule nhs;
  nhs.id = "nhs_number";
  nhs.element = "PID-3";
  nhs.type_codes = {"NH", "HN", ""};
  nhs.assigning_authority = "NHS";
  nhs.system = std::string(kNhsNumberSystem);
  mapping::IdentifierRule mrn;
  mrn.id = "mrn";
  mrn.element = "PID-3";
  mrn.type_codes = {"MR"};
  mrn.system = "urn:caregw:id:{ods}:mrn";
  return {nhs, mrn};
}

/** hex_hash: FNV-1a (64 bit) in hex: a stable, opaque id part. */
std::string hex_hash(std::string_view text) {
  std::uint64_t h = 14695981039346656037ULL;
  for (char ch : text) {
    h ^= static_cast<unsigned char>(ch);
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

/** iequals: equal ignoring ASCII case (what std::toupper does in the "C" locale, which the
 * gateway never changes), without a library call per character. */
bool iequals(std::string_view a, std::string_view b) {
  const auto upper = [](char x) { return x >= 'a' && x <= 'z' ? static_cast<char>(x - 32) : x; };
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [&upper](char x, char y) { return upper(x) == upper(y); });
}

/** Rules: the identifier rules that apply to a sender, in order (pointers into the mapping set,
 * which outlives the translation); a handful, held inline. */
using Rules = boost::container::small_vector<const mapping::IdentifierRule*, 8>;

/** Cx: one identifier repetition (CX) as read, and the rule that claimed it. */
struct Cx {
  int rep = 0;
  Text value;
  Text authority;  // CX-4.1
  const mapping::IdentifierRule* rule = nullptr;
};

/** Cxs: the identifiers of one CX field (an NHS number and an MRN, mostly), held inline. */
using Cxs = boost::container::small_vector<Cx, 4>;

bool rule_matches(const mapping::IdentifierRule& r, int rep, std::string_view type,
                  std::string_view authority) {
  if (r.repetition != 0 && r.repetition != rep) {
    return false;
  }
  const bool type_ok = std::any_of(r.type_codes.begin(), r.type_codes.end(),
                                   [&](const std::string& t) { return iequals(t, type); });
  return type_ok && (r.assigning_authority.empty() || iequals(r.assigning_authority, authority));
}

/** identifiers: every repetition of a CX field matched against the rules (first rule wins). */
Cxs identifiers(const Ctx& c, const Segment& s, int field, const Rules& rules) {
  Cxs out;
  const int reps = c.m.repetitions(s, field);
  for (int r = 1; r <= reps; ++r) {
    const Components x = c.m.components(s, field, r);
    Cx cx{r, c.m.value(x.raw(1)), c.m.value(x.raw(4, 1)), nullptr};
    if (cx.value.empty()) {
      continue;
    }
    const Text type = c.m.value(x.raw(5));
    for (const mapping::IdentifierRule* rule : rules) {
      if (rule->element == "PID-3" && rule_matches(*rule, r, type.view(), cx.authority.view())) {
        cx.rule = rule;
        break;
      }
    }
    out.push_back(std::move(cx));
  }
  return out;
}

/** rules_for: MappingSet::identifier_rules for the sender (its overrides replace the adapter's
 * rule of the same id, in place; others are added), as pointers into the set rather than copies;
 * the default rules when the set has none. */
Rules rules_for(const Ctx& c) {
  Rules out;
  if (c.base_rules != nullptr) {
    for (const auto& r : c.base_rules->identifiers) {
      out.push_back(&r);
    }
    if (c.sender_rules != nullptr) {
      for (const auto& r : c.sender_rules->identifiers) {
        bool replaced = false;
        for (auto& existing : out) {
          if (existing->id == r.id) {
            existing = &r;
            replaced = true;
          }
        }
        if (!replaced) {
          out.push_back(&r);
        }
      }
    }
  }
  if (out.empty()) {
    static const std::vector<mapping::IdentifierRule> kDefault = default_rules();
    for (const auto& r : kDefault) {
      out.push_back(&r);
    }
  }
  return out;
}

/**
 * verification: the NHS number's verification status. HL7 UK (A.3, 3.5.2.32) carries the NHS
 * Number Tracing Status in PID-32 (Identity Reliability Code) as NSTSnn; some PAS send the bare
 * code. Without one, "02 present but not traced": a number nobody vouched for never links
 * records on its own (gateway/identity/MATCHING.md).
 */
VerificationStatus verification(const Ctx& c, const Segment& pid) {
  const int reps = c.m.repetitions(pid, 32);
  for (int r = 1; r <= reps; ++r) {
    std::string code = c.m.get(pid, 32, r, 1);
    for (std::string_view prefix : {"NSTS", "PDS"}) {
      if (code.size() > prefix.size() && iequals(code.substr(0, prefix.size()), prefix)) {
        code = code.substr(prefix.size());
      }
    }
    VerificationStatus s{};
    if (parse_verification_status(code, s)) {
      return s;
    }
  }
  return VerificationStatus::kPresentNotTraced;
}

void write_nhs_identifier(Out& o, const NhsNumber& n, VerificationStatus s) {
  o.begin();
  o.array("extension");
  o.begin();
  o.constant("url", kVerificationExtension);
  o.concept_of("valueCodeableConcept", kVerificationSystem, verification_code(s),
               verification_display(s));
  o.end();
  o.end_array();
  o.constant("system", kNhsNumberSystem);
  o.field("value", n.str());
  o.end();
}

std::string_view name_use(std::string_view type) {
  if (type == "L" || type.empty()) {
    return "official";
  }
  if (type == "M") {
    return "maiden";
  }
  if (type == "D") {
    return "usual";
  }
  if (type == "A" || type == "N") {
    return "nickname";
  }
  return type == "C" ? "old" : "usual";
}

struct Names {
  std::string family;
  std::vector<std::string> given;
  std::vector<std::string> previous;
};

Names write_names(Out& o, const Ctx& c, const Segment& pid) {
  Names first;
  const int reps = c.m.repetitions(pid, 5);
  if (reps == 0) {
    return first;
  }
  o.array("name");
  for (int r = 1; r <= reps; ++r) {
    const Components x = c.m.components(pid, 5, r);
    const Text family = c.m.value(x.raw(1, 1));
    boost::container::small_vector<Text, 2> given;
    for (int comp : {2, 3}) {
      if (Text g = c.m.value(x.raw(comp)); !g.empty()) {
        given.push_back(std::move(g));
      }
    }
    if (family.empty() && given.empty()) {
      continue;
    }
    const std::string_view use = name_use(x.raw(7));
    o.begin();
    o.field("use", use);
    o.opt("family", family.view());
    if (!given.empty()) {
      o.array("given");
      for (const auto& g : given) {
        o.str(g.view());
      }
      o.end_array();
    }
    for (auto [comp, key] : {std::pair{5, "prefix"}, std::pair{4, "suffix"}}) {
      if (const Text v = c.m.value(x.raw(comp)); !v.empty()) {
        o.array(key);
        o.str(v.view());
        o.end_array();
      }
    }
    o.end();
    if (use == "official" && first.family.empty() && first.given.empty()) {
      first.family = family.str();
      first.given.reserve(given.size());
      for (auto& g : given) {
        first.given.push_back(std::move(g).str());
      }
    } else if (use == "maiden" || use == "old") {
      first.previous.push_back(family.str());
    }
  }
  o.end_array();
  return first;
}

std::string_view address_use(std::string_view type) {
  if (type == "H" || type == "L" || type == "P") {
    return "home";
  }
  if (type == "B" || type == "O") {
    return "work";
  }
  if (type == "C") {
    return "temp";
  }
  return {};
}

/** write_addresses: PID-11 (XAD); returns the first home address's lines and postcode. */
std::pair<std::vector<std::string>, std::string> write_addresses(Out& o, const Ctx& c,
                                                                 const Segment& pid) {
  std::pair<std::vector<std::string>, std::string> first;
  const int reps = c.m.repetitions(pid, 11);
  bool open = false;
  for (int r = 1; r <= reps; ++r) {
    const Components x = c.m.components(pid, 11, r);
    boost::container::small_vector<Text, 2> lines;
    for (int comp : {1, 2}) {
      if (Text l = c.m.value(x.raw(comp, 1)); !l.empty()) {
        lines.push_back(std::move(l));
      }
    }
    const Text city = c.m.value(x.raw(3));
    const Text district = c.m.value(x.raw(4));
    const Text postcode = c.m.value(x.raw(5));
    const Text country = c.m.value(x.raw(6));
    if (lines.empty() && city.empty() && district.empty() && postcode.empty()) {
      continue;
    }
    if (!open) {
      o.array("address");
      open = true;
    }
    o.begin();
    o.opt("use", address_use(x.raw(7)));
    if (!lines.empty()) {
      o.array("line");
      for (const auto& l : lines) {
        o.str(l.view());
      }
      o.end_array();
    }
    o.opt("city", city.view());
    o.opt("district", district.view());
    o.opt("postalCode", postcode.view());
    o.opt("country", country.view());
    o.end();
    if (first.first.empty() && first.second.empty()) {
      std::vector<std::string> all;
      all.reserve(lines.size() + 2);
      for (const auto& l : lines) {
        all.push_back(l.str());
      }
      for (const Text* extra : {&city, &district}) {
        if (!extra->empty()) {
          all.push_back(extra->str());
        }
      }
      first = {std::move(all), postcode.str()};
    }
  }
  if (open) {
    o.end_array();
  }
  return first;
}

/** write_telecom: PID-13 (home) and PID-14 (work), XTN. */
std::vector<store::ContactPoint> write_telecom(Out& o, const Ctx& c, const Segment& pid) {
  std::vector<store::ContactPoint> all;
  for (auto [field, default_use] : {std::pair{13, "home"}, std::pair{14, "work"}}) {
    const int reps = c.m.repetitions(pid, field);
    for (int r = 1; r <= reps; ++r) {
      const Components x = c.m.components(pid, field, r);
      const std::string_view use_code = x.raw(2);
      const std::string_view equipment = x.raw(3);
      store::ContactPoint cp;
      if (use_code == "NET" || equipment == "Internet" || equipment == "X.400") {
        cp.system = "email";
        cp.value = c.m.text(x.raw(4));
      } else {
        cp.system = equipment == "FX" ? "fax" : "phone";
        cp.value = c.m.text(x.raw(1));
        if (cp.value.empty()) {
          cp.value = c.m.text(x.raw(12));  // XTN-12 unformatted number (2.5)
        }
        cp.use = equipment == "CP" ? "mobile" : default_use;
      }
      if (!cp.value.empty()) {
        all.push_back(std::move(cp));
      }
    }
  }
  if (!all.empty()) {
    o.array("telecom");
    for (const auto& cp : all) {
      o.begin();
      o.field("system", cp.system);
      o.field("value", cp.value);
      o.opt("use", cp.use);
      o.end();
    }
    o.end_array();
  }
  return all;
}

/** gender: PID-8 through the sex map; a code the map does not know is read as FHIR, HL7 0001
 * or NHS DD (identity::parse_gender) and kept as sent in a warning. */
identity::Gender write_gender(Out& o, Ctx& c, const Segment& pid) {
  const Text code = c.m.value(c.m.raw(pid, 8));
  if (code.empty()) {
    return identity::Gender::kUnknown;
  }
  mapping::Mapped miss;
  const auto mapped = value(c, "sex", code.view(), {}, miss);
  identity::Gender g =
      identity::parse_gender(mapped.mapped ? std::string_view(mapped.coding.code) : code.view());
  if (!mapped.mapped && c.mapper.set() != nullptr) {
    c.out.warnings.push_back("PID-8: sex code not in the mappings; read as " +
                             std::string(identity::gender_code(g)));
  }
  o.field("gender", identity::gender_code(g));
  return g;
}

void write_mapped_concept(Out& o, Ctx& c, const Segment& pid, int field, std::string_view map,
                          std::string_view key) {
  const Components x = c.m.components(pid, field);
  const Text code = c.m.value(x.raw(1));
  if (code.empty()) {
    return;
  }
  mapping::Mapped miss;
  const auto v = value(c, map, code.view(), c.m.value(x.raw(2)).view(), miss);
  o.concept_of(key, v.coding.system, v.coding.code, v.coding.display);
}

void write_ethnicity(Out& o, Ctx& c, const Segment& pid) {
  const Components x = c.m.components(pid, 22);
  const Text code = c.m.value(x.raw(1));
  if (code.empty()) {
    return;
  }
  mapping::Mapped miss;
  const auto v = value(c, "ethnic_category", code.view(), c.m.value(x.raw(2)).view(), miss);
  o.array("extension");
  o.begin();
  o.constant("url", kEthnicExtension);
  o.concept_of("valueCodeableConcept", v.coding.system, v.coding.code, v.coding.display);
  o.end();
  o.end_array();
}

/** write_gp: PD1-3 (practice, XON) and PD1-4 (GP, XCN) as generalPractitioner references. */
void write_gp(Out& o, Ctx& c) {
  const Segment* pd1 = c.m.find("PD1");
  if (pd1 == nullptr) {
    return;
  }
  const Components xon = c.m.components(*pd1, 3);
  const Components xcn = c.m.components(*pd1, 4);
  Text ods = c.m.value(xon.raw(10));  // XON-10 organisation identifier (2.5)
  if (ods.empty()) {
    ods = c.m.value(xon.raw(3));  // XON-3 ID number (2.3, 2.4)
  }
  const Text practice = c.m.value(xon.raw(1));
  const Text gp = c.m.value(xcn.raw(1));
  if (ods.empty() && gp.empty()) {
    return;
  }
  o.array("generalPractitioner");
  if (!ods.empty()) {
    o.begin();
    o.constant("type", "Organization");
    o.begin("identifier");
    o.constant("system", kOdsSystem);
    o.field("value", ods.view());
    o.end();
    o.opt("display", practice.view());
    o.end();
    if (auto code = OdsCode::parse(ods.view())) {
      c.out.registered_practice = *code;
    } else {
      c.out.warnings.push_back("PD1-3: the practice code is not an ODS code");
    }
  }
  if (!gp.empty()) {
    o.begin();
    o.constant("type", "Practitioner");
    o.begin("identifier");
    practitioner_system(o, c, xcn.raw(9));
    o.field("value", gp.view());
    o.end();
    xcn_display(o, c.m, xcn);
    o.end();
  }
  o.end_array();
}

Result<void> write_death(Out& o, const Ctx& c, const Segment& pid) {
  auto when = datetime(c, pid, 29, "PID");
  if (!when) {
    return when.error();
  }
  if (!when->empty()) {
    o.field("deceasedDateTime", *when);
  } else if (c.m.raw(pid, 30) == "Y") {
    o.boolean("deceasedBoolean", true);
  }
  return {};
}

/** Ids: the identifiers this message gives the patient. */
struct Ids {
  std::optional<NhsNumber> nhs;
  VerificationStatus status = VerificationStatus::kPresentNotTraced;
  std::string mrn;
  std::string mrn_system;
};

Result<Ids> read_ids(const Ctx& c, const Segment& pid, const Cxs& cxs) {
  Ids ids;
  for (const auto& cx : cxs) {
    if (cx.rule == nullptr) {
      continue;
    }
    if (cx.rule->id == "nhs_number" && !ids.nhs) {
      auto n = NhsNumber::parse(cx.value.view());
      if (!n) {
        return located(at("PID", 3, 1, 1, cx.rep),
                       "not a valid NHS number (" + n.error().detail + ")");
      }
      ids.nhs = *n;
    } else if (cx.rule->id == "mrn" && ids.mrn.empty()) {
      ids.mrn = cx.value.str();
      ids.mrn_system = mapping::identifier_system(*cx.rule, {}, c.sender.str());
    }
  }
  if (!ids.nhs && ids.mrn.empty()) {
    return located(at("PID", 3),
                   "required field missing: no identifier the mappings accept (an NHS number "
                   "with assigning authority NHS and type NH/HN, or a hospital number of type MR)");
  }
  if (ids.nhs) {
    ids.status = verification(c, pid);
  }
  return ids;
}

Result<std::optional<identity::Date>> birth_date(Out& o, const Ctx& c, const Segment& pid) {
  auto dob = datetime(c, pid, 7, "PID");
  if (!dob) {
    return dob.error();
  }
  if (dob->empty()) {
    return std::optional<identity::Date>{};
  }
  const std::string date = dob->substr(0, 10);
  o.field("birthDate", date);
  auto d = identity::parse_date(date);
  if (!d) {
    return located(at("PID", 7), "bad date");
  }
  return std::optional<identity::Date>{*d};
}

}  // namespace

std::string local_mrn(const Ctx& c, const Segment& s, int field) {
  const auto rules = rules_for(c);
  for (const auto& cx : identifiers(c, s, field, rules)) {
    if (cx.rule != nullptr && cx.rule->id == "mrn") {
      return cx.value.str();
    }
  }
  return {};
}

Result<void> write_patient(Ctx& c) {
  const Segment* pid = c.m.find("PID");
  if (pid == nullptr) {
    return located(Location{"PID"}, "required segment missing");
  }
  const auto rules = rules_for(c);
  const auto cxs = identifiers(c, *pid, 3, rules);
  auto ids = read_ids(c, *pid, cxs);
  if (!ids) {
    return ids.error();
  }
  // Without a hospital number the id comes from the NHS number, hashed: resource ids travel in
  // URLs and logs, where NHS numbers must not.
  c.patient_id = ids->mrn.empty() ? "pat-n" + hex_hash(ids->nhs->str()) : fhir_id("pat-", ids->mrn);
  if (ids->mrn.empty()) {
    c.out.warnings.push_back("PID-3: no hospital number (MR); the patient is filed by NHS number");
  }
  Out o;
  o.begin();
  o.constant("resourceType", "Patient");
  o.field("id", c.patient_id);
  o.profile("https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient");
  write_ethnicity(o, c, *pid);
  o.array("identifier");
  if (ids->nhs) {
    write_nhs_identifier(o, *ids->nhs, ids->status);
  }
  if (!ids->mrn.empty()) {
    o.begin();
    o.field("system", ids->mrn_system);
    o.field("value", ids->mrn);
    o.end();
  }
  o.end_array();
  identity::IncomingIdentity who{c.sender};
  Names names = write_names(o, c, *pid);
  auto telecom = write_telecom(o, c, *pid);
  who.match.gender = identity::gender_code(write_gender(o, c, *pid));
  auto dob = birth_date(o, c, *pid);
  if (!dob) {
    return dob.error();
  }
  if (auto r = write_death(o, c, *pid); !r) {
    return r.error();
  }
  auto [lines, postcode] = write_addresses(o, c, *pid);
  write_mapped_concept(o, c, *pid, 16, "marital_status", "maritalStatus");
  write_gp(o, c);
  o.end();
  c.out.resources.push_back({"Patient", c.patient_id, o.take(), false});

  who.match.nhs_number = ids->nhs;
  who.match.nhs_status = ids->status;
  who.match.family = std::move(names.family);
  who.match.given = std::move(names.given);
  who.match.previous_families = std::move(names.previous);
  who.match.birth_date = *dob;
  who.match.postcode = std::move(postcode);
  who.address_lines = std::move(lines);
  who.telecom = std::move(telecom);
  who.message_id = c.out.sender_message_id;
  // When the details held from: the event (EVN-6), else when it was recorded (EVN-2), else the
  // message time (MSH-7); so a late message never overrides newer details (the MPI orders by it).
  for (auto [seg, field] : {std::pair{"EVN", 6}, std::pair{"EVN", 2}, std::pair{"MSH", 7}}) {
    store::TimePoint when{};
    if (to_time_point(c.m.raw(seg, field), when)) {
      who.valid_from = when;
      break;
    }
  }
  if (!ids->mrn.empty()) {
    who.local_id = store::LocalId{c.sender, store::LocalIdType::kHospitalMrn, ids->mrn};
  }
  c.out.patient = std::move(who);
  return {};
}

}  // namespace gw::adapters::hl7v2::detail
