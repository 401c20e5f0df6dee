// Translation between formats: parse the input into FHIR JSON of its version, convert the version
// if asked (STU3 -> R4), then write the output format. Native formats go through their adapter's
// translate() (gateway/ingest/adapter.hpp) and print the resources it yields as a Bundle.
#include "gateway/translate/translate.hpp"

#include <array>
#include <utility>

#include "adapters/emis/emis.hpp"
#include "adapters/hl7v2/adapter.hpp"
#include "adapters/hl7v2/message.hpp"
#include "adapters/itk/itk_adapter.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/fhir/schema.hpp"
#include "gateway/fhir/stu3_to_r4.hpp"
#include "gateway/fhir/xml.hpp"

namespace gw::translate {
namespace {

constexpr std::array<std::pair<Kind, std::string_view>, 11> kNames{{
    {Kind::kHl7v2, "hl7v2"},
    {Kind::kItk, "itk"},
    {Kind::kEmisXml, "emis-xml"},
    {Kind::kMhJson, "mh-json"},
    {Kind::kLasJson, "las-json"},
    {Kind::kAmbulanceJson, "ambulance-json"},
    {Kind::kFhirR4, "fhir-r4"},
    {Kind::kFhirR4Xml, "fhir-r4-xml"},
    {Kind::kFhirStu3, "fhir-stu3"},
    {Kind::kFhirStu3Xml, "fhir-stu3-xml"},
    {Kind::kGpConnect, "gpconnect"},
}};

bool is_fhir(Kind k) {
  return k == Kind::kFhirR4 || k == Kind::kFhirR4Xml || k == Kind::kFhirStu3 ||
         k == Kind::kFhirStu3Xml;
}
bool is_xml(Kind k) { return k == Kind::kFhirR4Xml || k == Kind::kFhirStu3Xml; }
fhir::FhirVersion version_of(Kind k) {
  return k == Kind::kFhirR4 || k == Kind::kFhirR4Xml ? fhir::FhirVersion::kR4
                                                     : fhir::FhirVersion::kStu3;
}

/** from_hl7v2: an HL7 v2 message as a transaction Bundle of what the hl7v2 adapter yields. */
Result<fhir::Json> from_hl7v2(std::string_view input, const Options& options,
                              std::vector<std::string>& warnings) {
  std::string sender_text;
  if (auto m = adapters::hl7v2::Message::parse(input)) {
    sender_text = m->get("MSH", 4, 1, 1);
  }
  auto sender = OdsCode::parse(sender_text);
  if (!sender) {
    sender = OdsCode::parse("UNKNOWN");
  }
  const mapping::Mapper mapper(options.mappings, nullptr);
  auto t = adapters::hl7v2::make_hl7v2_adapter()->translate(*sender, input, mapper);
  if (!t) {
    return t.error();
  }
  fhir::Json bundle(rapidjson::kObjectType);
  auto& a = bundle.GetAllocator();
  bundle.AddMember("resourceType", "Bundle", a);
  bundle.AddMember("type", "transaction", a);
  rapidjson::Value entries(rapidjson::kArrayType);
  for (const auto& r : t->resources) {
    rapidjson::Value entry(rapidjson::kObjectType);
    rapidjson::Value request(rapidjson::kObjectType);
    const std::string url = r.resource_type + "/" + r.id;
    if (!r.deleted) {
      auto doc = fhir::parse_json(r.json);
      if (!doc) {
        return doc.error();
      }
      entry.AddMember("resource", rapidjson::Value(*doc, a), a);
    }
    request.AddMember("method", rapidjson::StringRef(r.deleted ? "DELETE" : "PUT"), a);
    request.AddMember("url", rapidjson::Value(url.c_str(), a), a);
    entry.AddMember("request", request, a);
    entries.PushBack(entry, a);
  }
  bundle.AddMember("entry", entries, a);
  warnings = t->warnings;
  // One per MRG: a Bundle cannot carry a merge; the gateway's MPI applies it.
  warnings.insert(warnings.end(), t->merges.size(),
                  "MRG-1: merge request (superseded hospital number into the survivor's); "
                  "a Bundle cannot carry it, the gateway's MPI applies it");
  return bundle;
}

/**
 * native_bundle: a native message's resources as an R4 Bundle of type collection, in the order
 * the adapter gave them (fullUrl "Type/id"; deleted resources are left out).
 */
Result<fhir::Json> native_bundle(const ingest::TranslatedMessage& m) {
  fhir::Json bundle(rapidjson::kObjectType);
  auto& a = bundle.GetAllocator();
  bundle.AddMember("resourceType", "Bundle", a);
  bundle.AddMember("type", "collection", a);
  rapidjson::Value entries(rapidjson::kArrayType);
  for (const auto& r : m.resources) {
    if (r.deleted) {
      continue;
    }
    auto parsed = fhir::parse_json(r.json);
    if (!parsed) {
      return make_error(Errc::kInternal, r.resource_type + " from the adapter is not JSON");
    }
    rapidjson::Value entry(rapidjson::kObjectType);
    const std::string full_url = r.resource_type + "/" + r.id;
    entry.AddMember("fullUrl", rapidjson::Value(full_url.c_str(), a), a);
    entry.AddMember("resource", rapidjson::Value(*parsed, a), a);
    entries.PushBack(entry, a);
  }
  bundle.AddMember("entry", entries, a);
  return bundle;
}

/** native_adapter: the inbound adapter for a native format, or nullptr if none is built yet. */
const ingest::InboundAdapter* native_adapter(Kind k) {
  if (k == Kind::kItk) {
    // Offline translation reads old samples: their WS-Security window has long passed.
    static const auto kItkAdapter = [] {
      adapters::itk::ItkOptions o;
      o.check_expiry = false;
      return adapters::itk::make_itk_adapter(o);
    }();
    return kItkAdapter.get();
  }
  return nullptr;
}

/** translate_native: one native message to R4 through its adapter and the mapping set. */
Result<Translation> translate_native(const ingest::InboundAdapter& adapter, Kind to,
                                     std::string_view input, const Options& options) {
  if (to != Kind::kFhirR4 && to != Kind::kFhirR4Xml) {
    return make_error(Errc::kUnprocessable,
                      "a native message translates to fhir-r4 or fhir-r4-xml");
  }
  // Offline there is no client certificate to name the sender; this stand-in ODS code only
  // names the source of the patient identity, which translate does not print.
  const auto sender = OdsCode::parse("OFFLINE");
  if (!sender) {
    return sender.error();
  }
  const mapping::Mapper mapper(options.mappings, nullptr);
  auto m = adapter.translate(*sender, input, mapper);
  if (!m) {
    return m.error();
  }
  auto bundle = native_bundle(*m);
  if (!bundle) {
    return bundle.error();
  }
  Translation out;
  out.warnings = m->warnings;
  if (to == Kind::kFhirR4Xml) {
    auto xml = fhir::json_to_xml(*bundle, fhir::FhirVersion::kR4);
    if (!xml) {
      return xml.error();
    }
    out.output = std::move(*xml);
  } else {
    out.output = fhir::to_json(*bundle, true) + "\n";
  }
  return out;
}

}  // namespace

std::optional<Kind> parse_kind(std::string_view name) {
  for (const auto& [k, n] : kNames) {
    if (n == name) {
      return k;
    }
  }
  return std::nullopt;
}

std::string_view kind_name(Kind k) {
  for (const auto& [kk, n] : kNames) {
    if (kk == k) {
      return n;
    }
  }
  return "unknown";
}

std::string kind_names() {
  std::string out;
  for (const auto& [k, n] : kNames) {
    out += (out.empty() ? "" : ", ") + std::string(n);
  }
  return out;
}

Result<Translation> translate(Kind from, Kind to, std::string_view input) {
  return translate(from, to, input, Options{});
}

Result<Translation> translate(Kind from, Kind to, std::string_view input, const Options& options) {
  if (from == Kind::kEmisXml || from == Kind::kGpConnect) {
    if (to != Kind::kFhirR4) {
      return make_error(Errc::kUnprocessable,
                        std::string(kind_name(from)) + " translates to fhir-r4 (a Bundle) only");
    }
    const mapping::Mapper mapper(options.mappings, nullptr);
    auto t = from == Kind::kEmisXml ? adapters::emis::translate_emis_xml_offline(input, mapper)
                                    : adapters::emis::translate_gpconnect_offline(input, mapper);
    if (!t) {
      return t.error();
    }
    return Translation{std::move(t->bundle_json), std::move(t->warnings)};
  }
  if (from == Kind::kHl7v2 && (to == Kind::kFhirR4 || to == Kind::kFhirR4Xml)) {
    Translation out;
    auto bundle = from_hl7v2(input, options, out.warnings);
    if (!bundle) {
      return bundle.error();
    }
    auto text = to == Kind::kFhirR4Xml ? fhir::json_to_xml(*bundle, fhir::FhirVersion::kR4)
                                       : Result<std::string>(fhir::to_json(*bundle, true) + "\n");
    if (!text) {
      return text.error();
    }
    out.output = std::move(*text);
    return out;
  }
  if (from == Kind::kHl7v2 || to == Kind::kHl7v2) {
    return make_error(Errc::kUnprocessable,
                      "hl7v2 translates to fhir-r4 or fhir-r4-xml; HL7 v2 output (ADT) is "
                      "rendered for subscriptions with format hl7v2, not by translate");
  }
  if (const ingest::InboundAdapter* adapter = native_adapter(from); adapter != nullptr) {
    return translate_native(*adapter, to, input, options);
  }
  if (!is_fhir(from) || !is_fhir(to)) {
    const Kind native = is_fhir(from) ? to : from;
    return make_error(Errc::kUnprocessable,
                      "translation " + std::string(is_fhir(from) ? "to " : "from ") +
                          std::string(kind_name(native)) +
                          " is not built yet: it arrives with its adapter; the FHIR formats "
                          "(fhir-r4, fhir-r4-xml, fhir-stu3, fhir-stu3-xml) and itk (to fhir-r4) "
                          "work today");
  }
  if (version_of(from) == fhir::FhirVersion::kR4 && version_of(to) == fhir::FhirVersion::kStu3) {
    return make_error(Errc::kUnprocessable,
                      "R4 to STU3 is not supported: caregw converts STU3 up to R4, never down");
  }
  // 1. Parse into JSON of the input's version.
  Result<fhir::Json> parsed =
      is_xml(from) ? fhir::xml_to_json(input, version_of(from)) : fhir::parse_json(input);
  if (!parsed) {
    return parsed.error();
  }
  if (!parsed->IsObject() || !parsed->HasMember("resourceType") ||
      !(*parsed)["resourceType"].IsString()) {
    return make_error(Errc::kUnprocessable, "the input is not a FHIR resource (no resourceType)");
  }
  Translation out;
  fhir::Json doc = std::move(*parsed);
  // 2. Convert the version.
  if (version_of(from) == fhir::FhirVersion::kStu3 && version_of(to) == fhir::FhirVersion::kR4) {
    auto converted = fhir::stu3_to_r4(doc);
    if (!converted) {
      return converted.error();
    }
    for (const auto& issue : converted->issues) {
      out.warnings.push_back(issue.path + ": " + issue.message);
    }
    doc = std::move(converted->resource);
  }
  // 3. Write the output format.
  if (is_xml(to)) {
    auto xml = fhir::json_to_xml(doc, version_of(to));
    if (!xml) {
      return xml.error();
    }
    out.output = std::move(*xml);
  } else {
    out.output = fhir::to_json(doc, true) + "\n";
  }
  return out;
}

}  // namespace gw::translate
