// Where the unusual-activity report's surname/address checks get both sides: users from the
// staff directory (config `audit.staff_directory`), patients from the master patient index.
// Used by `GET /audit/unusual` and `caregw audit unusual`.
#pragma once

#include <string>
#include <string_view>

#include "gateway/audit/reports.hpp"
#include "gateway/config/staff_directory.hpp"
#include "gateway/identity/mpi_service.hpp"

namespace gw::audit {

/**
 * DirectoryAndMpi: a DemographicsSource over a staff directory and the MPI. A user is their
 * directory row (family name, postcode, address line); a patient is the demographics the MPI
 * shows for them (identity::shown_details: family name, postcode, first address line). Either
 * is nullopt when unknown (a user not in the directory, a number the MPI does not hold or
 * cannot read). Not thread-safe; make one per report. Both references must outlive it.
 */
class DirectoryAndMpi final : public DemographicsSource {
public:
  DirectoryAndMpi(const config::StaffDirectory& staff, identity::MpiService& mpi)
      : staff_(staff), mpi_(mpi) {}

  [[nodiscard]] std::optional<PersonFacts> patient(std::string_view nhs_number) override;
  [[nodiscard]] std::optional<PersonFacts> user(std::string_view user_id) override;

  /** users_not_found: how many distinct users asked for were not in the directory. */
  [[nodiscard]] std::size_t users_not_found() const { return users_not_found_; }

private:
  const config::StaffDirectory& staff_;
  identity::MpiService& mpi_;
  std::size_t users_not_found_ = 0;
};

/**
 * surname_address_not_checked: why the surname/address checks did not run, for the report's
 * `notChecked` ("" when they ran or are switched off in the config).
 * @param have_directory a staff directory is configured @param have_mpi the MPI could be opened
 */
[[nodiscard]] std::string surname_address_not_checked(const UnusualThresholds& t,
                                                      bool have_directory, bool have_mpi);

}  // namespace gw::audit
