// ITK 2.2 over SOAP: the SOAP 1.1 envelope (WS-Addressing, WS-Security timestamp) around an
// itk:DistributionEnvelope (header, address list, audit identity, manifest, sender address,
// handling specification, payloads), parsed and checked against the rules in README.md.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/itk/codes.hpp"
#include "adapters/itk/xml_tree.hpp"

namespace gw::adapters::itk {

/** Handling specification keys (shared/reference/standards.md section 1). */
inline constexpr std::string_view kInteractionKey = "urn:nhs-itk:ns:201005:interaction";
inline constexpr std::string_view kAckRequestedKey = "urn:nhs-itk:ns:201005:ackrequested";
inline constexpr std::string_view kInfAckRequestedKey = "urn:nhs-itk:ns:201005:infackrequested";

/** Address: an address list entry or the sender address (uri, optional type OID). */
struct Address {
  std::string uri;
  std::string type;
};

/** ManifestItem: one itk:manifestitem. */
struct ManifestItem {
  std::string id;
  std::string mimetype;
  std::string profileid;
  bool base64 = false;
  bool compressed = false;
  bool encrypted = false;
};

/** Payload: one itk:payload: an XML element, or (base64="true") the decoded bytes. */
struct Payload {
  std::string id;
  const ManifestItem* item = nullptr;  // the manifest item with the same id
  const xmlNode* element = nullptr;    // the payload's element (inline XML), else nullptr
  std::string bytes;                   // decoded content for base64 payloads
};

/** SoapHeader: the WS-Addressing and WS-Security parts of the SOAP header. */
struct SoapHeader {
  std::string message_id;
  std::string action;
  std::string to;
  std::string from;  // wsa:From/wsa:Address (or wsa:ReplyTo/wsa:Address), if given
  std::string created;
  std::string expires;
};

/** EnvelopeFault: why an envelope was refused: the ITK code, and "location: what" (no PHI). */
struct EnvelopeFault {
  ItkCode code = kInvalidMessage;
  std::string detail;
};

/**
 * Envelope: what was read, as far as it could be read. Fields stay empty where the input had
 * nothing readable, so acknowledge() can still name the tracking id and service of a refused
 * message. The tree owns the payload elements.
 */
struct Envelope {
  std::optional<XmlTree> tree;
  SoapHeader soap;
  std::string service;
  std::string tracking_id;
  std::vector<Address> addresses;
  std::string audit_identity;
  std::vector<ManifestItem> manifest;
  std::optional<Address> sender_address;
  std::string interaction;
  bool infack_requested = false;
  bool busack_requested = false;
  std::vector<Payload> payloads;
  std::optional<EnvelopeFault> fault;  // set when the envelope is refused
};

/** EnvelopeOptions: the clock to check WS-Security expiry against (none: not checked). */
struct EnvelopeOptions {
  std::optional<std::chrono::system_clock::time_point> now;
  std::chrono::seconds clock_skew{300};
  XmlLimits limits{};
};

/**
 * parse_envelope: reads and checks a SOAP request body. Never throws; on any problem the result
 * has `fault` set (code and location) and whatever was read before it.
 */
[[nodiscard]] Envelope parse_envelope(std::string_view body, const EnvelopeOptions& options = {});

/**
 * parse_distribution_envelope: the same checks on a bare itk:DistributionEnvelope element
 * (no SOAP), as the business acknowledgement and the TKW-x ITK_DE.xml sample carry it.
 */
void parse_distribution_envelope(const xmlNode* de, Envelope& out);

/**
 * freshness_fault: the WS-Security freshness verdict for a header read by parse_envelope():
 * expired (Expires + skew before now) or created in the future (Created after now + skew);
 * nullopt when fresh or when a time is missing (parse_envelope() refuses that itself).
 */
[[nodiscard]] std::optional<EnvelopeFault> freshness_fault(
    const SoapHeader& soap, std::chrono::system_clock::time_point now, std::chrono::seconds skew);

/** tracking_id_of: the DistributionEnvelope header's trackingid (SOAP or bare); "" if none. */
[[nodiscard]] std::string tracking_id_of(std::string_view body);

/** parse_xml_datetime: an xs:dateTime with a zone ("Z" or +hh:mm) to a time point. */
[[nodiscard]] std::optional<std::chrono::system_clock::time_point> parse_xml_datetime(
    std::string_view text);

}  // namespace gw::adapters::itk
