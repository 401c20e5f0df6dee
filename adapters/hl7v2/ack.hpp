// HL7 v2 acknowledgements (original mode): MSH, MSA and ERR segments telling the sender what
// went wrong and where, built for any input, even one that could not be parsed.
#pragma once

#include <string>
#include <string_view>

#include "gateway/ingest/adapter.hpp"

namespace gw::adapters::hl7v2 {

/**
 * build_ack: the ACK for `body`: MSH with sender and receiver swapped, the same version and
 * delimiters, MSH-10 = ack.ack_id; MSA-1 AA / AR (kRejected) / AE (kError), MSA-2 = the incoming
 * MSH-10; an ERR segment locating the error (ERR-2 for 2.5 and later, ERR-1 before) with the
 * HL7 table 0357 code and the reason, and for 2.5+ one ERR (severity W) per warning. For input
 * with no readable MSH: a minimal v2.4 ACK with AR. MSH-7 is ack.at in UTC (empty when at is
 * the epoch: the caller did not say).
 */
[[nodiscard]] std::string build_ack(std::string_view body, const ingest::AckRequest& ack);

/** error_code: the HL7 table 0357 code for an error detail written by this adapter (or the
 * gateway): 100, 101, 102, 200, 201, 203, 207. */
[[nodiscard]] std::string_view error_code(std::string_view detail, bool rejected);

}  // namespace gw::adapters::hl7v2
