// The per-adapter schemas of target elements (what each native format can carry into FHIR R4).
#include "gateway/mapping/schema.hpp"

#include <algorithm>
#include <array>

namespace gw::mapping {
namespace {

using SV = std::string_view;

// HL7 v2 ADT: PID-8 sex, PID-16 marital status, PID-22 ethnic group, PV1-2 patient class,
// PV1-3 assigned location (ward), PV1-10 hospital service (specialty), PV1-36 discharge
// disposition / destination, and the trust's discharge method (a Z segment or PV1-36 by site).
constexpr std::array<SV, 9> kAcute{"Patient.gender",
                                   "Patient.maritalStatus",
                                   "Patient.extension:ethnicCategory",
                                   "Encounter.class",
                                   "Encounter.location",
                                   "Encounter.serviceType",
                                   "Encounter.hospitalization.dischargeDisposition",
                                   "Encounter.extension:dischargeMethod",
                                   "Encounter.hospitalization.admitSource"};
// EMIS extracts: demographics, consultations, and the coded entries (Read v2 / SNOMED CT).
constexpr std::array<SV, 7> kEmis{
    "Patient.gender",  "Patient.maritalStatus", "Patient.extension:ethnicCategory",
    "Encounter.class", "Encounter.type",        "Condition.code",
    "Observation.code"};
// LAS: person, service packages (CLD Service_Type), assessments.
constexpr std::array<SV, 6> kLas{"Patient.gender",
                                 "Patient.maritalStatus",
                                 "Patient.extension:ethnicCategory",
                                 "EpisodeOfCare.type",
                                 "Task.code",
                                 "Encounter.class"};
// Mental health trust: demographics, contacts, inpatient spells, CPA episodes.
constexpr std::array<SV, 8> kMentalHealth{"Patient.gender",
                                          "Patient.maritalStatus",
                                          "Patient.extension:ethnicCategory",
                                          "Encounter.class",
                                          "Encounter.serviceType",
                                          "Encounter.hospitalization.dischargeDisposition",
                                          "Encounter.extension:dischargeMethod",
                                          "EpisodeOfCare.type"};
// Ambulance ePCR: the patient as assessed on scene, the incident and its outcome.
constexpr std::array<SV, 4> kAmbulance{"Patient.gender", "Encounter.class",
                                       "Encounter.hospitalization.dischargeDisposition",
                                       "Condition.code"};

}  // namespace

std::span<const std::string_view> target_elements(Adapter adapter) {
  switch (adapter) {
    case Adapter::kAcute:
      return kAcute;
    case Adapter::kEmis:
      return kEmis;
    case Adapter::kLas:
      return kLas;
    case Adapter::kMentalHealth:
      return kMentalHealth;
    case Adapter::kAmbulance:
      return kAmbulance;
  }
  return {};
}

bool is_target_element(Adapter adapter, std::string_view element) {
  const auto list = target_elements(adapter);
  return std::find(list.begin(), list.end(), element) != list.end();
}

}  // namespace gw::mapping
