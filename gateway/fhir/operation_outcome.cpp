// OperationOutcome rendering (http://hl7.org/fhir/R4/operationoutcome.html).
#include "gateway/fhir/operation_outcome.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace gw::fhir {
namespace {

void str(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

}  // namespace

std::string operation_outcome_json(const Error& e, std::string_view request_id) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("resourceType");
  w.String("OperationOutcome");
  w.Key("issue");
  w.StartArray();
  w.StartObject();
  w.Key("severity");
  w.String(e.code == Errc::kInternal ? "fatal" : "error");
  w.Key("code");
  str(w, fhir_issue_code(e.code));
  w.Key("details");
  w.StartObject();
  w.Key("text");
  str(w, e.detail);
  w.EndObject();
  std::string diag = "request ";
  diag += request_id;
  if (!e.stage.empty()) {
    diag += "; stage ";
    diag += e.stage;
  }
  w.Key("diagnostics");
  str(w, diag);
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace gw::fhir
