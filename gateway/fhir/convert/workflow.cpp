// STU3 -> R4 for Encounter and the request resources: ReferralRequest and ProcedureRequest both
// become ServiceRequest (http://hl7.org/fhir/R4/servicerequest.html), Task, HealthcareService.
#include "gateway/fhir/convert/convert.hpp"

namespace gw::fhir::convert {
namespace {

/** to_service_request: what ReferralRequest and ProcedureRequest share on the way to R4. */
void to_service_request(Value& res, const Where& site, Context& ctx) {
  put(res, "resourceType", str("ServiceRequest", ctx.alloc()), ctx.alloc());
  if (get(res, "definition") != nullptr) {
    keep_child_as_extension(res, "definition", "Reference", site, ctx,
                            "R4 instantiatesCanonical takes a canonical URL, not a Reference");
  }
  // draft | active | suspended | cancelled | completed | entered-in-error | unknown
  map_codes(res, "status", {{"suspended", "on-hold"}, {"cancelled", "revoked"}});
  context_to_encounter(res, site, ctx);
  flatten_requester(res, site, ctx);
}

}  // namespace

void convert_encounter(Value& res, const Where& site, Context& ctx) {
  Alloc& a = ctx.alloc();
  rename(res, "incomingReferral", "basedOn", site, ctx);
  rename(res, "reason", "reasonCode", site, ctx);
  wrap_in_array(res, "appointment", a);
  if (Value* diagnoses = get(res, "diagnosis"); diagnoses != nullptr && diagnoses->IsArray()) {
    for (rapidjson::SizeType i = 0; i < diagnoses->Size(); ++i) {
      rename((*diagnoses)[i], "role", "use", site.child("diagnosis").item(i), ctx);
    }
  }
  if (get(res, "class") == nullptr) {
    // R4 makes class 1..1; a Coding carrying only a data-absent-reason keeps the resource valid
    // without inventing a value.
    res.AddMember("class", data_absent(a), a);
    ctx.report(site.child("class"),
               "R4 requires class (1..1); the STU3 Encounter has none, so it is marked "
               "data-absent-reason 'unknown'",
               false);
  }
}

void convert_referral_request(Value& res, const Where& site, Context& ctx) {
  Alloc& a = ctx.alloc();
  to_service_request(res, site, ctx);
  rename(res, "groupIdentifier", "requisition", site, ctx);
  if (get(res, "type") != nullptr && get(res, "category") == nullptr) {
    rename(res, "type", "category", site, ctx);
    wrap_in_array(res, "category", a);
  } else {
    keep_child_as_extension(res, "type", "CodeableConcept", site, ctx,
                            "R4 category is already present");
  }
  // serviceRequested 0..* -> code 0..1.
  Value services = take(res, "serviceRequested");
  if (services.IsArray() && !services.Empty()) {
    if (get(res, "code") == nullptr) {
      put(res, "code", std::move(services[0]), a);
      services.Erase(services.Begin());
    }
    if (!services.Empty()) {
      keep_value_as_extension(res, std::move(services), Value(), "CodeableConcept",
                              site.child("serviceRequested"), ctx,
                              "R4 code holds one service; the first became code");
    }
  } else if (!services.IsNull() && !services.IsArray()) {
    keep_value_as_extension(res, std::move(services), Value(), "", site.child("serviceRequested"),
                            ctx, "serviceRequested is no list");
  }
  rename(res, "specialty", "performerType", site, ctx);
  rename(res, "recipient", "performer", site, ctx);
  // description has no R4 element; a note keeps it readable where receivers look.
  Value description = take(res, "description");
  Value description_ext = take(res, "_description");
  if (!description.IsNull() || !description_ext.IsNull()) {
    Value note = object();
    if (!description.IsNull()) {
      note.AddMember("text", description, a);
    }
    if (description_ext.IsObject()) {
      note.AddMember("_text", description_ext, a);
    }
    if (append(res, "note", std::move(note), a)) {
      ctx.report(site.child("description"), "R4 has no description; it is now a note", false);
    } else {
      ctx.report(site.child("description"), "description lost: 'note' is malformed", true);
    }
  }
}

void convert_procedure_request(Value& res, const Where& site, Context& ctx) {
  to_service_request(res, site, ctx);
  wrap_in_array(res, "performer", ctx.alloc());
}

void convert_task(Value& res, const Where& site, Context& ctx) {
  rename(res, "definitionUri", "instantiatesUri", site, ctx);
  if (get(res, "definitionReference") != nullptr) {
    keep_child_as_extension(res, "definitionReference", "Reference", site, ctx,
                            "R4 instantiatesCanonical takes a canonical URL, not a Reference");
  }
  context_to_encounter(res, site, ctx);
  flatten_requester(res, site, ctx);
  rename(res, "reason", "reasonCode", site, ctx);
}

void convert_healthcare_service(Value& res, const Where& site, Context& ctx) {
  Alloc& a = ctx.alloc();
  wrap_in_array(res, "category", a);
  // eligibility (CodeableConcept) + eligibilityNote -> eligibility [{code, comment}].
  Value code = take(res, "eligibility");
  Value note = take(res, "eligibilityNote");
  Value note_ext = take(res, "_eligibilityNote");
  if (!code.IsNull() || !note.IsNull()) {
    Value e = object();
    if (!code.IsNull()) {
      e.AddMember("code", code, a);
    }
    if (!note.IsNull()) {
      e.AddMember("comment", note, a);
    }
    if (note_ext.IsObject()) {
      e.AddMember("_comment", note_ext, a);
    }
    append(res, "eligibility", std::move(e), a);
  }
  // programName (string[]) -> program (CodeableConcept[]).
  Value names = take(res, "programName");
  if (Value names_ext = take(res, "_programName"); !names_ext.IsNull()) {
    keep_value_as_extension(res, std::move(names_ext), Value(), "", site.child("_programName"), ctx,
                            "extensions on programName (R4 program is a CodeableConcept)");
  }
  if (names.IsArray()) {
    for (auto& n : names.GetArray()) {
      Value cc = object();
      cc.AddMember("text", n, a);
      append(res, "program", std::move(cc), a);
    }
  } else if (!names.IsNull()) {
    keep_value_as_extension(res, std::move(names), Value(), "", site.child("programName"), ctx,
                            "programName is no list");
  }
}

}  // namespace gw::fhir::convert
