// PV1 (with EVN and PV2) to a UK Core Encounter and the Location resources it names. The
// Encounter's id is the visit number (PV1-19), so every event about one visit upserts the same
// resource; A11 (cancel admit) withdraws it, A12/A13 (cancel transfer/discharge) put it back.
#include <array>
#include <optional>
#include <span>

#include "adapters/hl7v2/detail.hpp"
#include "gateway/mapping/mapping_set.hpp"

namespace gw::adapters::hl7v2::detail {
namespace {

/** kParticipationTypeStart: Encounter.participant.type up to its code (v3 ParticipationType). */
constexpr std::string_view kParticipationTypeStart =
    R"([{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":")";
constexpr std::string_view kDischargeMethodExtension =
    "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-DischargeMethod";

/** status_for: the Encounter.status an event means (A08: read from the visit's own dates). */
std::string_view status_for(const Ctx& c, const Segment& pv1) {
  const std::string_view t = c.trigger;
  if (t == "A03") {
    return "finished";
  }
  if (t == "A04") {
    return "arrived";
  }
  if (t == "A05") {
    return "planned";
  }
  if (t == "A08") {
    if (!c.m.raw(pv1, 45).empty()) {
      return "finished";
    }
    return c.m.raw(pv1, 44).empty() ? "planned" : "in-progress";
  }
  return "in-progress";  // A01, A02, A12 (transfer undone), A13 (discharge undone)
}

/** Place: one PV1 location (PL) as read: its parts (point of care, room, bed, facility: views of
 * the message or decoded), the ward's display name where a trust's map gives one, and where its
 * Location resource is in the output (its id is that resource's). */
struct Place {
  std::array<Text, 4> parts;
  std::string_view ward_name;  // in the mapping set
  std::size_t resource = 0;
  bool present = false;

  /** joined: the parts that were sent, with `sep` between them, as up to seven pieces. */
  [[nodiscard]] std::size_t joined(std::string_view sep,
                                   std::array<std::string_view, 7>& out) const {
    std::size_t n = 0;
    for (const Text& t : parts) {
      if (!t.empty()) {
        if (n > 0) {
          out[n++] = sep;
        }
        out[n++] = t.view();
      }
    }
    return n;
  }
  /** name: the display name, as pieces: the ward's mapped name, else the parts joined by ' '. */
  [[nodiscard]] std::span<const std::string_view> name(
      std::array<std::string_view, 7>& pieces) const {
    if (!ward_name.empty()) {
      pieces[0] = ward_name;
      return {pieces.data(), 1};
    }
    return {pieces.data(), joined(" ", pieces)};
  }
};

/** write_location: a Location for a PL field (point of care ^ room ^ bed ^ facility), or an
 * empty Place when the field is empty. The ward (PL-2 by default) goes through a trust's "ward"
 * map when it has one, for the display name. */
Place write_location(Ctx& c, const Segment& pv1, int field) {
  Place p;
  const Components pl = c.m.components(pv1, field);
  for (std::size_t k = 0; k < p.parts.size(); ++k) {
    p.parts[k] = c.m.value(pl.raw(static_cast<int>(k) + 1, 1));
    p.present = p.present || !p.parts[k].empty();
  }
  if (!p.present) {
    return p;
  }
  const ValueMaps ward_maps = field == 3 ? value_maps(c, "ward") : ValueMaps{};
  if (ward_maps.effective() != nullptr) {
    const Location where = value_location(ward_maps, at("PV1", 3, 2));
    const Text ward = read_at(c.m, where);
    if (!ward.empty()) {
      mapping::Mapped miss;
      const auto v = value(c, ward_maps, "ward", ward.view(), {}, miss);
      if (v.mapped && !v.coding.display.empty()) {
        p.ward_name = v.coding.display;  // a hit: the mapping set's own text
      }
    }
  }
  std::array<std::string_view, 7> key{};
  const std::span<const std::string_view> key_parts(key.data(), p.joined("-", key));
  std::string id = fhir_id("loc-", key_parts);
  Out o(1024);  // a Location is about 550 bytes
  o.begin();
  o.constant("resourceType", "Location");
  o.field("id", id);
  o.profile("https://fhir.hl7.org.uk/StructureDefinition/UKCore-Location");
  o.array("identifier");
  o.begin();
  o.field("system", {"urn:caregw:id:", c.sender.str(), ":location"});
  o.field("value", key_parts);
  o.end();
  o.end_array();
  o.constant("status", "active");
  std::array<std::string_view, 7> name{};
  o.field("name", p.name(name));
  o.constant("mode", "instance");
  const bool bed = !pl.raw(3).empty();
  o.concept_of("physicalType", "http://terminology.hl7.org/CodeSystem/location-physical-type",
               bed ? "bd" : "wa", bed ? "Bed" : "Ward");
  o.ods_identifier("managingOrganization", c.sender.str());
  o.end();
  p.resource = c.out.resources.size();
  c.out.resources.push_back({"Location", std::move(id), o.take(), false});
  return p;
}

void write_class(Out& o, const Ctx& c, std::string_view code) {
  mapping::Mapped miss;  // without a mapping set: the code as sent, in HL7 table 0004
  if (c.mapper.set() == nullptr) {
    miss.coding = {"http://terminology.hl7.org/CodeSystem/v2-0004", std::string(code), ""};
  }
  const ValueRef v = c.mapper.set() != nullptr ? value(c, "encounter_class", code, {}, miss)
                                               : ValueRef{miss.coding, false};
  o.begin("class");
  o.opt("system", v.coding.system);
  o.field("code", v.coding.code);
  o.opt("display", v.coding.display);
  o.end();
}

void write_participants(Out& o, const Ctx& c, const Segment& pv1) {
  bool open = false;
  for (auto [field, type] :
       {std::pair{7, "ATND"}, std::pair{17, "ADM"}, std::pair{8, "REF"}, std::pair{9, "CON"}}) {
    const Components xcn = c.m.components(pv1, field);
    const Text id = c.m.value(xcn.raw(1));
    if (id.empty()) {
      continue;
    }
    if (!open) {
      o.array("participant");
      open = true;
    }
    o.begin();
    o.raw_field("type", kParticipationTypeStart, type, R"("}]}])");
    o.begin("individual");
    o.constant("type", "Practitioner");
    o.begin("identifier");
    practitioner_system(o, c, xcn.raw(9));
    o.field("value", id.view());
    o.end();
    xcn_display(o, c.m, xcn);
    o.end();
    o.end();
  }
  if (open) {
    o.end_array();
  }
}

