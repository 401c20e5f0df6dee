// Errors as values: a closed code, an operator-safe message (never PHI) and where it arose.
// Every fallible function on the data plane returns Result<T>; see STYLE.md 3.3.
#pragma once

#include <cstdint>
#include <source_location>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

namespace gw {

/** Errc: the closed set of error kinds. Each maps to one HTTP status and one FHIR issue code. */
enum class Errc : std::uint8_t {
  kBadRequest = 1,
  kUnauthenticated,
  kForbidden,
  kPolicyDenied,
  kNotFound,
  kMethodNotAllowed,
  kNotAcceptable,
  kPayloadTooLarge,
  kHeadersTooLarge,
  kUnsupportedMediaType,
  kUnprocessable,
  kConflict,
  kTooManyRequests,
  kUpstreamTimeout,
  kUpstreamUnavailable,
  kUpstreamMalformed,
  kMappingFailed,
  kUnavailable,
  kInternal,
};

/** Error: what went wrong (code + detail for a human) and where (stage, source location). */
struct Error {
  Errc code = Errc::kInternal;
  std::string detail;      // operator-safe: never an NHS number, name or message body
  std::string_view stage;  // the pipeline stage or component that raised it, if any
  std::source_location where = std::source_location::current();
};

template <class T>
using Result = boost::system::result<T, Error>;

/** make_error: builds an Error at the caller's source location. */
[[nodiscard]] Error make_error(Errc code, std::string detail,
                               std::source_location where = std::source_location::current());

/** errc_name: a stable lower-case name for the code, used in metrics labels and logs. */
[[nodiscard]] std::string_view errc_name(Errc code);

/** http_status: the HTTP status code that fits the error kind. */
[[nodiscard]] unsigned http_status(Errc code);

/** fhir_issue_code: the FHIR IssueType code (http://hl7.org/fhir/issue-type) for the kind. */
[[nodiscard]] std::string_view fhir_issue_code(Errc code);

/** throw_exception_from_error: lets Result<T>::value() throw on an Error (startup code only). */
[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

}  // namespace gw
