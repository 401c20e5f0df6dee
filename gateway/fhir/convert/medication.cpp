// STU3 -> R4 for the medication resources and Immunization
// (http://hl7.org/fhir/R4/medicationstatement.html, medicationrequest.html, medication.html,
// immunization.html; "Changes since R3" on each page) and the GP Connect medication extensions.
#include "gateway/fhir/convert/convert.hpp"

namespace gw::fhir::convert {
namespace {

std::string statement_status(std::string_view s) {
  return safe_code(s,
                   {"active", "completed", "entered-in-error", "intended", "stopped", "on-hold"});
}

/** integer_value: the value of an extension holding an integer type, if any. */
const Value* integer_value(const Value& ext) {
  for (const char* key : {"valueUnsignedInt", "valuePositiveInt", "valueInteger"}) {
    const Value* v = get(ext, key);
    if (v != nullptr && v->IsUint()) {
      return v;
    }
  }
  return nullptr;
}

/** GP Connect prescription type -> R4 courseOfTherapyType (as NHS England / Interweave map it). */
void prescription_type(Value& res, const Where& site, Context& ctx) {
  auto idx = find_extension(
      res,
      {"https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-PrescriptionType-1",
       "https://fhir.hl7.org.uk/STU3/StructureDefinition/"
       "Extension-CareConnect-PrescriptionType-1"});
  if (!idx) {
    return;
  }
  Where w = site.child("extension").item(*idx);
  const Value& ext = (*get(res, "extension"))[*idx];
  std::string_view code;
  if (const Value* cc = get(ext, "valueCodeableConcept")) {
    if (const Value* codings = get(*cc, "coding");
        codings != nullptr && codings->IsArray() && !codings->Empty()) {
      code = get_text((*codings)[0], "code");
    }
  }
  struct Target {
    std::string_view stu3, system, code, display;
  };
  static constexpr Target kMap[] = {
      {"acute", "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy",
       "acute", "Short course (acute) therapy"},
      {"repeat", "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy",
       "continuous", "Continuous long term therapy"},
      {"repeat-dispensing",
       "https://fhir.hl7.org.uk/CodeSystem/UKCore-MedicationRequestCourseOfTherapy",
       "continuous-repeat-dispensing", "Continuous long term (repeat dispensing)"},
  };
  const Target* t = nullptr;
  for (const Target& m : kMap) {
    if (m.stu3 == code) {
      t = &m;
    }
  }
  if (t == nullptr) {
    ctx.report(w,
               cat("prescription type ", safe_code(code, {"delayed-prescribing"}),
                   " has no R4 courseOfTherapyType; extension kept as is"),
               false);
    return;
  }
  if (get(res, "courseOfTherapyType") != nullptr) {
    ctx.report(w, "courseOfTherapyType already present; prescription type extension kept as is",
               false);
    return;
  }
  Alloc& a = ctx.alloc();
  Value taken = take_extension(res, *idx);
  Value coding = object();
  coding.AddMember("system", str(t->system, a), a);
  coding.AddMember("code", str(t->code, a), a);
  coding.AddMember("display", str(t->display, a), a);
  Value codings = array();
  codings.PushBack(coding, a);
  Value concept_value = object();
  concept_value.AddMember("coding", codings, a);
  if (Value* cc = get(taken, "valueCodeableConcept")) {
    if (Value* txt = get(*cc, "text")) {
      concept_value.AddMember("text", *txt, a);
    }
  }
  put(res, "courseOfTherapyType", std::move(concept_value), a);
}

/** Repeat information -> UK Core MedicationRepeatInformation +
 * dispenseRequest.numberOfRepeatsAllowed. */
void repeat_information(Value& res, const Where& site, Context& ctx) {
  auto idx = find_extension(res, {"https://fhir.nhs.uk/STU3/StructureDefinition/"
                                  "Extension-CareConnect-GPC-MedicationRepeatInformation-1",
                                  "https://fhir.hl7.org.uk/STU3/StructureDefinition/"
                                  "Extension-CareConnect-MedicationRepeatInformation-1"});
  if (!idx) {
    return;
  }
  Alloc& a = ctx.alloc();
  Where w = site.child("extension").item(*idx);
  Value& ext = (*get(res, "extension"))[*idx];
  Value* subs = get(ext, "extension");
  if (subs == nullptr || !subs->IsArray()) {
    ctx.report(w, "repeat information without parts; kept as is", false);
    return;
  }
  Value kept = array();
  Value allowed;
  for (rapidjson::SizeType i = 0; i < subs->Size(); ++i) {
    Value& sub = (*subs)[i];
    std::string_view url = get_text(sub, "url");
    const Value* n = integer_value(sub);
    if (url == "numberOfRepeatPrescriptionsAllowed" && n != nullptr && allowed.IsNull()) {
      allowed.SetUint(n->GetUint());
    } else if (url == "numberOfRepeatPrescriptionsIssued" && n != nullptr) {
      Value e = object();
      e.AddMember("url", "numberOfPrescriptionsIssued", a);
      e.AddMember("valueUnsignedInt", Value(n->GetUint()), a);
      kept.PushBack(e, a);
    } else if (url == "authorisationExpiryDate") {
      kept.PushBack(sub, a);
    } else {
      ctx.report(w.child("extension").item(i),
                 cat("repeat information part '", safe_name(url),
                     "' has no UK Core equivalent; kept in the extension"),
                 false);
      kept.PushBack(sub, a);
    }
  }
  if (!allowed.IsNull()) {
    Value* dispense = get(res, "dispenseRequest");
    if (dispense == nullptr) {
      put(res, "dispenseRequest", object(), a);
      dispense = get(res, "dispenseRequest");
    }
    // `ext` may have moved when dispenseRequest was added; find it again below.
    if (dispense->IsObject() && get(*dispense, "numberOfRepeatsAllowed") == nullptr) {
      dispense->AddMember("numberOfRepeatsAllowed", allowed, a);
    } else {
      ctx.report(w, "numberOfRepeatPrescriptionsAllowed conflicts with dispenseRequest; lost",
                 true);
    }
  }
  Value& again = (*get(res, "extension"))[*idx];
  put(again, "url",
      str("https://fhir.hl7.org.uk/StructureDefinition/"
          "Extension-UKCore-MedicationRepeatInformation",
          a),
      a);
  if (kept.Empty()) {
    (void)take_extension(res, *idx);
  } else {
    put(again, "extension", std::move(kept), a);
  }
}

}  // namespace

void convert_medication_statement(Value& res, const Where& site, Context& ctx) {
  Alloc& a = ctx.alloc();
  // taken (y | n | unk | na) -> status: R4 has "not-taken" but nothing for "unknown whether".
  if (Value* taken = get(res, "taken")) {
    std::string_view t = text(*taken);
    std::string_view status = get_text(res, "status");
    Where w = site.child("taken");
    if (t == "n" && status != "entered-in-error") {
      if (!status.empty()) {
        std::string old = statement_status(status);
        keep_value_as_extension(res, str(status, a), Value(), "Code", site.child("status"), ctx,
                                cat("STU3 status ", old, " replaced by 'not-taken' (taken = 'n')"));
      }
      put(res, "status", str("not-taken", a), a);
      (void)take(res, "taken");
      if (get(res, "_taken") != nullptr) {
        keep_as_extension(res, "_taken", "", w, ctx, "extensions on 'taken'");
      }
    } else if (t == "y" && get(res, "_taken") == nullptr) {
      (void)take(res, "taken");  // implied by any R4 status other than not-taken
    } else {
      keep_as_extension(
          res, "taken", "Code", w, ctx,
          cat("R4 has no element for taken = ", safe_code(t, {"y", "n", "unk", "na"})));
    }
  }
  rename(res, "reasonNotTaken", "statusReason", site, ctx);
}

void convert_medication_request(Value& res, const Where& site, Context& ctx) {
  wrap_in_array(res, "category", ctx.alloc());
  context_to_encounter(res, site, ctx);
  flatten_requester(res, site, ctx);
  if (get(res, "definition") != nullptr) {
    keep_child_as_extension(res, "definition", "Reference", site, ctx,
                            "R4 instantiatesCanonical takes a canonical URL, not a Reference");
  }
  if (Value* sub = get(res, "substitution"); sub != nullptr && sub->IsObject()) {
    rename(*sub, "allowed", "allowedBoolean", site.child("substitution"), ctx);
  }
  prescription_type(res, site, ctx);
  repeat_information(res, site, ctx);
}

void convert_medication(Value& res, const Where& site, Context& ctx) {
  Alloc& a = ctx.alloc();
  keep_child_as_extension(res, "isBrand", "Boolean", site, ctx, "R4 Medication has no isBrand");
  keep_child_as_extension(res, "isOverTheCounter", "Boolean", site, ctx,
                          "R4 Medication has no isOverTheCounter");
  keep_child_as_extension(res, "image", "Attachment", site, ctx, "R4 Medication has no image");
  if (Value* ingredients = get(res, "ingredient");
      ingredients != nullptr && ingredients->IsArray()) {
    for (rapidjson::SizeType i = 0; i < ingredients->Size(); ++i) {
      rename((*ingredients)[i], "amount", "strength", site.child("ingredient").item(i), ctx);
    }
  }
  Value package = take(res, "package");
  if (package.IsNull()) {
    return;
  }
  Where pw = site.child("package");
  if (package.IsObject()) {
    Value batches = take(package, "batch");
    if (batches.IsArray() && !batches.Empty()) {
      if (get(res, "batch") == nullptr) {
        put(res, "batch", std::move(batches[0]), a);
        batches.Erase(batches.Begin());
      }
      if (!batches.Empty()) {
        keep_value_as_extension(res, std::move(batches), Value(), "", pw.child("batch"), ctx,
                                "R4 Medication has one batch");
      }
    }
    if (package.MemberCount() == 0) {
      return;
    }
  }
  keep_value_as_extension(res, std::move(package), Value(), "", pw, ctx,
                          "R4 Medication has no package (container, content)");
}

void convert_immunization(Value& res, const Where& site, Context& ctx) {
  Alloc& a = ctx.alloc();
  // notGiven (a modifier) -> status not-done.
  if (Value* not_given = get(res, "notGiven")) {
    if (not_given->IsBool()) {
      bool given = !not_given->GetBool();
      (void)take(res, "notGiven");
      if (!given && get_text(res, "status") != "entered-in-error") {
        put(res, "status", str("not-done", a), a);
      }
    } else {
      keep_child_as_extension(res, "notGiven", "", site, ctx, "notGiven is no boolean");
    }
  }
  Value explanation = take(res, "explanation");
  if (explanation.IsObject()) {
    Where ew = site.child("explanation");
    if (Value* reason = get(explanation, "reason")) {
      put(res, "reasonCode", std::move(*reason), a);
      (void)take(explanation, "reason");
    }
    Value not_given_reasons = take(explanation, "reasonNotGiven");
    if (not_given_reasons.IsArray() && !not_given_reasons.Empty()) {
      put(res, "statusReason", std::move(not_given_reasons[0]), a);
      not_given_reasons.Erase(not_given_reasons.Begin());
      if (!not_given_reasons.Empty()) {
        keep_value_as_extension(res, std::move(not_given_reasons), Value(), "CodeableConcept",
                                ew.child("reasonNotGiven"), ctx,
                                "R4 statusReason holds one reason");
      }
    }
    if (explanation.MemberCount() > 0) {
      keep_value_as_extension(res, std::move(explanation), Value(), "", ew, ctx,
                              "parts of explanation R4 has no element for");
    }
  } else if (!explanation.IsNull()) {
    keep_value_as_extension(res, std::move(explanation), Value(), "", site.child("explanation"),
                            ctx, "explanation is no object");
  }
  rename(res, "date", "occurrenceDateTime", site, ctx);
  rename(res, "practitioner", "performer", site, ctx);
  if (Value* performers = get(res, "performer"); performers != nullptr && performers->IsArray()) {
    for (rapidjson::SizeType i = 0; i < performers->Size(); ++i) {
      rename((*performers)[i], "role", "function", site.child("practitioner").item(i), ctx);
    }
  }
  rename(res, "vaccinationProtocol", "protocolApplied", site, ctx);
  if (Value* protocols = get(res, "protocolApplied");
      protocols != nullptr && protocols->IsArray()) {
    for (rapidjson::SizeType i = 0; i < protocols->Size(); ++i) {
      Value& p = (*protocols)[i];
      Where pw = site.child("vaccinationProtocol").item(i);
      rename(p, "doseSequence", "doseNumberPositiveInt", pw, ctx);
      rename(p, "seriesDoses", "seriesDosesPositiveInt", pw, ctx);
      keep_child_as_extension(p, "description", "String", pw, ctx,
                              "R4 protocolApplied has no description");
      keep_child_as_extension(p, "doseStatus", "CodeableConcept", pw, ctx,
                              "R4 protocolApplied has no doseStatus");
      keep_child_as_extension(p, "doseStatusReason", "CodeableConcept", pw, ctx,
                              "R4 protocolApplied has no doseStatusReason");
      if (p.IsObject() && get(p, "doseNumberPositiveInt") == nullptr) {
        ctx.report(pw, "R4 requires doseNumber; STU3 doseSequence is absent", false);
      }
    }
  }
  // Date recorded (GP Connect / CareConnect extension) is R4's own `recorded`.
  auto idx = find_extension(
      res,
      {"https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-DateRecorded-1",
       "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-DateRecorded-1"});
  if (idx && get(res, "recorded") == nullptr) {
    Value ext = take_extension(res, *idx);
    if (Value* when = get(ext, "valueDateTime")) {
      put(res, "recorded", std::move(*when), a);
    } else {
      keep_value_as_extension(res, std::move(ext), Value(), "", site.child("extension"), ctx,
                              "date recorded extension without valueDateTime");
    }
  }
}

}  // namespace gw::fhir::convert
