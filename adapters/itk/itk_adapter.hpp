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
   * wsu:Created is in the future. Off for offline translation of old samples. */
  bool check_expiry = true;
  std::chrono::seconds clock_skew{300};
  /** reporting_identity / reporting_address: the gateway's ITK identity and address, written
   * in acknowledgements (reportingIdentity, auditIdentity, senderAddress). */
  std::string reporting_identity = "urn:nhs-uk:identity:ods:CAREGW";
  std::string reporting_address = "urn:nhs-uk:addressing:ods:CAREGW";
};

/** kItkAckContentType: the media type of the ITK adapter's acknowledgements (SOAP 1.1). */
inline constexpr std::string_view kItkAckContentType = "text/xml; charset=utf-8";

/**
 * make_itk_adapter: the "itk" InboundAdapter (stateless, thread-safe). translate() refuses an
 * invalid envelope with kBadRequest and a payload it cannot use with kUnprocessable, each
 * "location: what"; acknowledge() answers as README.md describes.
 */
[[nodiscard]] std::unique_ptr<ingest::InboundAdapter> make_itk_adapter(ItkOptions options = {});

}  // namespace gw::adapters::itk
