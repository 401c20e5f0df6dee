// Helpers for the store tests: a settable clock, synthetic identifiers (NHS numbers from the
// 999 test range, invented ODS codes and names) and Result checks that print the error detail.
#pragma once

#include <chrono>
#include <mutex>
#include <ostream>
#include <source_location>
#include <string>
#include <string_view>
#include <utility>

#include <gtest/gtest.h>

#include "gateway/core/clock.hpp"
#include "gateway/core/error.hpp"
#include "gateway/core/ids.hpp"
#include "gateway/identity/nhs_number.hpp"
#include "gateway/store/mpi_types.hpp"
#include "tests/support/fake_clock.hpp"

namespace gw::store {

/** PrintTo: gtest prints row ids as numbers. */
template <class Tag>
void PrintTo(const RowId<Tag>& id, std::ostream* os) {
  *os << "#" << id.value;
}

}  // namespace gw::store

namespace gw::store::test {

using gw::test::FakeClock;

/** ok: the value of a Result, failing the test (with the error detail) if there is none. */
template <class T>
T ok(Result<T>&& r, std::source_location where = std::source_location::current()) {
  if (!r) {
    ADD_FAILURE_AT(where.file_name(), static_cast<int>(where.line()))
        << errc_name(r.error().code) << ": " << r.error().detail;
  }
  return std::move(r).value();  // throws (failing the test) on an error
}

inline void ok(Result<void>&& r, std::source_location where = std::source_location::current()) {
  if (!r) {
    ADD_FAILURE_AT(where.file_name(), static_cast<int>(where.line()))
        << errc_name(r.error().code) << ": " << r.error().detail;
  }
}

/** outcome: "ok", or the error kind's name ("conflict", "not_found", ...). */
template <class T>
std::string outcome(const Result<T>& r) {
  return r ? "ok" : std::string(errc_name(r.error().code));
}

inline NhsNumber nhs(std::string_view digits) { return NhsNumber::parse(digits).value(); }
inline OdsCode ods(std::string_view code) { return OdsCode::parse(code).value(); }

inline LocalId local(std::string_view source, LocalIdType type, std::string value) {
  return LocalId{ods(source), type, std::move(value)};
}

// Synthetic organisations (invented codes in the shape of ODS codes).
inline constexpr std::string_view kGp = "Y90001";    // a GP practice on EMIS
inline constexpr std::string_view kAcute = "RZZ01";  // an acute trust PAS
inline constexpr std::string_view kMentalHealth = "RZY01";
inline constexpr std::string_view kCouncil = "Z90002";  // council adult social care (LAS)

/** demographics: an invented person. */
inline Demographics demographics(std::string family, std::string given,
                                 std::chrono::year_month_day born, std::string postcode) {
  Demographics d;
  d.family = std::move(family);
  d.given = {std::move(given)};
  d.birth_date = born;
  d.gender = Gender::kFemale;
  d.address_lines = {"1 Example Row", "Testtown"};
  d.postcode = std::move(postcode);
  d.telecom = {ContactPoint{"phone", "01632 960001", "home"}};
  return d;
}

}  // namespace gw::store::test
