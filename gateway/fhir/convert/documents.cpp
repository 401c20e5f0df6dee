// STU3 -> R4 for the document and messaging resources: Composition, DocumentReference,
// MessageHeader, Consent (restructured around R4 provision) and Binary
// (http://hl7.org/fhir/R4/<type>.html, "Changes since R3").
#include "gateway/fhir/convert/convert.hpp"

namespace gw::fhir::convert {
namespace {

/** move_members: moves the listed members of `from` into `to` (under the same names). */
void move_members(Value& from, Value& to, std::initializer_list<std::string_view> names, Alloc& a) {
  for (std::string_view name : names) {
    for (const std::string& n : {std::string(name), cat("_", name)}) {
      Value v = take(from, n);
      if (!v.IsNull()) {
        to.AddMember(str(n, a), v, a);
      }
    }
  }
}

}  // namespace

void convert_composition(Value& res, const Where& site, Context& ctx) {
  Alloc& a = ctx.alloc();
  if (get(res, "category") == nullptr) {
    rename(res, "class", "category", site, ctx);
    wrap_in_array(res, "category", a);
  }
  // attester.mode 1..* -> 1..1: one attester per mode keeps every mode and its party.
  Value attesters = take(res, "attester");
  if (attesters.IsArray()) {
    Value out = array();
    for (rapidjson::SizeType i = 0; i < attesters.Size(); ++i) {
      Value& att = attesters[i];
      Value modes = take(att, "mode");
      Value modes_ext = take(att, "_mode");
      if (modes.IsArray() && !modes.Empty()) {
        if (modes.Size() > 1) {
          ctx.report(site.child("attester").item(i).child("mode"),
                     "R4 attester has one mode: one attester per STU3 mode", false);
        }
        for (rapidjson::SizeType j = 0; j < modes.Size(); ++j) {
          Value copy(att, a);
          copy.AddMember("mode", modes[j], a);
          if (modes_ext.IsArray() && j < modes_ext.Size() && modes_ext[j].IsObject()) {
            copy.AddMember("_mode", modes_ext[j], a);
          }
          out.PushBack(copy, a);
        }
        continue;
      }
      if (!modes.IsNull()) {
        att.AddMember("mode", modes, a);  // not a list: leave as it was
      } else {
        ctx.report(site.child("attester").item(i), "R4 requires attester.mode; none in STU3",
                   false);
      }
      if (!modes_ext.IsNull()) {
        att.AddMember("_mode", modes_ext, a);
      }
      out.PushBack(att, a);
    }
    put(res, "attester", std::move(out), a);
  } else if (!attesters.IsNull()) {
    put(res, "attester", std::move(attesters), a);
  }
}

void convert_document_reference(Value& res, const Where& site, Context& ctx) {
  Alloc& a = ctx.alloc();
  if (get(res, "category") == nullptr) {
    rename(res, "class", "category", site, ctx);
    wrap_in_array(res, "category", a);
  }
  rename(res, "indexed", "date", site, ctx);
  // created (document creation time) -> content.attachment.creation.
  if (Value* created = get(res, "created")) {
    bool placed = false;
    if (Value* contents = get(res, "content"); contents != nullptr && contents->IsArray()) {
      for (auto& c : contents->GetArray()) {
        Value* att = get(c, "attachment");
        if (att != nullptr && att->IsObject() && get(*att, "creation") == nullptr) {
          att->AddMember("creation", Value(*created, a), a);
          placed = true;
        }
      }
    }
    if (placed) {
      (void)take(res, "created");
      if (get(res, "_created") != nullptr) {
        keep_as_extension(res, "_created", "", site.child("created"), ctx, "extensions on created");
      }
    } else {
      keep_child_as_extension(res, "created", "DateTime", site, ctx,
                              "no content.attachment without a creation date to carry it");
    }
  }
  Value* context = get(res, "context");
  if (context == nullptr || !context->IsObject()) {
    return;
  }
  Where cw = site.child("context");
  wrap_in_array(*context, "encounter", a);
  // related {identifier, ref} -> related (Reference).
  if (Value* related = get(*context, "related"); related != nullptr && related->IsArray()) {
    for (rapidjson::SizeType i = 0; i < related->Size(); ++i) {
      Value& r = (*related)[i];
      if (!r.IsObject() || get(r, "reference") != nullptr) {
        continue;
      }
      Value ref = take(r, "ref");
      Value identifier = take(r, "identifier");
      if (!ref.IsObject()) {
        ref = object();
      }
      if (!identifier.IsNull() && get(ref, "identifier") == nullptr) {
        ref.AddMember("identifier", identifier, a);
      } else if (!identifier.IsNull()) {
        keep_value_as_extension(ref, std::move(identifier), Value(), "Identifier",
                                cw.child("related").item(i).child("identifier"), ctx,
                                "the related reference already has an identifier");
      }
      if (Value* exts = get(r, "extension"); exts != nullptr && exts->IsArray()) {
        for (auto& e : exts->GetArray()) {
          add_extension(ref, std::move(e), a);
        }
      }
      r = ref;
    }
  }
}

void convert_message_header(Value& res, const Where& site, Context& ctx) {
  Alloc& a = ctx.alloc();
  rename(res, "event", "eventCoding", site, ctx);
  keep_child_as_extension(res, "timestamp", "Instant", site, ctx,
                          "R4 MessageHeader has no timestamp (a message Bundle carries it in "
                          "Bundle.timestamp)");
  Value receiver = take(res, "receiver");
  if (receiver.IsNull()) {
    return;
  }
  Where rw = site.child("receiver");
  Value* destinations = get(res, "destination");
  if (destinations == nullptr) {
    // R4 has the receiver per destination, whose endpoint is required: mark it unknown.
    Value d = object();
    d.AddMember("_endpoint", data_absent(a), a);
    d.AddMember("receiver", receiver, a);
    append(res, "destination", std::move(d), a);
    ctx.report(rw,
               "moved to destination[0].receiver; STU3 had no destination, so the required "
               "endpoint is marked data-absent-reason 'unknown'",
               false);
    return;
  }
  if (destinations->IsArray() && destinations->Size() == 1 && (*destinations)[0].IsObject() &&
      get((*destinations)[0], "receiver") == nullptr) {
    (*destinations)[0].AddMember("receiver", receiver, a);
    return;
  }
  keep_value_as_extension(res, std::move(receiver), Value(), "Reference", rw, ctx,
                          "R4 has a receiver per destination and there is not exactly one "
                          "destination to give it to");
}

void convert_consent(Value& res, const Where& site, Context& ctx) {
  Alloc& a = ctx.alloc();
  wrap_in_array(res, "identifier", a);
  rename(res, "consentingParty", "performer", site, ctx);
  // policyRule (uri) -> policy.uri (R4 policyRule is a CodeableConcept).
  Value rule = take(res, "policyRule");
  Value rule_ext = take(res, "_policyRule");
  if (rule.IsString()) {
    Value p = object();
    p.AddMember("uri", rule, a);
    if (rule_ext.IsObject()) {
      p.AddMember("_uri", rule_ext, a);
    }
    append(res, "policy", std::move(p), a);
    ctx.report(site.child("policyRule"),
               "R4 policyRule is a CodeableConcept; the STU3 policy URI is now policy.uri", false);
  } else if (!rule.IsNull() || !rule_ext.IsNull()) {
    keep_value_as_extension(res, std::move(rule), std::move(rule_ext), "Uri",
                            site.child("policyRule"), ctx, "policyRule is no URI");
  }
  keep_child_as_extension(res, "sourceIdentifier", "Identifier", site, ctx,
                          "R4 source[x] has no Identifier");
  // The STU3 base rule and its exceptions -> R4 provision and nested provisions.
  Value provision = object();
  move_members(res, provision,
               {"period", "actor", "action", "securityLabel", "purpose", "dataPeriod", "data"}, a);
  Value exceptions = take(res, "except");
  if (exceptions.IsArray()) {
    Value nested = array();
    for (rapidjson::SizeType i = 0; i < exceptions.Size(); ++i) {
      Value& e = exceptions[i];
      if (!e.IsObject()) {
        continue;
      }
      // code: Coding[] -> CodeableConcept[].
      if (Value* codes = get(e, "code"); codes != nullptr && codes->IsArray()) {
        Value concepts = array();
        for (auto& c : codes->GetArray()) {
          Value cc = object();
          Value list = array();
          list.PushBack(c, a);
          cc.AddMember("coding", list, a);
          concepts.PushBack(cc, a);
        }
        *codes = concepts;
      }
      nested.PushBack(e, a);
    }
    if (!nested.Empty()) {
      provision.AddMember("provision", nested, a);
    }
  } else if (!exceptions.IsNull()) {
    keep_value_as_extension(res, std::move(exceptions), Value(), "", site.child("except"), ctx,
                            "except is no list");
  }
  if (provision.MemberCount() > 0) {
    if (get(res, "provision") == nullptr) {
      put(res, "provision", std::move(provision), a);
    } else {
      keep_value_as_extension(res, std::move(provision), Value(), "", site, ctx,
                              "R4 provision already present; the STU3 rules");
    }
  }
  if (get(res, "scope") == nullptr) {
    ctx.report(site.child("scope"),
               "R4 requires scope (1..1); STU3 has no equivalent and none is guessed", false);
  }
}

void convert_binary(Value& res, const Where& site, Context& ctx) {
  rename(res, "content", "data", site, ctx);
}

}  // namespace gw::fhir::convert
