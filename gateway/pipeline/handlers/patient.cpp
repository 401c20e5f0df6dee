// Patient search and read over the MPI service.
#include <algorithm>
#include <charconv>
#include <utility>
#include <vector>

#include "gateway/audit/chain.hpp"
#include "gateway/fhir/datetime.hpp"
#include "gateway/fhir/json.hpp"
#include "gateway/fhir/xml.hpp"
#include "gateway/identity/patient_resource.hpp"
#include "gateway/pipeline/handlers/handlers.hpp"

namespace gw::pipeline {
namespace {

constexpr std::size_t kDefaultCount = 10;
constexpr std::size_t kMaxCount = 50;

/** The demographic parameters demographics_from_search understands, plus ours. */
bool known_parameter(std::string_view name) {
  static constexpr std::array<std::string_view, 9> kKnown = {
      "identifier",         "family", "given",   "birthdate", "gender",
      "address-postalcode", "_count", "_format", "_pretty"};
  return std::find(kKnown.begin(), kKnown.end(), name) != kKnown.end();
}

Result<std::size_t> parse_count(std::string_view text) {
  std::size_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size() || n == 0) {
    return make_error(Errc::kBadRequest,
                      "_count must be a whole number from 1 to " + std::to_string(kMaxCount));
  }
  return std::min(n, kMaxCount);
}

/** by_identifier: the exact lookup of identifier=<system>|<value>. */
Result<std::optional<store::PersonView>> by_identifier(std::string_view token,
                                                       identity::MpiService& mpi) {
  const auto bar = token.find('|');
  if (bar == std::string_view::npos) {
    return make_error(Errc::kBadRequest,
                      "identifier must be <system>|<value>, e.g. "
                      "https://fhir.nhs.uk/Id/nhs-number|<NHS number>");
  }
  const auto system = token.substr(0, bar);
  const auto value = token.substr(bar + 1);
  if (system == kNhsNumberSystem) {
    auto n = NhsNumber::parse(value);
    if (!n) {
      return make_error(Errc::kBadRequest,
                        "identifier: the NHS number is not valid: " + n.error().detail);
    }
    return mpi.find_by_nhs_number(*n);
  }
  if (auto local = identity::parse_local_id_system(system, value)) {
    return mpi.find_by_local_id(*local);
  }
  return make_error(Errc::kBadRequest,
                    "identifier: unknown identifier system (use https://fhir.nhs.uk/Id/nhs-number "
                    "or urn:caregw:id:<ODS>:<type>)");
}

/** disclosed: the audit record of one Patient leaving in a response (its content digest only). */
audit::AuditRecord disclosed(audit::EventType type, const store::PersonView& p,
                             std::string detail) {
  audit::AuditRecord r;
  r.type = type;
  if (p.person.nhs_number) {
    r.nhs_number = p.person.nhs_number->str();
  }
  r.disclosed.push_back(
      {"Patient", identity::patient_id(p.person), audit::sha256_hex(identity::patient_json(p))});
  r.detail = std::move(detail);
  return r;
}

}  // namespace

Result<fhir::Format> negotiated_format(const http::Request& req) {
  std::string format;
  (void)http::query_param(req.query(), "_format", format);
  return fhir::response_format(format, req.headers.get("Accept"));
}

std::string base_url(const http::Request& req) {
  const std::string_view host = req.headers.get("Host");
  return "https://" + std::string(host.empty() ? "localhost" : host) + "/fhir";
}

Result<void> set_fhir_body(http::Response& res, std::string json, fhir::Format fmt) {
  if (fmt == fhir::Format::kXml) {
    auto doc = fhir::parse_json(json);
    auto xml =
        doc ? fhir::json_to_xml(*doc, fhir::FhirVersion::kR4) : Result<std::string>(doc.error());
    if (!xml) {
      return make_error(Errc::kInternal,
                        "the resource could not be written as XML: " + xml.error().detail);
    }
    json = std::move(*xml);
  }
  res.status = 200;
  res.headers.set("Content-Type", std::string(fhir::media_type(fmt)));
  res.body = std::move(json);
  return {};
}

Result<void> patient_search(const http::Request& req, RequestContext& ctx, http::Response& res,
                            identity::MpiService& mpi) {
  auto fmt = negotiated_format(req);
  if (!fmt) {
    return fmt.error();
  }
  auto params = http::query_params(req.query());
  if (!params) {
    return params.error();
  }
  std::size_t count = kDefaultCount;
  std::optional<std::string> identifier;
  bool demographic = false;
  for (const auto& [name, value] : *params) {
    if (!known_parameter(name)) {
      return make_error(Errc::kBadRequest, "unknown search parameter '" + name +
                                               "' (Patient takes identifier, family, given, "
                                               "birthdate, gender, address-postalcode, _count)");
    }
    if (name == "_count") {
      auto c = parse_count(value);
      if (!c) {
        return c.error();
      }
      count = *c;
    } else if (name == "identifier") {
      if (identifier) {
        return make_error(Errc::kBadRequest, "identifier may be given once");
      }
      identifier = value;
    } else if (!name.starts_with('_')) {
      demographic = true;
    }
  }
  std::vector<store::PersonView> people;
  std::vector<identity::SearchEntry> entries;
  std::vector<identity::SearchMatch> matches;
  if (identifier) {
    if (demographic) {
      return make_error(Errc::kBadRequest,
                        "search by identifier or by demographics, not both in one request");
    }
    auto found = by_identifier(*identifier, mpi);
    if (!found) {
      return found.error();
    }
    if (found->has_value()) {
      people.push_back(std::move(**found));
    }
    for (const auto& p : people) {
      entries.push_back({&p, std::nullopt});
    }
  } else {
    auto query = identity::demographics_from_search(*params);
    if (!query) {
      return query.error();
    }
    auto found = mpi.search(*query, count);
    if (!found) {
      return found.error();
    }
    matches = std::move(*found);
    for (const auto& m : matches) {
      entries.push_back({&m.person, m.score});
    }
  }
  const std::string base = base_url(req);
  const std::string self =
      base + "/Patient" + (req.query().empty() ? "" : "?") + std::string(req.query());
  return set_fhir_body(res,
                       identity::search_bundle_json(entries, base, self, ctx.request_id,
                                                    fhir::format_instant(ctx.received)),
                       *fmt);
}

Result<void> patient_read(const http::Request& req, RequestContext& ctx, http::Response& res,
                          identity::MpiService& mpi) {
  auto fmt = negotiated_format(req);
  if (!fmt) {
    return fmt.error();
  }
  if (ctx.route->params.empty()) {
    return make_error(Errc::kInternal, "Patient read without an id");
  }
  auto ref = identity::parse_patient_id(ctx.route->params.front());
  if (!ref) {
    return ref.error();
  }
  auto found =
      ref->nhs_number ? mpi.find_by_nhs_number(*ref->nhs_number) : mpi.person(*ref->person);
  if (!found) {
    return found.error();
  }
  if (!found->has_value()) {
    return make_error(Errc::kNotFound, "no patient with that id is known to this gateway");
  }
  ctx.audit.push_back(disclosed(audit::EventType::kRecordRead, **found, "Patient read"));
  return set_fhir_body(res, identity::patient_json(**found), *fmt);
}

}  // namespace gw::pipeline
