// The NHS number (NHS Data Dictionary; ISB 0149): ten digits whose last is a Modulus 11 check
// digit. Parsed once at the edge from what people type; formatted 3-3-4 for people, bare for
// systems.
#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "gateway/core/error.hpp"

namespace gw {

/** kNhsNumberSystem: the FHIR identifier system for NHS numbers. */
inline constexpr std::string_view kNhsNumberSystem = "https://fhir.nhs.uk/Id/nhs-number";

class NhsNumber {
public:
  /**
   * parse: accepts ten digits, optionally grouped by single spaces or hyphens ("943 476 5919",
   * "943-476-5919"). Refuses (kBadRequest, with the reason) other lengths, other characters, ten
   * identical digits, and a wrong check digit (including a remainder that gives 10).
   * The reason never repeats the number.
   */
  [[nodiscard]] static Result<NhsNumber> parse(std::string_view text);

  /** check_digit: the Modulus 11 check digit for the first nine digits, or -1 if none exists. */
  [[nodiscard]] static int check_digit(std::string_view first_nine);

  /** str: the ten digits, e.g. "9434765919". */
  [[nodiscard]] const std::string& str() const { return digits_; }
  /** formatted: 3-3-4 with spaces, e.g. "943 476 5919". */
  [[nodiscard]] std::string formatted() const;

  auto operator<=>(const NhsNumber&) const = default;

private:
  explicit NhsNumber(std::string d) : digits_(std::move(d)) {}
  std::string digits_;
};

/** VerificationStatus: the national NHS number status indicator codes 01-08. */
enum class VerificationStatus {
  kPresentVerified = 1,        // 01 Number present and verified
  kPresentNotTraced = 2,       // 02 Number present but not traced
  kTraceRequired = 3,          // 03 Trace required
  kTraceAttemptedNoMatch = 4,  // 04 Trace attempted - no match or multiple match found
  kTraceNeedsResolution =
      5,                 // 05 Trace needs to be resolved (NHS number or patient detail conflict)
  kTraceInProgress = 6,  // 06 Trace in progress
  kNotPresentTraceNotRequired = 7,  // 07 Number not present and trace not required
  kTracePostponed = 8,              // 08 Trace postponed (baby under six weeks old)
};

/** parse_verification_status: "01".."08" (or "1".."8"); false if not one of them. */
[[nodiscard]] bool parse_verification_status(std::string_view code, VerificationStatus& out);
/** verification_code: "01".."08". */
[[nodiscard]] std::string verification_code(VerificationStatus s);
/** verification_display: the national display text for the code. */
[[nodiscard]] std::string_view verification_display(VerificationStatus s);
/** links_records: only a verified number (01) links records across organisations. */
[[nodiscard]] inline bool links_records(VerificationStatus s) {
  return s == VerificationStatus::kPresentVerified;
}

}  // namespace gw
