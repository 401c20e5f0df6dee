// Helpers for the audit tests: a settable clock, synthetic patients (NHS numbers from the 999
// test range with computed check digits), record builders, and Result checks.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <source_location>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/audit/audit_log.hpp"
#include "gateway/audit/record.hpp"
#include "gateway/core/clock.hpp"
#include "gateway/core/error.hpp"
#include "gateway/identity/nhs_number.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/temp_dir.hpp"

namespace gw::audit::test {

/** FakeClock: the shared test clock, starting at 2026-11-02T09:00:00Z. */
class FakeClock final : public gw::test::FakeClock {
public:
  FakeClock()
      : gw::test::FakeClock(std::chrono::sys_days{std::chrono::year{2026} / 11 / 2} +
                            std::chrono::hours{9}) {}
};

template <class T>
T ok(Result<T>&& r, std::source_location where = std::source_location::current()) {
  if (!r) {
    ADD_FAILURE_AT(where.file_name(), static_cast<int>(where.line()))
        << errc_name(r.error().code) << ": " << r.error().detail;
  }
  return std::move(r).value();
}

inline void ok(Result<void>&& r, std::source_location where = std::source_location::current()) {
  if (!r) {
    ADD_FAILURE_AT(where.file_name(), static_cast<int>(where.line()))
        << errc_name(r.error().code) << ": " << r.error().detail;
  }
}

/** test_nhs: the i-th NHS number of the 999 test range that has a valid check digit. */
inline std::string test_nhs(int i) {
  for (int stem = 999000000 + i * 11;; ++stem) {
    const std::string nine = std::to_string(stem);
    const int check = NhsNumber::check_digit(nine);
    if (check >= 0) {
      return nine + std::to_string(check);
    }
  }
}

/** read_record: a clinician reads a patient's record (invented people and organisations). */
inline AuditRecord read_record(const std::string& nhs, const std::string& user = "gp-0001",
                               const std::string& org = "Z90001") {
  AuditRecord r;
  r.type = EventType::kRecordRead;
  r.outcome = Outcome::kSuccess;
  r.decision = Decision::kPermit;
  r.user_id = user;
  r.user_name = "Dr Ada Testwell";
  r.user_role = "R8000 Clinical Practitioner";
  r.org_ods = org;
  r.client_system = "CN=" + org + ",O=caregw dev";
  r.purpose_of_use = "TREAT";
  r.nhs_number = nhs;
  r.disclosed = {{"MedicationStatement", "ms-1", std::string(64, 'a')},
                 {"AllergyIntolerance", "al-1", std::string(64, 'b')}};
  r.dsa_id = "dsa-borough-direct-care";
  r.dsa_version = "3";
  r.dsa_rule = "gp-read-all";
  r.request_id = "req-0001";
  r.source_address = "192.0.2.10";
  return r;
}

/** LogFixture: an AuditLog in a temporary data directory on a fake clock. */
class LogFixture : public ::testing::Test {
protected:
  AuditLogOptions options() const {
    AuditLogOptions o;
    o.data_dir = dir.file("data");
    o.node_id = "test-node";
    o.checkpoint_every = 100;
    o.retry_interval = std::chrono::milliseconds(20);
    return o;
  }
  std::unique_ptr<AuditLog> open(AuditLogOptions o) {
    return ok(AuditLog::open(std::move(o), clock));
  }
  std::unique_ptr<AuditLog> open() { return open(options()); }
  /** store: a separate read-write connection to the same audit.db (as another process would). */
  AuditStore store() { return ok(AuditStore::open(dir.file("data"))); }
  AuditKey key() { return ok(AuditKey::load(default_key_file(dir.file("data")))); }

  gw::test::TempDir dir;
  FakeClock clock;
};

}  // namespace gw::audit::test
