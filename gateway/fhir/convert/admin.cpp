// STU3 -> R4 for the administrative resources: Patient (animal, CareConnect NHS communication and
// death notification status), Location, RelatedPerson, and the types whose elements did not
// change (Practitioner, PractitionerRole, Organization, List, ...).
#include "gateway/fhir/convert/convert.hpp"

namespace gw::fhir::convert {
namespace {

constexpr std::string_view kProficiency =
    "http://hl7.org/fhir/StructureDefinition/patient-proficiency";
constexpr std::string_view kInterpreter =
    "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired";

/** first_coding: the first coding of a CodeableConcept (moved out), noting anything left. */
Value first_coding(Value& concept_value, bool& lost_more) {
  Value out;
  Value* codings = get(concept_value, "coding");
  if (codings != nullptr && codings->IsArray() && !codings->Empty()) {
    out.Swap((*codings)[0]);
    lost_more = lost_more || codings->Size() > 1;
  }
  lost_more = lost_more || get(concept_value, "text") != nullptr;
  return out;
}

/** simple_extension: {url, <key>: v}. */
Value simple_extension(std::string_view url, const char* key, Value&& v, Alloc& a) {
  Value e = object();
  e.AddMember("url", str(url, a), a);
  e.AddMember(rapidjson::StringRef(key), v, a);
  return e;
}

/** nhs_communication: CareConnect NHS communication -> Patient.communication (core R4). */
void nhs_communication(Value& res, const Where& site, Context& ctx) {
  Alloc& a = ctx.alloc();
  std::optional<bool> interpreter;
  bool interpreter_conflict = false;
  std::vector<Value> left;  // extensions that could not be converted, put back at the end
  while (true) {
    auto idx = find_extension(res, {"https://fhir.hl7.org.uk/STU3/StructureDefinition/"
                                    "Extension-CareConnect-NHSCommunication-1",
                                    "https://fhir.nhs.uk/STU3/StructureDefinition/"
                                    "Extension-CareConnect-GPC-NHSCommunication-1"});
    if (!idx) {
      break;
    }
    Where w = site.child("extension").item(*idx);
    Value ext = take_extension(res, *idx);
    Value* subs = get(ext, "extension");
    bool has_language = false;
    if (subs != nullptr && subs->IsArray()) {
      for (const auto& sub : subs->GetArray()) {
        has_language = has_language || (get_text(sub, "url") == "language" &&
                                        get(sub, "valueCodeableConcept") != nullptr);
      }
    }
    if (!has_language) {
      ctx.report(w, "NHS communication without a language: R4 communication needs one; kept as is",
                 false);
      left.push_back(std::move(ext));
      continue;
    }
    Value language;
    Value preferred;
    Value level;
    std::vector<Value> modes;
    bool lost_more = false;
    bool unknown_part = false;
    if (subs != nullptr && subs->IsArray()) {
      for (auto& sub : subs->GetArray()) {
        std::string_view url = get_text(sub, "url");
        Value* cc = get(sub, "valueCodeableConcept");
        Value* flag = get(sub, "valueBoolean");
        if (url == "language" && cc != nullptr && language.IsNull()) {
          language.Swap(*cc);
        } else if (url == "preferred" && flag != nullptr) {
          preferred.Swap(*flag);
        } else if (url == "modeOfCommunication" && cc != nullptr) {
          modes.push_back(first_coding(*cc, lost_more));
        } else if (url == "communicationProficiency" && cc != nullptr) {
          level = first_coding(*cc, lost_more);
        } else if (url == "interpreterRequired" && flag != nullptr && flag->IsBool()) {
          interpreter_conflict =
              interpreter_conflict || (interpreter && *interpreter != flag->GetBool());
          interpreter = interpreter.value_or(false) || flag->GetBool();
        } else {
          unknown_part = true;
        }
      }
    }
    Value comm = object();
    for (Value& mode : modes) {
      Value prof = object();
      prof.AddMember("url", str(kProficiency, a), a);
      Value parts = array();
      if (!level.IsNull()) {
        parts.PushBack(simple_extension("level", "valueCoding", Value(level, a), a), a);
      }
      if (!mode.IsNull()) {
        parts.PushBack(simple_extension("type", "valueCoding", std::move(mode), a), a);
      }
      if (!parts.Empty()) {
        prof.AddMember("extension", parts, a);
        add_extension(comm, std::move(prof), a);
      }
    }
    if (modes.empty() && !level.IsNull()) {
      Value parts = array();
      parts.PushBack(simple_extension("level", "valueCoding", std::move(level), a), a);
      Value prof = object();
      prof.AddMember("url", str(kProficiency, a), a);
      prof.AddMember("extension", parts, a);
      add_extension(comm, std::move(prof), a);
    }
    comm.AddMember("language", language, a);
    if (!preferred.IsNull()) {
      comm.AddMember("preferred", preferred, a);
    }
    append(res, "communication", std::move(comm), a);
    if (lost_more) {
      ctx.report(w,
                 "NHS communication mode / proficiency: R4 patient-proficiency holds one Coding; "
                 "further codings and text lost",
                 true);
    }
    if (unknown_part) {
      ctx.report(w, "NHS communication part(s) not defined by the STU3 extension lost", true);
    }
  }
  for (Value& ext : left) {
    add_extension(res, std::move(ext), a);
  }
  if (interpreter && !find_extension(res, {kInterpreter})) {
    add_extension(res, simple_extension(kInterpreter, "valueBoolean", Value(*interpreter), a), a);
    if (interpreter_conflict) {
      ctx.report(site.child("extension"),
                 "NHS communication interpreterRequired differed between languages; R4 "
                 "patient-interpreterRequired is per patient and set to true",
                 false);
    }
  }
}

/** death_notification: CareConnect (a CodeableConcept) -> UK Core (complex, on Patient). */
void death_notification(Value& res, const Where& site, Context& ctx) {
  constexpr std::string_view kStu3 =
      "https://fhir.hl7.org.uk/STU3/StructureDefinition/"
      "Extension-CareConnect-DeathNotificationStatus-1";
  Alloc& a = ctx.alloc();
  std::vector<Value> found;
  for (const char* holder_name : {"", "_deceasedDateTime", "_deceasedBoolean"}) {
    Value* holder = *holder_name == '\0' ? &res : get(res, holder_name);
    if (holder == nullptr) {
      continue;
    }
    while (auto idx = find_extension(*holder, {kStu3})) {
      found.push_back(take_extension(*holder, *idx));
    }
    if (*holder_name != '\0' && holder->IsObject() && holder->MemberCount() == 0) {
      (void)take(res, holder_name);  // nothing left of the primitive's extension element
    }
  }
  for (Value& ext : found) {
    Value* cc = get(ext, "valueCodeableConcept");
    if (cc == nullptr) {
      ctx.report(site.child("extension"),
                 "death notification status without a CodeableConcept; kept as is", false);
      add_extension(res, std::move(ext), a);
      continue;
    }
    Value part =
        simple_extension("deathNotificationStatus", "valueCodeableConcept", std::move(*cc), a);
    Value parts = array();
    parts.PushBack(part, a);
    Value r4 = object();
    r4.AddMember(
        "url",
        str("https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-DeathNotificationStatus",
            a),
        a);
    r4.AddMember("extension", parts, a);
    add_extension(res, std::move(r4), a);
  }
}

}  // namespace

void convert_patient(Value& res, const Where& site, Context& ctx) {
  Alloc& a = ctx.alloc();
  Value animal = take(res, "animal");
  if (animal.IsObject()) {
    Value parts = array();
    for (const char* part : {"species", "breed", "genderStatus"}) {
      if (Value* v = get(animal, part)) {
        parts.PushBack(simple_extension(part, "valueCodeableConcept", std::move(*v), a), a);
        (void)take(animal, part);
      }
    }
    Value ext = object();
    ext.AddMember("url", "http://hl7.org/fhir/StructureDefinition/patient-animal", a);
    ext.AddMember("extension", parts, a);
    add_extension(res, std::move(ext), a);
    ctx.report(site.child("animal"),
               "R4 Patient has no animal; it is now the core extension patient-animal", false);
    if (animal.MemberCount() > 0) {
      keep_value_as_extension(res, std::move(animal), Value(), "", site.child("animal"), ctx,
                              "parts of animal the patient-animal extension does not define");
    }
  } else if (!animal.IsNull()) {
    keep_value_as_extension(res, std::move(animal), Value(), "", site.child("animal"), ctx,
                            "animal is no object");
  }
  nhs_communication(res, site, ctx);
  death_notification(res, site, ctx);
}

void convert_location(Value& res, const Where& /*site*/, Context& ctx) {
  wrap_in_array(res, "type", ctx.alloc());
}

void convert_related_person(Value& res, const Where& /*site*/, Context& ctx) {
  wrap_in_array(res, "relationship", ctx.alloc());
}

void convert_unchanged(Value& /*res*/, const Where& /*site*/, Context& /*ctx*/) {}

}  // namespace gw::fhir::convert
