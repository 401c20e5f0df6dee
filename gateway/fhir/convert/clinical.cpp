// STU3 -> R4 for the clinical record resources: AllergyIntolerance, Condition, Observation,
// Procedure, DiagnosticReport, Flag and CarePlan (http://hl7.org/fhir/R4/<type>.html, "Changes
// since R3"; code systems from http://terminology.hl7.org/).
#include "gateway/fhir/convert/convert.hpp"

namespace gw::fhir::convert {
namespace {

constexpr std::string_view kAllergyClinical =
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
constexpr std::string_view kAllergyVerification =
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification";
constexpr std::string_view kConditionClinical =
    "http://terminology.hl7.org/CodeSystem/condition-clinical";
constexpr std::string_view kConditionVerification =
    "http://terminology.hl7.org/CodeSystem/condition-ver-status";

/** allergy_end: CareConnect allergy end -> UK Core AllergyIntoleranceEnd on clinicalStatus. */
void allergy_end(Value& res, const Where& site, Context& ctx) {
  auto idx = find_extension(res, {"https://fhir.nhs.uk/STU3/StructureDefinition/"
                                  "Extension-CareConnect-GPC-AllergyIntoleranceEnd-1",
                                  "https://fhir.hl7.org.uk/STU3/StructureDefinition/"
                                  "Extension-CareConnect-AllergyIntoleranceEnd-1"});
  if (!idx) {
    return;
  }
  Alloc& a = ctx.alloc();
  Value ext = take_extension(res, *idx);
  put(ext, "url",
      str("https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AllergyIntoleranceEnd", a),
      a);
  Value* status = get(res, "clinicalStatus");
  if (status == nullptr) {
    // UK Core defines the extension on clinicalStatus; without one it stays on the resource.
    ctx.report(site.child("extension").item(*idx),
               "allergy end has no clinicalStatus to sit on (UK Core's context); kept on the "
               "resource",
               false);
    add_extension(res, std::move(ext), a);
    return;
  }
  if (!add_extension(*status, std::move(ext), a)) {
    ctx.report(site.child("extension").item(*idx), "allergy end lost: malformed clinicalStatus",
               true);
  }
}

/** associated_encounter: the core STU3 extension for what R4 holds in `encounter`. */
void associated_encounter(Value& res, Context& ctx) {
  if (get(res, "encounter") != nullptr) {
    return;
  }
  auto idx = find_extension(
      res, {"http://hl7.org/fhir/StructureDefinition/encounter-associatedEncounter"});
  if (!idx) {
    return;
  }
  Value ext = take_extension(res, *idx);
  if (Value* ref = get(ext, "valueReference")) {
    put(res, "encounter", std::move(*ref), ctx.alloc());
  } else {
    add_extension(res, std::move(ext), ctx.alloc());  // odd value type: leave it as it was
  }
}

}  // namespace

void convert_allergy_intolerance(Value& res, const Where& site, Context& ctx) {
  code_to_concept(res, "clinicalStatus", kAllergyClinical,
                  {{"active", "Active"}, {"inactive", "Inactive"}, {"resolved", "Resolved"}}, site,
                  ctx);
  code_to_concept(res, "verificationStatus", kAllergyVerification,
                  {{"unconfirmed", "Unconfirmed"},
                   {"confirmed", "Confirmed"},
                   {"refuted", "Refuted"},
                   {"entered-in-error", "Entered in Error"}},
                  site, ctx);
  rename(res, "assertedDate", "recordedDate", site, ctx);
  allergy_end(res, site, ctx);
  associated_encounter(res, ctx);
}

void convert_condition(Value& res, const Where& site, Context& ctx) {
  Alloc& a = ctx.alloc();
  code_to_concept(res, "clinicalStatus", kConditionClinical,
                  {{"active", "Active"},
                   {"recurrence", "Recurrence"},
                   {"inactive", "Inactive"},
                   {"remission", "Remission"},
                   {"resolved", "Resolved"}},
                  site, ctx);
  // STU3 "unknown" has no R4 counterpart, so code_to_concept keeps it as an extension.
  code_to_concept(res, "verificationStatus", kConditionVerification,
                  {{"provisional", "Provisional"},
                   {"differential", "Differential"},
                   {"confirmed", "Confirmed"},
                   {"refuted", "Refuted"},
                   {"entered-in-error", "Entered in Error"}},
                  site, ctx);
  rename(res, "assertedDate", "recordedDate", site, ctx);
  context_to_encounter(res, site, ctx);
  wrap_in_array(res, "stage", a);
  if (Value* abated = get(res, "abatementBoolean")) {
    bool resolved = abated->IsBool() && abated->GetBool();
    keep_child_as_extension(res, "abatementBoolean", "Boolean", site, ctx,
                            "R4 abatement[x] has no boolean");
    // R4 con-4: an abated condition is inactive, resolved or in remission.
    if (resolved && get(res, "clinicalStatus") == nullptr) {
      Value status = str("resolved", a);
      put(res, "clinicalStatus", std::move(status), a);
      code_to_concept(res, "clinicalStatus", kConditionClinical, {{"resolved", "Resolved"}}, site,
                      ctx);
      ctx.report(site.child("abatementBoolean"),
                 "abatementBoolean = true and no clinicalStatus: clinicalStatus set to 'resolved'",
                 false);
    }
  }
}

void convert_observation(Value& res, const Where& site, Context& ctx) {
  Alloc& a = ctx.alloc();
  context_to_encounter(res, site, ctx);
  wrap_in_array(res, "interpretation", a);
  keep_child_as_extension(res, "valueAttachment", "Attachment", site, ctx,
                          "R4 Observation.value[x] has no Attachment");
  // comment (string) -> note (Annotation).
  Value comment = take(res, "comment");
  Value comment_ext = take(res, "_comment");
  if (!comment.IsNull() || !comment_ext.IsNull()) {
    Value note = object();
    if (!comment.IsNull()) {
      note.AddMember("text", comment, a);
    }
    if (comment_ext.IsObject()) {
      note.AddMember("_text", comment_ext, a);
    }
    if (!append(res, "note", std::move(note), a)) {
      ctx.report(site.child("comment"), "comment lost: 'note' is malformed", true);
    }
  }
  // related -> hasMember / derivedFrom; the other relationship types have no R4 element.
  Value related = take(res, "related");
  if (related.IsArray()) {
    for (rapidjson::SizeType i = 0; i < related.Size(); ++i) {
      Value& r = related[i];
      Where rw = site.child("related").item(i);
      std::string_view type = get_text(r, "type");
      Value* target = get(r, "target");
      const char* to = type == "has-member"     ? "hasMember"
                       : type == "derived-from" ? "derivedFrom"
                                                : nullptr;
      if (to != nullptr && target != nullptr) {
        append(res, to, std::move(*target), a);
      } else {
        keep_value_as_extension(
            res, std::move(r), Value(), "", rw, ctx,
            cat("relationship type ",
                safe_code(type, {"sequel-to", "replaces", "qualified-by", "interfered-by"}),
                " has no R4 element"));
      }
    }
  } else if (!related.IsNull()) {
    keep_value_as_extension(res, std::move(related), Value(), "", site.child("related"), ctx,
                            "related is no list");
  }
  if (Value* components = get(res, "component"); components != nullptr && components->IsArray()) {
    for (rapidjson::SizeType i = 0; i < components->Size(); ++i) {
      Value& c = (*components)[i];
      Where cw = site.child("component").item(i);
      wrap_in_array(c, "interpretation", a);
      keep_child_as_extension(c, "valueAttachment", "Attachment", cw, ctx,
                              "R4 Observation.component.value[x] has no Attachment");
    }
  }
}

void convert_procedure(Value& res, const Where& site, Context& ctx) {
  Alloc& a = ctx.alloc();
  if (get(res, "definition") != nullptr) {
    keep_child_as_extension(res, "definition", "Reference", site, ctx,
                            "R4 instantiatesCanonical takes a canonical URL, not a Reference");
  }
  map_codes(res, "status", {{"suspended", "on-hold"}, {"aborted", "stopped"}});
  if (Value* not_done = get(res, "notDone")) {
    if (not_done->IsBool()) {
      bool done = !not_done->GetBool();
      (void)take(res, "notDone");
      if (!done && get_text(res, "status") != "entered-in-error") {
        put(res, "status", str("not-done", a), a);
      }
    } else {
      keep_child_as_extension(res, "notDone", "", site, ctx, "notDone is no boolean");
    }
  }
  rename(res, "notDoneReason", "statusReason", site, ctx);
  context_to_encounter(res, site, ctx);
  if (Value* performers = get(res, "performer"); performers != nullptr && performers->IsArray()) {
    for (rapidjson::SizeType i = 0; i < performers->Size(); ++i) {
      rename((*performers)[i], "role", "function", site.child("performer").item(i), ctx);
    }
  }
}

void convert_diagnostic_report(Value& res, const Where& site, Context& ctx) {
  Alloc& a = ctx.alloc();
  wrap_in_array(res, "category", a);
  context_to_encounter(res, site, ctx);
  rename(res, "image", "media", site, ctx);
  rename(res, "codedDiagnosis", "conclusionCode", site, ctx);
  // performer {role, actor} -> performer (Reference); the role rides on the Reference.
  Value performers = take(res, "performer");
  if (performers.IsArray()) {
    Value out = array();
    for (rapidjson::SizeType i = 0; i < performers.Size(); ++i) {
      Value& p = performers[i];
      Where pw = site.child("performer").item(i);
      Value actor = take(p, "actor");
      if (!actor.IsObject()) {
        keep_value_as_extension(res, std::move(p), Value(), "", pw, ctx,
                                "performer without an actor");
        continue;
      }
      keep_child_as_extension(p, "role", "CodeableConcept", pw, ctx,
                              "R4 performer is a Reference with no role");
      if (Value* exts = get(p, "extension"); exts != nullptr && exts->IsArray()) {
        for (auto& e : exts->GetArray()) {
          add_extension(actor, std::move(e), a);
        }
      }
      if (Value mods = take(p, "modifierExtension"); !mods.IsNull()) {
        keep_value_as_extension(actor, std::move(mods), Value(), "", pw.child("modifierExtension"),
                                ctx, "R4 performer (a Reference) cannot carry modifier extensions");
      }
      out.PushBack(actor, a);
    }
    if (!out.Empty()) {
      put(res, "performer", std::move(out), a);
    }
  } else if (!performers.IsNull()) {
    keep_value_as_extension(res, std::move(performers), Value(), "", site.child("performer"), ctx,
                            "performer is no list");
  }
}

void convert_flag(Value& res, const Where& /*site*/, Context& ctx) {
  wrap_in_array(res, "category", ctx.alloc());
}

void convert_care_plan(Value& res, const Where& site, Context& ctx) {
  Alloc& a = ctx.alloc();
  if (get(res, "definition") != nullptr) {
    keep_child_as_extension(res, "definition", "Reference", site, ctx,
                            "R4 instantiatesCanonical takes a canonical URL, not a Reference");
  }
  map_codes(res, "status", {{"suspended", "on-hold"}, {"cancelled", "revoked"}});
  context_to_encounter(res, site, ctx);
  // author 0..* -> author 0..1 (the designated responsible party) + contributor 0..*.
  if (Value* authors = get(res, "author"); authors != nullptr && authors->IsArray()) {
    Value all = take(res, "author");
    if (!all.Empty()) {
      Value first(all[0], a);  // deep copy: it appears in both author and contributor
      if (all.Size() > 1) {
        ctx.report(site.child("author"),
                   "R4 has one author: the first STU3 author became author, all became "
                   "contributors",
                   false);
      }
      put(res, "author", std::move(first), a);
      if (get(res, "contributor") == nullptr) {
        put(res, "contributor", std::move(all), a);
      }
    }
  }
  if (Value* activities = get(res, "activity"); activities != nullptr && activities->IsArray()) {
    for (rapidjson::SizeType i = 0; i < activities->Size(); ++i) {
      Value* detail = get((*activities)[i], "detail");
      if (detail == nullptr || !detail->IsObject()) {
        continue;
      }
      Where dw = site.child("activity").item(i).child("detail");
      keep_child_as_extension(*detail, "category", "CodeableConcept", dw, ctx,
                              "R4 detail.kind is a resource type, not the STU3 activity category");
      keep_child_as_extension(*detail, "definition", "Reference", dw, ctx,
                              "R4 instantiatesCanonical takes a canonical URL, not a Reference");
      rename(*detail, "prohibited", "doNotPerform", dw, ctx);
      // statusReason: string -> CodeableConcept.text.
      Value reason = take(*detail, "statusReason");
      if (reason.IsString()) {
        Value cc = object();
        cc.AddMember("text", reason, a);
        put(*detail, "statusReason", std::move(cc), a);
      } else if (!reason.IsNull()) {
        keep_value_as_extension(*detail, std::move(reason), Value(), "", dw.child("statusReason"),
                                ctx, "statusReason is no string");
      }
    }
  }
}

}  // namespace gw::fhir::convert
