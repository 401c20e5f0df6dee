// Mapping of error kinds to HTTP statuses, FHIR issue codes and names.
#include "gateway/core/error.hpp"

#include <stdexcept>

namespace gw {

Error make_error(Errc code, std::string detail, std::source_location where) {
  return Error{code, std::move(detail), {}, where};
}

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::kBadRequest:
      return "bad_request";
    case Errc::kUnauthenticated:
      return "unauthenticated";
    case Errc::kForbidden:
      return "forbidden";
    case Errc::kPolicyDenied:
      return "policy_denied";
    case Errc::kNotFound:
      return "not_found";
    case Errc::kMethodNotAllowed:
      return "method_not_allowed";
    case Errc::kNotAcceptable:
      return "not_acceptable";
    case Errc::kPayloadTooLarge:
      return "payload_too_large";
    case Errc::kHeadersTooLarge:
      return "headers_too_large";
    case Errc::kUnsupportedMediaType:
      return "unsupported_media_type";
    case Errc::kUnprocessable:
      return "unprocessable";
    case Errc::kConflict:
      return "conflict";
    case Errc::kTooManyRequests:
      return "too_many_requests";
    case Errc::kUpstreamTimeout:
      return "upstream_timeout";
    case Errc::kUpstreamUnavailable:
      return "upstream_unavailable";
    case Errc::kUpstreamMalformed:
      return "upstream_malformed";
    case Errc::kMappingFailed:
      return "mapping_failed";
    case Errc::kUnavailable:
      return "unavailable";
    case Errc::kInternal:
      return "internal";
  }
  return "internal";
}

unsigned http_status(Errc code) {
  switch (code) {
    case Errc::kBadRequest:
      return 400;
    case Errc::kUnauthenticated:
      return 401;
    case Errc::kForbidden:
    case Errc::kPolicyDenied:
      return 403;
    case Errc::kNotFound:
      return 404;
    case Errc::kMethodNotAllowed:
      return 405;
    case Errc::kNotAcceptable:
      return 406;
    case Errc::kConflict:
      return 409;
    case Errc::kPayloadTooLarge:
      return 413;
    case Errc::kHeadersTooLarge:
      return 431;
    case Errc::kUnsupportedMediaType:
      return 415;
    case Errc::kUnprocessable:
    case Errc::kMappingFailed:
      return 422;
    case Errc::kTooManyRequests:
      return 429;
    case Errc::kUpstreamMalformed:
    case Errc::kUpstreamUnavailable:
      return 502;
    case Errc::kUnavailable:
      return 503;
    case Errc::kUpstreamTimeout:
      return 504;
    case Errc::kInternal:
      return 500;
  }
  return 500;
}

std::string_view fhir_issue_code(Errc code) {
  switch (code) {
    case Errc::kBadRequest:
      return "invalid";
    case Errc::kUnauthenticated:
      return "login";
    case Errc::kForbidden:
    case Errc::kPolicyDenied:
      return "forbidden";
    case Errc::kNotFound:
      return "not-found";
    case Errc::kMethodNotAllowed:
    case Errc::kNotAcceptable:
    case Errc::kUnsupportedMediaType:
      return "not-supported";
    case Errc::kPayloadTooLarge:
    case Errc::kHeadersTooLarge:
      return "too-long";
    case Errc::kUnprocessable:
      return "processing";
    case Errc::kMappingFailed:
      return "code-invalid";
    case Errc::kConflict:
      return "conflict";
    case Errc::kTooManyRequests:
      return "throttled";
    case Errc::kUpstreamTimeout:
      return "timeout";
    case Errc::kUpstreamUnavailable:
    case Errc::kUpstreamMalformed:
    case Errc::kUnavailable:
      return "transient";
    case Errc::kInternal:
      return "exception";
  }
  return "exception";
}

void throw_exception_from_error(const Error& e, const boost::source_location& /*loc*/) {
  throw std::runtime_error(std::string(errc_name(e.code)) + ": " + e.detail);
}

}  // namespace gw
