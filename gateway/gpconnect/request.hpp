// The GP Connect Access Record: Structured request (GP Connect 1.x, FHIR STU3): the operation
// URL, the Spine headers (Ssp-TraceID, Ssp-From, Ssp-To, Ssp-InteractionID), the unsigned JWT
// the consumer sends as its bearer token, and the Parameters body. Pure: no I/O, no clock.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "gateway/core/error.hpp"
#include "gateway/core/ids.hpp"
#include "gateway/identity/nhs_number.hpp"
#include "gateway/routing/http_call.hpp"

namespace gw::gpconnect {

/** kInteractionId: Ssp-InteractionID of the structured record operation. */
inline constexpr std::string_view kInteractionId =
    "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1";
/** kOperationPath: appended to the provider's FHIR base URL. */
inline constexpr std::string_view kOperationPath = "/Patient/$gpc.getstructuredrecord";
/** kTokenLifetime: the JWT's exp is iat plus this (GP Connect: at most 5 minutes). */
inline constexpr std::chrono::seconds kTokenLifetime{300};

/** Requester: on whose behalf the record is asked for (the JWT's requesting_practitioner). An
 * empty user_id means the gateway's own system identity (a CLI fetch, for instance). */
struct Requester {
  std::string user_id{};
  std::string user_name{};
  std::string role_code{};  // NHS RBAC role code, e.g. R8000 (sds-role-profile-id unknown)
};

/** Consumer: the gateway as the consuming system. */
struct Consumer {
  std::string asid;        // Ssp-From
  std::string ods;         // requesting_organization
  std::string name;        // its name (may be empty)
  std::string system_url;  // the JWT's iss
  std::string node_id;     // requesting_device's identifier
};

/** Provider: the practice's GP Connect endpoint. */
struct Provider {
  OdsCode practice;
  std::string base_url;  // FHIR base, no trailing slash
  std::string asid;      // Ssp-To
};

/** RequestInput: everything one request is built from. */
struct RequestInput {
  NhsNumber nhs_number;
  Provider provider;
  Consumer consumer;
  Requester requester{};
  std::chrono::system_clock::time_point now{};
  std::string trace_id{};  // a UUID (Ssp-TraceID)
};

/**
 * parameters_body: the STU3 Parameters resource asking for the whole structured record the
 * GP Connect adapter converts: patientNHSNumber (https://fhir.nhs.uk/Id/nhs-number),
 * includeAllergies (with includeResolvedAllergies), includeMedication (with
 * includePrescriptionIssues), includeConsultations, includeProblems, includeImmunisations,
 * includeUncategorisedData, includeInvestigations and includeReferrals.
 */
[[nodiscard]] std::string parameters_body(const NhsNumber& nhs_number);

/**
 * access_token: the GP Connect consumer JWT, unsigned (header {"alg":"none","typ":"JWT"}, an
 * empty signature): iss, sub (the practitioner's id), aud (the provider's base URL), iat, exp =
 * iat + 300 s, reason_for_request directcare, requested_scope (read of all the patient's
 * resources),
 * requesting_device, requesting_organization (ODS) and requesting_practitioner.
 */
[[nodiscard]] std::string access_token(const RequestInput& in);

/** build_request: the POST to {base}/Patient/$gpc.getstructuredrecord with every header. */
[[nodiscard]] routing::HttpCall build_request(const RequestInput& in);

}  // namespace gw::gpconnect
