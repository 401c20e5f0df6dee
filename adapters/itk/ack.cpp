// ITK 2.2 acknowledgements and faults, written as text (the shapes are fixed and small); every
// value taken from the request or an error detail is escaped.
#include "adapters/itk/ack.hpp"

#include "adapters/itk/xml_tree.hpp"

namespace gw::adapters::itk {
namespace {

constexpr std::string_view kInfAckInteraction =
    "urn:nhs-itk:interaction:ITKInfrastructureAcknowledgement-v1-0";
constexpr std::string_view kInfAckService =
    "urn:nhs-itk:services:201005:SendInfrastructureAck-v1-0";
constexpr std::string_view kBusAckInteraction =
    "urn:nhs-itk:interaction:ITKBusinessAcknowledgement-v1-0";
constexpr std::string_view kBusAckService = "urn:nhs-itk:services:201005:SendBusinessAck-v1-0";
constexpr std::string_view kBusAckProfile = "urn:nhs-en:profile:ITKBusinessAcknowledgement-v1-0";
constexpr std::string_view kAddressOid = "2.16.840.1.113883.2.1.3.2.4.18.22";
constexpr std::string_view kIdentityOid = "2.16.840.1.113883.2.1.3.2.4.18.27";

std::string x(std::string_view s) { return escape_xml(s); }

/** hl7_ts: "2026-11-26T16:30:00Z" as HL7 v3 TS "20261126163000". */
std::string hl7_ts(std::string_view iso) {
  std::string out;
  for (char ch : iso.substr(0, 19)) {
    if (ch >= '0' && ch <= '9') {
      out += ch;
    }
  }
  return out;
}

std::string back_to(const Envelope& e) {
  return e.sender_address ? e.sender_address->uri : std::string{};
}

/** wrap: a DistributionEnvelope from us back to the original sender, carrying one payload. */
std::string wrap(const AckContext& c, std::string_view service, std::string_view tracking_id,
                 std::string_view interaction, std::string_view profile,
                 std::string_view payload_id, const std::string& payload) {
  std::string s = "<itk:DistributionEnvelope xmlns:itk=\"urn:nhs-itk:ns:201005\">";
  s += "<itk:header service=\"" + x(service) + "\" trackingid=\"" + x(tracking_id) + "\">";
  s += "<itk:addresslist><itk:address type=\"" + std::string(kAddressOid) + "\" uri=\"" +
       x(back_to(*c.original)) + "\"/></itk:addresslist>";
  s += "<itk:auditIdentity><itk:id type=\"" + std::string(kIdentityOid) + "\" uri=\"" +
       x(c.reporting_identity) + "\"/></itk:auditIdentity>";
  s += "<itk:manifest count=\"1\"><itk:manifestitem id=\"" + x(payload_id) +
       "\" mimetype=\"text/xml\"";
  if (!profile.empty()) {
    s += " profileid=\"" + x(profile) + "\"";
  }
  s += " base64=\"false\" compressed=\"false\" encrypted=\"false\"/></itk:manifest>";
  s += "<itk:senderAddress type=\"" + std::string(kAddressOid) + "\" uri=\"" +
       x(c.reporting_address) + "\"/>";
  s += "<itk:handlingSpecification><itk:spec key=\"urn:nhs-itk:ns:201005:interaction\" value=\"" +
       x(interaction) + "\"/></itk:handlingSpecification>";
  s += "</itk:header><itk:payloads count=\"1\"><itk:payload id=\"" + x(payload_id) + "\">";
  s += payload;
  s += "</itk:payload></itk:payloads></itk:DistributionEnvelope>";
  return s;
}

std::string first_payload_id(const Envelope& e) {
  return e.payloads.empty() ? std::string{} : e.payloads.front().id;
}

}  // namespace

std::string infrastructure_ack(const AckContext& c, const ItkCode* error,
                               std::string_view diagnostic) {
  const Envelope& e = *c.original;
  std::string r = "<itk:InfrastructureResponse xmlns:itk=\"urn:nhs-itk:ns:201005\" timestamp=\"" +
                  x(c.timestamp) + "\" serviceRef=\"" + x(e.service) + "\" trackingIdRef=\"" +
                  x(e.tracking_id) + "\" result=\"" + (error == nullptr ? "OK" : "ERROR") + "\">";
  r += "<itk:reportingIdentity><itk:id uri=\"" + x(c.reporting_identity) +
       "\"/></itk:reportingIdentity>";
  if (error == nullptr) {
    r += "<itk:errors/>";
  } else {
    r += "<itk:errors><itk:errorInfo><itk:ErrorID>" + x(c.ack_id) + "</itk:ErrorID>";
    r += "<itk:ErrorCode codeSystem=\"" + x(error->system) + "\">" + x(error->code) +
         "</itk:ErrorCode>";
    r += "<itk:ErrorText>" + x(error->display) + "</itk:ErrorText>";
    if (!diagnostic.empty()) {
      r += "<itk:ErrorDiagnosticText>" + x(diagnostic) + "</itk:ErrorDiagnosticText>";
    }
    r += "</itk:errorInfo></itk:errors>";
  }
  r += "</itk:InfrastructureResponse>";
  return wrap(c, kInfAckService, c.ack_id, kInfAckInteraction, {}, "uuid_" + c.ack_id, r);
}

std::string business_ack(const AckContext& c, bool accepted, std::string_view diagnostic) {
  const Envelope& e = *c.original;
  const std::string type = accepted ? "AA" : "AR";
  std::string m =
      "<hl7:BusinessResponseMessage xmlns:hl7=\"urn:hl7-org:v3\">"
      "<hl7:id root=\"" +
      x(c.ack_id) + "\"/><hl7:creationTime value=\"" + hl7_ts(c.timestamp) + "\"/>";
  m += "<hl7:interactionId root=\"2.16.840.1.113883.2.1.3.2.4.12\" extension=\"" +
       x(e.interaction) + "\"/>";
  m += "<hl7:acknowledgedBy3 typeCode=\"" + type + "\"><hl7:conveyingTransmission><hl7:id root=\"" +
       x(e.tracking_id) + "\"/></hl7:conveyingTransmission></hl7:acknowledgedBy3>";
  m += "<hl7:communicationFunction1 typeCode=\"SND\"><hl7:entity classCode=\"ENT\" "
       "determinerCode=\"INSTANCE\"><hl7:id root=\"" +
       std::string(kAddressOid) + "\" extension=\"" + x(back_to(e)) +
       "\"/></hl7:entity></hl7:communicationFunction1>";
  m += "<hl7:communicationFunction typeCode=\"RCV\"><hl7:entity classCode=\"ENT\" "
       "determinerCode=\"INSTANCE\"><hl7:id root=\"" +
       std::string(kAddressOid) + "\" extension=\"" + x(c.reporting_address) +
       "\"/></hl7:entity></hl7:communicationFunction>";
  m += "<hl7:controlActEvent1 classCode=\"CACT\" moodCode=\"EVN\"><hl7:author typeCode=\"AUT\" "
       "contextControlCode=\"OP\"><hl7:COCD_TP145207GB01.AssignedAuthorDevice "
       "classCode=\"ASSIGNED\"><hl7:id root=\"2.16.840.1.113883.2.1.3.2.4.18.24\" "
       "extension=\"caregw\"/><hl7:assignedAuthoringDevice classCode=\"DEV\" "
       "determinerCode=\"INSTANCE\"><hl7:manufacturerModelName>caregw</"
       "hl7:manufacturerModelName><hl7:softwareName>caregw</hl7:softwareName></"
       "hl7:assignedAuthoringDevice></hl7:COCD_TP145207GB01.AssignedAuthorDevice></"
       "hl7:author></hl7:controlActEvent1>";
  m += "<hl7:acknowledgedBy2 typeCode=\"" + type + "\"><hl7:conveyingTransmission><hl7:id root=\"" +
       x(first_payload_id(e)) + "\"/>";
  if (!accepted && !diagnostic.empty()) {
    m +=
        "<hl7:controlActEvent classCode=\"CACT\" moodCode=\"EVN\"><hl7:reason "
        "typeCode=\"RSON\"><hl7:detectedIssueEvent classCode=\"ALRT\" moodCode=\"EVN\"><hl7:text>" +
        x(diagnostic) + "</hl7:text></hl7:detectedIssueEvent></hl7:reason></hl7:controlActEvent>";
  }
  m += "</hl7:conveyingTransmission></hl7:acknowledgedBy2></hl7:BusinessResponseMessage>";
  return wrap(c, kBusAckService, c.ack_id + "-bus", kBusAckInteraction, kBusAckProfile,
              "uuid_" + c.ack_id + "-bus", m);
}

std::string simple_response(const AckContext& c) {
  return "<itk:SimpleMessageResponse xmlns:itk=\"urn:nhs-itk:ns:201005\">OK:" +
         x(c.original->tracking_id) + "</itk:SimpleMessageResponse>";
}

namespace {

std::string soap(const AckContext& c, std::string_view action, const std::string& body) {
  std::string s =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" "
      "xmlns:wsa=\"http://www.w3.org/2005/08/addressing\" xmlns:itk=\"urn:nhs-itk:ns:201005\">"
      "<soap:Header><wsa:MessageID>" +
      x(c.ack_id) + "</wsa:MessageID><wsa:Action>" + x(action) + "</wsa:Action>";
  if (!c.original->soap.from.empty()) {
    s += "<wsa:To>" + x(c.original->soap.from) + "</wsa:To>";
  }
  if (!c.original->soap.message_id.empty()) {
    s += "<wsa:RelatesTo>" + x(c.original->soap.message_id) + "</wsa:RelatesTo>";
  }
  s += "</soap:Header><soap:Body>" + body + "</soap:Body></soap:Envelope>";
  return s;
}

}  // namespace

std::string soap_response(const AckContext& c, const std::vector<std::string>& parts) {
  std::string body;
  for (const auto& p : parts) {
    body += p;
  }
  // ITK 2.2 SOAP binding: the reply's Action is the service with "Response" appended.
  const std::string& service =
      c.original->service.empty() ? c.original->soap.action : c.original->service;
  return soap(c, service + "Response", body);
}

std::string soap_fault(const AckContext& c, const ItkCode& code, std::string_view diagnostic,
                       bool client) {
  std::string f = "<soap:Fault><faultcode>";
  f += client ? "soap:Client" : "soap:Server";
  f += "</faultcode><faultstring>A ";
  f += client ? "client" : "server";
  f += " related error has occurred, see detail element for further information</faultstring>";
  f += "<detail><itk:ToolkitErrorInfo><itk:ErrorID>" + x(c.ack_id) + "</itk:ErrorID>";
  f += "<itk:ErrorCode codeSystem=\"" + x(code.system) + "\">" + x(code.code) + "</itk:ErrorCode>";
  f += "<itk:ErrorText>" + x(code.display) + "</itk:ErrorText>";
  if (!diagnostic.empty()) {
    f += "<itk:ErrorDiagnosticText>" + x(diagnostic) + "</itk:ErrorDiagnosticText>";
  }
  f += "</itk:ToolkitErrorInfo></detail></soap:Fault>";
  return soap(c, "http://www.w3.org/2005/08/addressing/soap/fault", f);
}

}  // namespace gw::adapters::itk
