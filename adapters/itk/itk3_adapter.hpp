// The ITK3 inbound adapter ("itk3"): a FHIR STU3 message Bundle (JSON or XML) as posted to
// POST /fhir/$process-message, checked against the ITK3 messaging rules, converted to R4 and
// answered with the ITK3 response message.
#pragma once

#include <memory>
#include <string>

#include "gateway/core/clock.hpp"
#include "gateway/ingest/adapter.hpp"

namespace gw::adapters::itk {

/** Itk3Options: set once when the adapter is made. */
struct Itk3Options {
  /** clock: for the response's timestamp; nullptr: the system clock. Must outlive the adapter. */
  const Clock* clock = nullptr;
  /** source_endpoint: MessageHeader.source.endpoint of our responses (e.g. our MESH mailbox). */
  std::string source_endpoint = "caregw";
};

/** kItk3AckContentType: the media type of the ITK3 response (STU3 JSON). */
inline constexpr std::string_view kItk3AckContentType = "application/fhir+json; charset=utf-8";

/**
 * make_itk3_adapter: the "itk3" InboundAdapter (stateless, thread-safe). translate() refuses a
 * message that breaks the ITK3 rules with kBadRequest (header, handling specification) or
 * kUnprocessable (payload), "location: what"; acknowledge() answers with the response Bundle and
 * the ITK3 response code for the reason (README.md has the table).
 */
[[nodiscard]] std::unique_ptr<ingest::InboundAdapter> make_itk3_adapter(Itk3Options options = {});

}  // namespace gw::adapters::itk
