// A fixture for the MPI repository tests: a fresh data dir per test, a fake clock, and
// shorthands for the common writes (each in its own committed transaction).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "gateway/store/sqlite/sqlite_mpi_repository.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/gateway/store/store_test_support.hpp"

namespace gw::store::test {

class MpiFixture : public ::testing::Test {
protected:
  void SetUp() override { reopen(); }

  /** reopen: closes the repository (if open) and opens the same data dir again. */
  void reopen(sqlite::SqliteMpiOptions options = {}) {
    repo_.reset();
    repo_ = ok(sqlite::SqliteMpiRepository::open_in_data_dir(data_dir(), clock_, options));
  }
  [[nodiscard]] std::string data_dir() const { return dir_.file("data"); }

  MpiTransactionPtr begin() { return ok(repo_->begin()); }

  /** person: a committed person with this NHS number (verified) and an EMIS GUID. */
  PersonId person(std::optional<std::string_view> nhs_digits, std::string guid = "") {
    auto tx = begin();
    NewPerson p{.source = ods(kGp), .message_id = "msg-" + guid};
    if (nhs_digits) {
      p.nhs_number = nhs(*nhs_digits);
      p.verification = VerificationStatus::kPresentVerified;
    }
    auto id = ok(tx->create_person(p));
    if (!guid.empty()) {
      EXPECT_EQ(ok(tx->link_local_identifier(local(kGp, LocalIdType::kEmisPatientGuid, guid), id,
                                             LinkProvenance::verified_nhs_number("msg-" + guid))),
                LinkOutcome::kCreated);
    }
    ok(tx->commit());
    return id;
  }

  MergeId merge(PersonId survivor, PersonId superseded) {
    auto tx = begin();
    auto id = ok(tx->merge(MergeRequest{.survivor = survivor,
                                        .superseded = superseded,
                                        .reason = "ADT^A40 from the acute trust",
                                        .actor = std::string(kAcute),
                                        .message_id = "adt-a40-1"}));
    ok(tx->commit());
    return id;
  }

  gw::test::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<sqlite::SqliteMpiRepository> repo_;
};

}  // namespace gw::store::test
