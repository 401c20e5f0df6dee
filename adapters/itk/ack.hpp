// The ITK 2.2 replies: the synchronous SOAP response (itk:SimpleMessageResponse plus the
// requested acknowledgements), the infrastructure acknowledgement (itk:InfrastructureResponse in
// a DistributionEnvelope), the business acknowledgement (hl7:BusinessResponseMessage in a
// DistributionEnvelope) and the SOAP fault with itk:ToolkitErrorInfo. Shapes follow
// shared/reference/ciao-transport-itk/test-inf(n)ack.xml, test-wrapped-bus(n)ack.xml and the
// TKW-x templates (shared/reference/tkw-x/*template*).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "adapters/itk/codes.hpp"
#include "adapters/itk/envelope.hpp"

namespace gw::adapters::itk {

/** AckContext: what every reply needs besides the envelope it answers. */
struct AckContext {
  const Envelope* original = nullptr;
  std::string ack_id;              // unique per acknowledgement (the gateway's)
  std::string timestamp;           // now, xs:dateTime UTC ("2026-11-26T16:30:00Z")
  std::string reporting_identity;  // our audit/reporting identity URI
  std::string reporting_address;   // our ITK address URI
};

/** infrastructure_ack: a DE carrying InfrastructureResponse result OK, or ERROR with `error`. */
[[nodiscard]] std::string infrastructure_ack(const AckContext& c, const ItkCode* error = nullptr,
                                             std::string_view diagnostic = {});
/** business_ack: a DE carrying BusinessResponseMessage, acknowledgedBy3 typeCode AA or AR. */
[[nodiscard]] std::string business_ack(const AckContext& c, bool accepted,
                                       std::string_view diagnostic = {});
/** simple_response: itk:SimpleMessageResponse "OK:<trackingid>". */
[[nodiscard]] std::string simple_response(const AckContext& c);
/** soap_response: a SOAP 1.1 envelope (WS-Addressing header relating to the request) whose body
 * holds `parts` in order. */
[[nodiscard]] std::string soap_response(const AckContext& c, const std::vector<std::string>& parts);
/** soap_fault: a SOAP 1.1 fault (soap:Client when `client`, else soap:Server) whose detail is an
 * itk:ToolkitErrorInfo with `code` and `diagnostic`. */
[[nodiscard]] std::string soap_fault(const AckContext& c, const ItkCode& code,
                                     std::string_view diagnostic, bool client);

}  // namespace gw::adapters::itk
