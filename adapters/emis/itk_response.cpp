// read_itk_response (emis.hpp): the ITK3 response a GP practice's system returns for a Send
// Document message (event ITK008M): which message it answers, ok / transient-error /
// fatal-error, and the ITK response and acknowledgement codes of its OperationOutcome.
#include <string>
#include <utility>

#include "adapters/emis/common.hpp"
#include "adapters/emis/emis.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/fhir/xml.hpp"

namespace gw::adapters::emis {
namespace {

using rapidjson::Value;

std::string_view str_of(const Value& obj, const char* name) {
  if (!obj.IsObject()) {
    return {};
  }
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) {
    return {};
  }
  return {it->value.GetString(), it->value.GetStringLength()};
}

const Value* member(const Value& obj, const char* name) {
  if (!obj.IsObject()) {
    return nullptr;
  }
  auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

/** entry_resource: the resource of the entry whose fullUrl (or Type/id) is `ref`. */
const Value* entry_resource(const Value& entries, std::string_view ref) {
  for (const auto& e : entries.GetArray()) {
    const Value* r = member(e, "resource");
    if (r == nullptr) {
      continue;
    }
    std::string local =
        std::string(str_of(*r, "resourceType")) + "/" + std::string(str_of(*r, "id"));
    if (str_of(e, "fullUrl") == ref || local == ref) {
      return r;
    }
  }
  return nullptr;
}

}  // namespace

Result<ItkResponse> read_itk_response(std::string_view body) {
  std::size_t first = body.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  const bool xml = first != std::string_view::npos && body[first] == '<';
  auto parsed = xml ? fhir::xml_to_json(body, fhir::FhirVersion::kStu3) : fhir::parse_json(body);
  if (!parsed) {
    return detail::located(Errc::kBadRequest, "Bundle", parsed.error().detail);
  }
  const Value& b = *parsed;
  const Value* entries = member(b, "entry");
  if (str_of(b, "resourceType") != "Bundle" || str_of(b, "type") != "message" ||
      entries == nullptr || !entries->IsArray() || entries->Empty()) {
    return detail::located(Errc::kUnprocessable, "Bundle",
                           "an ITK3 response is a message Bundle with entries");
  }
  const Value* header = member((*entries)[0], "resource");
  if (header == nullptr || str_of(*header, "resourceType") != "MessageHeader") {
    return detail::located(Errc::kUnprocessable, "Bundle.entry[0].resource",
                           "an ITK3 message starts with its MessageHeader");
  }
  const Value* event = member(*header, "event");
  if (event == nullptr || str_of(*event, "code") != "ITK008M") {
    return detail::located(Errc::kUnprocessable, "Bundle.entry[0].resource.event",
                           "not an ITK response (event ITK008M)");
  }
  const Value* response = member(*header, "response");
  if (response == nullptr) {
    return detail::located(Errc::kUnprocessable, "Bundle.entry[0].resource.response",
                           "required element is missing");
  }
  ItkResponse out;
  out.in_reply_to = std::string(str_of(*response, "identifier"));
  const std::string_view code = str_of(*response, "code");
  if (code == "ok") {
    out.outcome = ItkResponse::Outcome::kOk;
  } else if (code == "transient-error") {
    out.outcome = ItkResponse::Outcome::kTransientError;
  } else if (code == "fatal-error") {
    out.outcome = ItkResponse::Outcome::kFatalError;
  } else {
    return detail::located(Errc::kUnprocessable, "Bundle.entry[0].resource.response.code",
                           "expected ok, transient-error or fatal-error");
  }
  if (out.in_reply_to.empty()) {
    return detail::located(Errc::kUnprocessable, "Bundle.entry[0].resource.response.identifier",
                           "required element is missing");
  }
  const Value* details = member(*response, "details");
  const Value* outcome =
      details != nullptr ? entry_resource(*entries, str_of(*details, "reference")) : nullptr;
  const Value* issues = outcome != nullptr ? member(*outcome, "issue") : nullptr;
  if (issues != nullptr && issues->IsArray()) {
    for (const auto& issue : issues->GetArray()) {
      const Value* d = member(issue, "details");
      const Value* codings = d != nullptr ? member(*d, "coding") : nullptr;
      if (codings == nullptr || !codings->IsArray()) {
        continue;
      }
      for (const auto& c : codings->GetArray()) {
        out.codes.push_back({std::string(str_of(c, "system")), std::string(str_of(c, "code")),
                             std::string(str_of(c, "display"))});
      }
    }
  }
  return out;
}

ingest::BusinessAnswer answer_of(const ItkResponse& response) {
  using Verdict = ingest::BusinessAnswer::Verdict;
  ingest::BusinessAnswer a;
  const char* outcome = "ok";
  switch (response.outcome) {
    case ItkResponse::Outcome::kOk:
      a.verdict = Verdict::kAccepted;
      break;
    case ItkResponse::Outcome::kTransientError:
      a.verdict = Verdict::kRetry;
      outcome = "transient-error";
      break;
    case ItkResponse::Outcome::kFatalError:
      a.verdict = Verdict::kRefused;
      outcome = "fatal-error";
      break;
  }
  a.detail = "ITK3 response ";
  a.detail += outcome;
  const char* sep = ": ";
  for (const auto& c : response.codes) {
    a.detail += sep;
    a.detail += c.code;
    if (!c.display.empty()) {
      a.detail += ' ';
      a.detail += c.display;
    }
    sep = "; ";
  }
  constexpr std::size_t kMaxDetail = 300;
  if (a.detail.size() > kMaxDetail) {
    a.detail.resize(kMaxDetail);
  }
  return a;
}

}  // namespace gw::adapters::emis
