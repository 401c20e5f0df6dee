// gather_patient_context and open_cases (context.hpp).
#include "gateway/record/context.hpp"

#include <algorithm>
#include <iterator>

#include "gateway/identity/patient_resource.hpp"
#include "gateway/record/facts.hpp"

namespace gw::record {
namespace {

/** read_type: every current record of one type for the person (one store page at most). */
Result<std::vector<store::StoredRecord>> read_type(store::RecordReader& r, store::PersonId person,
                                                   std::string type) {
  store::RecordQuery q;
  q.resource_type = std::move(type);
  q.limit = store::kMaxRecordPage;
  auto page = r.read(person, q);
  if (!page) {
    return page.error();
  }
  return std::move(page->records);
}

}  // namespace

Result<policy::PatientContext> gather_patient_context(const config::Config& config,
                                                      store::RecordReader& records,
                                                      const store::PersonView& person) {
  std::vector<store::StoredRecord> stored;
  for (const char* type : {"Encounter", "EpisodeOfCare", "Consent"}) {
    auto part = read_type(records, person.person.id, type);
    if (!part) {
      return part.error();
    }
    std::move(part->begin(), part->end(), std::back_inserter(stored));
  }
  rapidjson::MemoryPoolAllocator<> pool;
  std::vector<Entry> entries;
  entries.reserve(stored.size());
  for (const auto& r : stored) {
    auto e = make_entry(r, nullptr, &pool);
    if (!e) {
      return e.error();
    }
    entries.push_back(std::move(*e));
  }
  auto patient = patient_context(person, config, entries);
  // The engine's key for the patient (and the break-glass registry's): the Patient's id.
  patient.nhs_number = identity::patient_id(person.person);
  return patient;
}

std::vector<OdsCode> open_cases(const policy::PatientContext& patient) {
  std::vector<OdsCode> out;
  for (const auto& e : patient.episodes) {
    if (!e.open || (e.kind != policy::EpisodeKind::kSocialCareCase &&
                    e.kind != policy::EpisodeKind::kMentalHealthEpisode)) {
      continue;
    }
    auto ods = OdsCode::parse(e.org);
    if (ods && std::find(out.begin(), out.end(), *ods) == out.end()) {
      out.push_back(*ods);
    }
  }
  return out;
}

}  // namespace gw::record
