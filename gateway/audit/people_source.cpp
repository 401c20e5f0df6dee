// DirectoryAndMpi: users from the staff directory, patients from the MPI (people_source.hpp).
#include "gateway/audit/people_source.hpp"

#include "gateway/identity/nhs_number.hpp"
#include "gateway/identity/patient_resource.hpp"

namespace gw::audit {

std::optional<PersonFacts> DirectoryAndMpi::patient(std::string_view nhs_number) {
  auto number = NhsNumber::parse(nhs_number);
  if (!number) {
    return std::nullopt;
  }
  auto view = mpi_.find_by_nhs_number(*number);
  if (!view || !*view) {
    return std::nullopt;
  }
  const store::DemographicsVersion* shown = identity::shown_details(**view);
  if (shown == nullptr) {
    return std::nullopt;
  }
  PersonFacts f;
  f.surname = shown->data.family;
  f.postcode = shown->data.postcode;
  if (!shown->data.address_lines.empty()) {
    f.address_line = shown->data.address_lines.front();
  }
  return f;
}

std::optional<PersonFacts> DirectoryAndMpi::user(std::string_view user_id) {
  const config::StaffMember* m = staff_.find(user_id);
  if (m == nullptr) {
    ++users_not_found_;
    return std::nullopt;
  }
  return PersonFacts{m->family_name, m->postcode, m->address_line};
}

std::string surname_address_not_checked(const UnusualThresholds& t, bool have_directory,
                                        bool have_mpi) {
  if (!t.match_surname && !t.match_address) {
    return {};
  }
  if (!have_directory) {
    return "surname/address checks need a staff directory (config audit.staff_directory), which "
           "is not configured, so they were not run";
  }
  if (!have_mpi) {
    return "surname/address checks need the master patient index (db/caregw.db), which was not "
           "found, so they were not run";
  }
  return {};
}

}  // namespace gw::audit
