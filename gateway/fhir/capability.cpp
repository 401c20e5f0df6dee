// CapabilityStatement (http://hl7.org/fhir/R4/capabilitystatement.html). It lists only the
// interactions this build serves; each new FHIR operation adds itself here.
#include "gateway/fhir/capability.hpp"

#include <algorithm>

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
  if (info.xml) {
    s("application/fhir+xml");
  }
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
  // Group the route table's interactions: per resource type, system-level, and operations.
  std::vector<std::string> types;
  for (const auto& i : info.interactions) {
    if (!i.resource.empty() && std::find(types.begin(), types.end(), i.resource) == types.end()) {
      types.push_back(i.resource);
    }
  }
  if (!types.empty()) {
    w.Key("resource");
    w.StartArray();
    for (const auto& t : types) {
      w.StartObject();
      w.Key("type");
      s(t);
      std::vector<std::string> params;
      bool any_interaction = false;
      for (const auto& i : info.interactions) {
        any_interaction = any_interaction || (i.resource == t && !i.interaction.empty());
      }
      if (any_interaction) {
        w.Key("interaction");
        w.StartArray();
        for (const auto& i : info.interactions) {
          if (i.resource == t && !i.interaction.empty()) {
            w.StartObject();
            w.Key("code");
            s(i.interaction);
            w.EndObject();
            params.insert(params.end(), i.search_params.begin(), i.search_params.end());
          }
        }
        w.EndArray();
      }
      if (!params.empty()) {
        w.Key("searchParam");
        w.StartArray();
        for (const auto& p : params) {
          w.StartObject();
          w.Key("name");
          s(p);
          w.Key("type");
          s(p == "identifier" || p == "gender" ? "token" : p == "birthdate" ? "date" : "string");
          w.EndObject();
        }
        w.EndArray();
      }
      bool any_op = false;
      for (const auto& i : info.interactions) {
        any_op = any_op || (i.resource == t && !i.operation.empty());
      }
      if (any_op) {
        w.Key("operation");
        w.StartArray();
        for (const auto& i : info.interactions) {
          if (i.resource == t && !i.operation.empty()) {
            w.StartObject();
            w.Key("name");
            s(i.operation);
            w.Key("definition");
            s("http://hl7.org/fhir/OperationDefinition/" + t + "-" + i.operation);
            w.EndObject();
          }
        }
        w.EndArray();
      }
      w.EndObject();
    }
    w.EndArray();
  }
  bool system_ops = false;
  for (const auto& i : info.interactions) {
    system_ops = system_ops || (i.resource.empty() && !i.operation.empty());
  }
  if (system_ops) {
    w.Key("operation");
    w.StartArray();
    for (const auto& i : info.interactions) {
      if (i.resource.empty() && !i.operation.empty()) {
        w.StartObject();
        w.Key("name");
        s(i.operation);
        w.Key("definition");
        s("http://hl7.org/fhir/OperationDefinition/MessageHeader-" + i.operation);
        w.EndObject();
      }
    }
    w.EndArray();
  }
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace gw::fhir
