// The HL7 v2 translation: checks the header (MSH-9 type and event, MSH-10, MSH-12), then writes
// the Patient, the visit or the results the event carries, and the merges of A34/A40.
#include "adapters/hl7v2/translate.hpp"

#include <algorithm>
#include <array>

#include "adapters/hl7v2/detail.hpp"

namespace gw::adapters::hl7v2 {
namespace {

using detail::at;
using detail::Ctx;
using detail::located;

constexpr std::array<std::string_view, 14> kEvents{
    "ADT^A01", "ADT^A02", "ADT^A03", "ADT^A04", "ADT^A05", "ADT^A08", "ADT^A11",
    "ADT^A12", "ADT^A13", "ADT^A28", "ADT^A31", "ADT^A34", "ADT^A40", "ORU^R01"};

/** has_visit: the ADT events that are about a hospital visit (PV1 carries it). */
bool has_visit(std::string_view trigger) {
  constexpr std::array<std::string_view, 9> kVisit{"A01", "A02", "A03", "A04", "A05",
                                                   "A08", "A11", "A12", "A13"};
  return std::find(kVisit.begin(), kVisit.end(), trigger) != kVisit.end();
}

Result<void> check_header(const Message& m, Ctx& c) {
  const Segment& msh = *m.find("MSH");
  const Text type_text = m.value(m.raw(msh, 9, 1, 1));
  const std::string_view type = type_text.view();
  c.trigger = m.get(msh, 9, 1, 2);
  if (type.empty()) {
    return located(at("MSH", 9, 1), "required field missing (message type)");
  }
  if (type != "ADT" && type != "ORU") {
    return located(at("MSH", 9, 1), "unsupported message type (ADT and ORU are accepted)");
  }
  if (c.trigger.empty()) {
    return located(at("MSH", 9, 2), "required field missing (trigger event)");
  }
  c.event = cat(type, "^", c.trigger);
  if (!supported_event(c.event)) {
    return located(at("MSH", 9, 2), "unsupported event " + c.event);
  }
  c.out.event = c.event;
  c.out.kind = type == "ORU" ? "result" : "adt";
  c.out.sender_message_id = m.get(msh, 10);
  if (c.out.sender_message_id.empty()) {
    return located(at("MSH", 10), "required field missing (message control id)");
  }
  const Text version_text = m.value(m.raw(msh, 12, 1, 1));
  const std::string_view version = version_text.view();
  if (version.empty()) {
    return located(at("MSH", 12), "required field missing (version id)");
  }
  if (!version.starts_with("2.")) {
    return located(at("MSH", 12), "unsupported version id (HL7 v2.x only)");
  }
  constexpr std::array<std::string_view, 5> kTested{"2.3", "2.3.1", "2.4", "2.5", "2.5.1"};
  if (std::find(kTested.begin(), kTested.end(), version) == kTested.end()) {
    c.out.warnings.push_back(
        cat("MSH-12: version ", version, " read as 2.5.1 (2.3 to 2.5.1 are supported)"));
  }
  return {};
}

/** merges: A40/A34 merge requests, one per PID/MRG pair: MRG-1 (superseded) into PID-3. */
Result<void> merges(Ctx& c) {
  const int pairs = c.m.count("MRG");
  if (pairs == 0) {
    return located(Location{"MRG"}, "required segment missing");
  }
  for (int k = 1; k <= pairs; ++k) {
    const Segment* pid = c.m.find("PID", k);
    const Segment* mrg = c.m.find("MRG", k);
    if (pid == nullptr) {
      return located(Location{"PID", k}, "required segment missing (one PID per MRG)");
    }
    const std::string survivor = detail::local_mrn(c, *pid, 3);
    const std::string superseded = detail::local_mrn(c, *mrg, 1);
    if (survivor.empty()) {
      return located(at("PID", 3, 0, k), "required field missing (hospital number, type MR)");
    }
    if (superseded.empty()) {
      return located(at("MRG", 1, 0, k), "required field missing (prior hospital number, type MR)");
    }
    c.out.merges.push_back({store::LocalId{c.sender, store::LocalIdType::kHospitalMrn, survivor},
                            store::LocalId{c.sender, store::LocalIdType::kHospitalMrn, superseded},
                            "HL7 " + c.event + " from " + c.sender.str()});
  }
  return {};
}

}  // namespace

bool supported_event(std::string_view event) {
  return std::find(kEvents.begin(), kEvents.end(), event) != kEvents.end();
}

Result<ingest::TranslatedMessage> translate_message(const Message& m, const OdsCode& sender,
                                                    const mapping::Mapper& mapper) {
  ingest::TranslatedMessage out;
  out.resources.reserve(4);  // Patient, Encounter and one or two Locations: no regrowth
  Ctx c{m, sender, mapper, {}, {}, {}, out};
  detail::bind_rules(c);
  if (auto r = check_header(m, c); !r) {
    return r.error();
  }
  if (auto r = detail::write_patient(c); !r) {
    return r.error();
  }
  if (c.event == "ORU^R01") {
    if (auto r = detail::write_results(c); !r) {
      return r.error();
    }
  } else if (has_visit(c.trigger)) {
    if (auto r = detail::write_visit(c); !r) {
      return r.error();
    }
  } else if (c.trigger == "A34" || c.trigger == "A40") {
    if (auto r = merges(c); !r) {
      return r.error();
    }
  }
  return out;
}

}  // namespace gw::adapters::hl7v2
