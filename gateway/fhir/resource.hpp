// Small typed views over FHIR R4 JSON (RapidJSON values) for what the gateway itself reads:
// the resource's type and id, its source, who it is about, its codes, and the few Patient,
// Bundle and MessageHeader elements that identity and routing need. Views never copy or own.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/identity/nhs_number.hpp"

namespace gw::fhir {

/** Code: one Coding's system, code and display (views into the document). */
struct Code {
  std::string_view system;
  std::string_view code;
  std::string_view display;
};

/** ResourceView: the elements every resource may carry. Cheap to copy; valid while the value is. */
class ResourceView {
public:
  explicit ResourceView(const rapidjson::Value& v) : v_(&v) {}

  /** valid: the value is an object with a string resourceType. */
  [[nodiscard]] bool valid() const;
  [[nodiscard]] std::string_view type() const;
  [[nodiscard]] std::string_view id() const;
  /** meta_source: meta.source, where caregw records the originating system. */
  [[nodiscard]] std::string_view meta_source() const;
  [[nodiscard]] std::string_view last_updated() const;
  /**
   * subject_reference: who the resource is about: `subject`, else `patient`, else
   * `beneficiary`/`individual` (the element name varies by resource type); empty if none.
   */
  [[nodiscard]] std::string_view subject_reference() const;
  /** codes: the codings of a CodeableConcept member (e.g. "code", "vaccineCode"). */
  [[nodiscard]] std::vector<Code> codes(std::string_view member) const;
  /** status: the `status` code, if the resource has one. */
  [[nodiscard]] std::string_view status() const;
  [[nodiscard]] const rapidjson::Value& json() const { return *v_; }

protected:
  [[nodiscard]] std::string_view string_member(std::string_view name) const;
  const rapidjson::Value* v_;
};

/** PatientView: identity elements of a Patient. */
class PatientView : public ResourceView {
public:
  using ResourceView::ResourceView;

  /** NhsNumberEntry: the NHS number identifier, parsed, with its UK Core verification status. */
  struct NhsNumberEntry {
    std::optional<NhsNumber> number;  // empty when present but invalid
    std::optional<VerificationStatus> verification;
  };
  /** nhs_number: the identifier with system https://fhir.nhs.uk/Id/nhs-number, if any. */
  [[nodiscard]] std::optional<NhsNumberEntry> nhs_number() const;
  /** identifier: the value of the first identifier with this system; empty if none. */
  [[nodiscard]] std::string_view identifier(std::string_view system) const;
  /** family, given: from the official (else first) name. */
  [[nodiscard]] std::string_view family() const;
  [[nodiscard]] std::vector<std::string_view> given() const;
  [[nodiscard]] std::string_view birth_date() const;
  [[nodiscard]] std::string_view gender() const;
  /** postcode: the postalCode of the home (else first) address. */
  [[nodiscard]] std::string_view postcode() const;
  /** gp_practice: the ODS code of the first generalPractitioner Organization, if given. */
  [[nodiscard]] std::string_view gp_practice_ods() const;
};

/** BundleView: a Bundle's type and entries. */
class BundleView : public ResourceView {
public:
  using ResourceView::ResourceView;
  [[nodiscard]] std::string_view bundle_type() const;
  /** resources: each entry's resource, in order (entries without one are skipped). */
  [[nodiscard]] std::vector<ResourceView> resources() const;
  /** find: the entry resource a reference names (fullUrl, or Type/id), or nullptr. */
  [[nodiscard]] const rapidjson::Value* find(std::string_view reference) const;
};

/** MessageHeaderView: what routing and acknowledgement need from a MessageHeader. */
class MessageHeaderView : public ResourceView {
public:
  using ResourceView::ResourceView;
  [[nodiscard]] std::optional<Code> event() const;
  [[nodiscard]] std::string_view source_endpoint() const;
  /** sender_ods: the ODS code of sender.identifier, if given as an identifier. */
  [[nodiscard]] std::string_view sender_ods() const;
  [[nodiscard]] std::vector<std::string_view> focus_references() const;
  /** response_to: response.identifier (the id of the message this one answers), if any. */
  [[nodiscard]] std::string_view response_to() const;
};

}  // namespace gw::fhir