Result<void> write_period(Out& o, const Ctx& c, const Segment& pv1, std::string_view status) {
  auto start = datetime(c, pv1, 44, "PV1");
  if (!start) {
    return start.error();
  }
  auto end = datetime(c, pv1, 45, "PV1");
  if (!end) {
    return end.error();
  }
  if (status != "finished") {
    end->clear();  // A13 cancels the discharge: the visit is open again
  }
  if (start->empty() && end->empty()) {
    return {};
  }
  o.begin("period");
  o.opt("start", *start);
  o.opt("end", *end);
  o.end();
  return {};
}

/** MappedCode: a code read where a value map says, as mapped: views into the mapping set, or
 * into what it holds itself (the code as read, a miss as Mapper::value gave it). Filled in
 * place by mapped_code and never moved. */
struct MappedCode {
  std::string_view system;
  std::string_view code;
  std::string_view display;
  Text read;
  mapping::Mapped miss;
};

/** mapped_code: a value map's code, read where the mapping says (or at `fallback`), into `out`;
 * false when there is none. Maps the mapping set does not have give nothing unless
 * `native_system` is set: then the code is kept as sent in that system. */
bool mapped_code(const Ctx& c, std::string_view map, Location fallback,
                 std::string_view native_system, MappedCode& out) {
  const ValueMaps maps = value_maps(c, map);
  const Location where = value_location(maps, std::move(fallback));
  if (where.segment.empty() || where.field == 0) {
    return false;
  }
  out.read = read_at(c.m, where);
  if (out.read.empty()) {
    return false;
  }
  if (maps.effective() != nullptr) {
    // Mapper::value's answer: a hit read in place, a miss counted and held in out.miss.
    const ValueRef v = value(c, maps, map, out.read.view(), {}, out.miss);
    out.system = v.coding.system;
    out.code = v.coding.code;
    out.display = v.coding.display;
    return true;
  }
  if (native_system.empty()) {
    return false;
  }
  out.system = native_system;
  out.code = out.read.view();
  return true;
}

void write_hospitalization(Out& o, const Ctx& c, std::string_view status) {
  MappedCode source;
  MappedCode destination;
  const bool has_source = mapped_code(c, "admit_source", at("PV1", 14),
                                      "urn:caregw:codes:nhs-dd:source-of-admission", source);
  const bool has_destination =
      status == "finished" &&
      mapped_code(c, "discharge_destination", at("PV1", 36),
                  "urn:caregw:codes:nhs-dd:discharge-destination", destination);
  if (!has_source && !has_destination) {
    return;
  }
  o.begin("hospitalization");
  if (has_source) {
    o.concept_of("admitSource", source.system, source.code, source.display);
  }
  if (has_destination) {
    o.concept_of("dischargeDisposition", destination.system, destination.code, destination.display);
  }
  o.end();
}

