// The error and response code lists the ITK adapters answer with, each from the source that
// defines it (README.md has the table with sources): ITK 2.2 toolkit error codes, the
// distribution envelope error vocabulary, and the ITK3 response codes.
#pragma once

#include <string_view>

namespace gw::adapters::itk {

/** ItkCode: one coded error or response (system OID or URL, code, display). */
struct ItkCode {
  std::string_view system;
  std::string_view code;
  std::string_view display;
};

// ---- ITK 2.2 ----------------------------------------------------------------------------------

/** The ITK toolkit error code system (SOAP faults, ToolkitErrorInfo, infrastructure NACK). */
inline constexpr std::string_view kToolkitErrorOid = "2.16.840.1.113883.2.1.3.2.4.17.268";
/** The distribution envelope error vocabulary (DE_Error, shared/reference/tkw-x). */
inline constexpr std::string_view kDeErrorOid = "2.16.840.1.113883.2.1.3.2.4.17.516";

// Toolkit error codes (Inhealthcare open ITK API, ITKMessagingException; TKW-x test rules
// assert 1000, 2200 and 3000 in SOAP faults).
inline constexpr ItkCode kInvalidMessage{
    kToolkitErrorOid, "1000",
    "Invalid Message - the message structure or content is unrecognised or incorrect"};
inline constexpr ItkCode kProcessingRetryable{
    kToolkitErrorOid, "2100",
    "Processing Error (retryable) - a recoverable processing error has been encountered"};
inline constexpr ItkCode kProcessingNotRetryable{
    kToolkitErrorOid, "2200",
    "Processing Error (not retryable) - a non-recoverable processing error has been encountered"};
inline constexpr ItkCode kAccessDenied{kToolkitErrorOid, "3000", "Access Denied"};

// Distribution envelope errors (shared/reference/tkw-x/DE_error_reference.xml).
inline constexpr ItkCode kDeEnvelope{kDeErrorOid, "DE0001",
                                     "Distribution Envelope Processing Error"};
inline constexpr ItkCode kDeHeader{kDeErrorOid, "DE0002",
                                   "Distribution Envelope Header Processing Error"};
inline constexpr ItkCode kDeAddressList{kDeErrorOid, "DE0003",
                                        "Distribution Envelope Address List Processing Error"};
inline constexpr ItkCode kDeAuditIdentity{kDeErrorOid, "DE0004",
                                          "Distribution Envelope Audit Identity Processing Error"};
inline constexpr ItkCode kDeId{kDeErrorOid, "DE0005", "Distribution Envelope Id Processing Error"};
inline constexpr ItkCode kDeManifest{kDeErrorOid, "DE0006",
                                     "Distribution Envelope Manifest Processing Error"};
inline constexpr ItkCode kDeManifestItem{kDeErrorOid, "DE0007",
                                         "Distribution EnvelopeManifest Item Processing Error"};
inline constexpr ItkCode kDeSenderAddress{kDeErrorOid, "DE0008",
                                          "Distribution Envelope Sender Address Processing Error"};
inline constexpr ItkCode kDeHandlingSpec{
    kDeErrorOid, "DE0009", "Distribution Envelope Handling Specifications Processing Error"};
inline constexpr ItkCode kDeSpec{kDeErrorOid, "DE0010",
                                 "Distribution Envelope Spec Processing Error"};
inline constexpr ItkCode kDePayloads{kDeErrorOid, "DE0011",
                                     "Distribution Envelope Payloads Processing Error"};
inline constexpr ItkCode kDePayload{kDeErrorOid, "DE0012",
                                    "Distribution Envelope Payload Processing Error"};

// ---- ITK3 -------------------------------------------------------------------------------------

inline constexpr std::string_view kItk3ResponseCodeSystem =
    "https://fhir.nhs.uk/STU3/CodeSystem/ITK-ResponseCodes-1";
inline constexpr std::string_view kItk3EventSystem =
    "https://fhir.nhs.uk/STU3/CodeSystem/ITK-MessageEvent-2";
inline constexpr std::string_view kItk3HandlingExtension =
    "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-ITK-MessageHandling-2";
inline constexpr std::string_view kItk3RecipientTypeSystem =
    "https://fhir.nhs.uk/STU3/CodeSystem/ITK-RecipientType-1";

/**
 * Itk3Response: one ITK3 response code, its display as CodeSystem-ITK-ResponseCodes-1 v1.5.0 gives
 * it (shared/reference/gpconnect-send-document-update-record/CodeSystem-ITK-ResponseCodes-1.xml),
 * with the OperationOutcome issue code the specification
 * pairs it with (toc-specs/itk3-messaging-distribution/explore_response_structure.md) and whether
 * it is positive (toc-specs/itk3-messaging-distribution/explore_response_codes.md).
 */
struct Itk3Response {
  std::string_view code;
  std::string_view display;
  std::string_view issue_code;  // http://hl7.org/fhir/issue-type
  bool positive = false;
};

inline constexpr Itk3Response kItk3HandlingSpecError{"10001", "Handling Specification Error",
                                                     "processing"};
inline constexpr Itk3Response kItk3InfAckValueError{
    "10002", "Infrastructure Level Response Value - Processing Error", "processing"};
inline constexpr Itk3Response kItk3BusAckValueError{
    "10003", "Business Level Response Value - Processing Error", "processing"};
inline constexpr Itk3Response kItk3MessageDefinitionError{
    "10004", "Message Definition Value - Processing Error", "processing"};
inline constexpr Itk3Response kItk3SenderReferenceError{
    "10007", "Sender Reference Value - Processing Error", "processing"};
inline constexpr Itk3Response kItk3HandlingBusinessRuleError{
    "10008", "Handling Specification Business Rule Error", "processing"};
inline constexpr Itk3Response kItk3Unreadable{"10009", "Unreadable message received", "processing"};
inline constexpr Itk3Response kItk3RecipientTypeError{"10010", "Recipient Type - Processing Error",
                                                      "processing"};
inline constexpr Itk3Response kItk3UnrecognisedSender{"20003", "Unrecognised Sender", "not-found"};
inline constexpr Itk3Response kItk3HeaderInvalid{"20006", "ITK header validation failure",
                                                 "structure"};
inline constexpr Itk3Response kItk3PayloadInvalid{"20009", "Payload validation failure", "invalid"};
inline constexpr Itk3Response kItk3UnauthorisedSender{"20012", "Unauthorised Sender", "security"};
inline constexpr Itk3Response kItk3Success{"20013", "Success", "informational", true};
// 20015 has no IssueType in explore_response_structure.md; too-costly is the closest FHIR code.
inline constexpr Itk3Response kItk3TooLarge{"20015", "Message too large", "too-costly"};

/** kUnreadableId: the id a response names when the original's id could not be read
 * (shared/reference/standards.md section 2, citing the ITK3 explore_response_examples page). */
inline constexpr std::string_view kUnreadableId = "UNREADABLE-IN-ORIGINAL-MESSAGE";

}  // namespace gw::adapters::itk
