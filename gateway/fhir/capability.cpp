// CapabilityStatement (http://hl7.org/fhir/R4/capabilitystatement.html). It lists only the
// interactions this build serves; each new FHIR operation adds itself here.
#include "gateway/fhir/capability.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace gw::fhir {

std::string capability_statement_json(const CapabilityInfo& info) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto s = [&](std::string_view v) {
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  };
  w.StartObject();
  w.Key("resourceType");
  s("CapabilityStatement");
  w.Key("status");
  s("active");
  w.Key("date");
  s(info.date);
  w.Key("publisher");
  s("caregw");
  w.Key("kind");
  s("instance");
  w.Key("software");
  w.StartObject();
  w.Key("name");
  s("caregw");
  w.Key("version");
  s(info.software_version);
  w.EndObject();
  w.Key("implementation");
  w.StartObject();
  w.Key("description");
  s("caregw health and social care interoperability gateway");
  w.Key("url");
  s(info.base_url);
  w.EndObject();
  w.Key("fhirVersion");
  s("4.0.1");
  w.Key("format");
  w.StartArray();
  s("application/fhir+json");
  w.EndArray();
  w.Key("rest");
  w.StartArray();
  w.StartObject();
  w.Key("mode");
  s("server");
  w.Key("security");
  w.StartObject();
  w.Key("description");
  s("Mutual TLS: provider systems present a client certificate whose subject CN is the ODS code "
    "of a configured organisation.");
  w.EndObject();
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace gw::fhir