void write_discharge_method(Out& o, const Ctx& c, std::string_view status) {
  if (status != "finished") {
    return;
  }
  const ValueMaps maps = value_maps(c, "discharge_method");
  if (maps.effective() == nullptr) {
    return;
  }
  const Location where = value_location(maps, Location{});
  const Text code = where.field > 0 ? read_at(c.m, where) : Text{};
  if (code.empty()) {
    return;
  }
  mapping::Mapped miss;
  const auto v = value(c, maps, "discharge_method", code.view(), {}, miss);
  o.array("extension");
  o.begin();
  o.constant("url", kDischargeMethodExtension);
  o.concept_of("valueCodeableConcept", v.coding.system, v.coding.code, v.coding.display);
  o.end();
  o.end_array();
}

void write_locations(Out& o, Ctx& c, const Segment& pv1) {
  const Place now = write_location(c, pv1, 3);
  const Place before = c.trigger == "A02" ? write_location(c, pv1, 6) : Place{};
  if (!now.present && !before.present) {
    return;
  }
  o.array("location");
  for (const auto* p : {&now, &before}) {
    if (!p->present) {
      continue;
    }
    // Out::reference's shape, with the display written from its pieces.
    o.begin();
    o.begin("location");
    o.field("reference", {"Location", "/", c.out.resources[p->resource].id});
    std::array<std::string_view, 7> pieces{};
    if (const auto name = p->name(pieces); !name.empty()) {
      o.field("display", name);
    }
    o.end();
    o.field("status", p == &now ? "active" : "completed");
    o.end();
  }
  o.end_array();
}

}  // namespace

Result<void> write_visit(Ctx& c) {
  const Segment* pv1 = c.m.find("PV1");
  const bool optional = c.trigger == "A08";
  if (pv1 == nullptr) {
    return optional ? Result<void>{} : located(Location{"PV1"}, "required segment missing");
  }
  std::string visit = c.m.get(*pv1, 19, 1, 1);
  if (visit.empty()) {
    visit = c.m.get(*pv1, 5, 1, 1);  // preadmit number, for A05 before a visit number exists
  }
  const std::string patient_class = c.m.get(*pv1, 2);
  if (optional && (visit.empty() || patient_class.empty() || patient_class == "N")) {
    return {};  // an A08 about the person only
  }
  if (visit.empty()) {
    return located(at("PV1", 19), "required field missing (visit number)");
  }
  const std::string id = fhir_id("enc-", visit);
  if (c.trigger == "A11") {
    c.out.resources.push_back({"Encounter", id, {}, true});
    return {};
  }
  if (patient_class.empty()) {
    return located(at("PV1", 2), "required field missing (patient class)");
  }
  const std::string_view status = status_for(c, *pv1);
  Out o;
  o.begin();
  o.constant("resourceType", "Encounter");
  o.field("id", id);
  o.profile("https://fhir.hl7.org.uk/StructureDefinition/UKCore-Encounter");
  write_discharge_method(o, c, status);
  o.array("identifier");
  o.begin();
  o.field("system", {"urn:caregw:id:", c.sender.str(), ":visit-number"});
  o.field("value", visit);
  o.end();
  o.end_array();
  o.field("status", status);
  write_class(o, c, patient_class);
  if (const ValueMaps maps = value_maps(c, "specialty"); maps.effective() != nullptr) {
    const Text service = read_at(c.m, value_location(maps, at("PV1", 10)));
    if (!service.empty()) {
      mapping::Mapped miss;
      const auto v = value(c, maps, "specialty", service.view(), {}, miss);
      o.concept_of("serviceType", v.coding.system, v.coding.code, v.coding.display);
    }
  }
  o.reference("subject", "Patient", c.patient_id, {});
  write_participants(o, c, *pv1);
  if (auto r = write_period(o, c, *pv1, status); !r) {
    return r.error();
  }
  write_hospitalization(o, c, status);
  write_locations(o, c, *pv1);
  o.ods_identifier("serviceProvider", c.sender.str());
  o.end();
  c.out.resources.push_back({"Encounter", id, o.take(), false});
  return {};
}

}  // namespace gw::adapters::hl7v2::detail
