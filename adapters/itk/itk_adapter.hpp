// The ITK 2.2 inbound adapter ("itk"): the SOAP request body of POST /itk in, the CDA payload as
// FHIR R4 resources out, and the ITK acknowledgements or SOAP fault back.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "gateway/core/clock.hpp"
#include "gateway/ingest/adapter.hpp"

namespace gw::adapters::itk {

/** ItkOptions: set once when the adapter is made. */
struct ItkOptions {
  /** clock: for WS-Security expiry and acknowledgement timestamps; nullptr: the system clock.
   * Must outlive the adapter. */
  const Clock* clock = nullptr;
  /** check_expiry: refuse a request whose wsu:Expires (plus clock_skew) has passed, or whose
   * wsu:Created is in the future, in translate() and acknowledge(). Off by default: the journal
   * re-translates stored messages when it resumes after a restart, and an accepted message must
   * not turn into a refusal then. Check freshness once, at receipt, with check_timestamp(). */
  bool check_expiry = false;
  std::chrono::seconds clock_skew{300};
  /** reporting_identity / reporting_address: the gateway's ITK identity and address, written
   * in acknowledgements (reportingIdentity, auditIdentity, senderAddress). */
  std::string reporting_identity = "urn:nhs-uk:identity:ods:CAREGW";
  std::string reporting_address = "urn:nhs-uk:addressing:ods:CAREGW";
};

/** kItkAckContentType: the media type of the ITK adapter's acknowledgements (SOAP 1.1). */
inline constexpr std::string_view kItkAckContentType = "text/xml; charset=utf-8";

/**
 * check_timestamp: the WS-Security freshness check alone, for the transport to call once when a
 * request arrives (before it is journalled): kBadRequest "location: what" when wsu:Expires plus
 * `skew` is before `now` or wsu:Created is after `now` plus `skew`; success when the request has
 * no readable timestamp (translate() refuses that on its own).
 */
[[nodiscard]] Result<void> check_timestamp(std::string_view body,
                                           std::chrono::system_clock::time_point now,
                                           std::chrono::seconds skew = std::chrono::seconds{300});

/**
 * make_itk_adapter: the "itk" InboundAdapter (stateless, thread-safe). translate() refuses an
 * invalid envelope with kBadRequest and a payload it cannot use with kUnprocessable, each
 * "location: what"; acknowledge() answers as README.md describes.
 */
[[nodiscard]] std::unique_ptr<ingest::InboundAdapter> make_itk_adapter(ItkOptions options = {});

}  // namespace gw::adapters::itk
