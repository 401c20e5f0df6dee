// Identities from JSON, strictly: unknown members and wrong types are errors, not ignored.
#include "gateway/identity/identity_json.hpp"

#include <array>
#include <string>

#include "gateway/fhir/json.hpp"
#include "gateway/identity/normalise.hpp"

namespace gw::identity {
namespace {

constexpr std::array<std::string_view, 15> kMembers = {
    "source", "local_id_type", "local_id",          "nhs_number", "nhs_verification",
    "family", "given",         "previous_families", "birth_date", "birth_year_tolerance",
    "gender", "address",       "postcode",          "telecom",    "comment"};

class EntryReader {
public:
  EntryReader(const rapidjson::Value& v, std::string where) : v_(v), where_(std::move(where)) {}

  Error error(std::string_view member, std::string_view what) const {
    return make_error(Errc::kBadRequest,
                      where_ + "." + std::string(member) + ": " + std::string(what));
  }

  Result<std::string> text(std::string_view member, bool required) const {
    const auto it = v_.FindMember(rapidjson::StringRef(member.data(), member.size()));
    if (it == v_.MemberEnd()) {
      if (required) {
        return error(member, "is required");
      }
      return std::string{};
    }
    if (!it->value.IsString()) {
      return error(member, "must be a string");
    }
    return std::string(it->value.GetString(), it->value.GetStringLength());
  }

  Result<std::vector<std::string>> texts(std::string_view member) const {
    std::vector<std::string> out;
    const auto it = v_.FindMember(rapidjson::StringRef(member.data(), member.size()));
    if (it == v_.MemberEnd()) {
      return out;
    }
    if (!it->value.IsArray()) {
      return error(member, "must be an array of strings");
    }
    for (const auto& e : it->value.GetArray()) {
      if (!e.IsString()) {
        return error(member, "must be an array of strings");
      }
      out.emplace_back(e.GetString(), e.GetStringLength());
    }
    return out;
  }

  const rapidjson::Value& value() const { return v_; }

private:
  const rapidjson::Value& v_;
  std::string where_;
};

Result<IncomingIdentity> read_identity(const rapidjson::Value& v, const std::string& where,
                                       std::string_view name, std::size_t index) {
  if (!v.IsObject()) {
    return make_error(Errc::kBadRequest, where + ": must be an object");
  }
  const EntryReader r(v, where);
  for (const auto& m : v.GetObject()) {
    const std::string_view key(m.name.GetString(), m.name.GetStringLength());
    if (std::find(kMembers.begin(), kMembers.end(), key) == kMembers.end()) {
      return r.error(key, "unknown member");
    }
  }
  auto source = r.text("source", true);
  if (!source) {
    return source.error();
  }
  auto ods = OdsCode::parse(*source);
  if (!ods) {
    return r.error("source", "not an ODS code: " + ods.error().detail);
  }
  IncomingIdentity in{.source = *ods};
  in.message_id = std::string(name) + "#" + std::to_string(index);
  auto type = r.text("local_id_type", false);
  auto local = r.text("local_id", false);
  if (!type || !local) {
    return !type ? type.error() : local.error();
  }
  if (!type->empty() || !local->empty()) {
    auto t = store::parse_local_id_type(*type);
    if (!t) {
      return r.error("local_id_type",
                     "unknown type (emis-guid, mrn, mh-id, las-person-id, amb-patient-ref)");
    }
    if (local->empty()) {
      return r.error("local_id", "is required with local_id_type");
    }
    in.local_id = store::LocalId{*ods, *t, *local};
  }
  auto nhs = r.text("nhs_number", false);
  if (!nhs) {
    return nhs.error();
  }
  if (!nhs->empty()) {
    auto n = NhsNumber::parse(*nhs);
    if (!n) {
      return r.error("nhs_number", n.error().detail);
    }
    in.match.nhs_number = *n;
    auto status = r.text("nhs_verification", false);
    if (!status) {
      return status.error();
    }
    in.match.nhs_status = VerificationStatus::kPresentNotTraced;
    if (!status->empty() && !parse_verification_status(*status, in.match.nhs_status)) {
      return r.error("nhs_verification", "not a verification status code 01-08");
    }
  }
  auto family = r.text("family", false);
  auto given = r.texts("given");
  auto previous = r.texts("previous_families");
  auto born = r.text("birth_date", false);
  auto gender = r.text("gender", false);
  auto address = r.texts("address");
  auto postcode = r.text("postcode", false);
  for (const auto* e : {&family, &born, &gender, &postcode}) {
    if (!*e) {
      return e->error();
    }
  }
  for (const auto* e : {&given, &previous, &address}) {
    if (!*e) {
      return e->error();
    }
  }
  in.match.family = *family;
  in.match.given = *given;
  in.match.previous_families = *previous;
  in.match.gender = *gender;
  in.match.postcode = *postcode;
  in.address_lines = *address;
  if (!born->empty()) {
    auto d = parse_date(*born);
    if (!d) {
      return r.error("birth_date", d.error().detail);
    }
    in.match.birth_date = *d;
  }
  if (const auto it = v.FindMember("birth_year_tolerance"); it != v.MemberEnd()) {
    if (!it->value.IsInt() || it->value.GetInt() < 0 || it->value.GetInt() > 50) {
      return r.error("birth_year_tolerance", "must be a whole number of years from 0 to 50");
    }
    in.match.birth_year_tolerance = it->value.GetInt();
  }
  if (const auto it = v.FindMember("telecom"); it != v.MemberEnd()) {
    if (!it->value.IsArray()) {
      return r.error("telecom", "must be an array");
    }
    for (const auto& t : it->value.GetArray()) {
      const EntryReader tr(t, where + ".telecom");
      if (!t.IsObject()) {
        return r.error("telecom", "each entry must be an object");
      }
      auto system = tr.text("system", true);
      auto value = tr.text("value", true);
      auto use = tr.text("use", false);
      if (!system || !value || !use) {
        return !system ? system.error() : (!value ? value.error() : use.error());
      }
      in.telecom.push_back({*system, *value, *use});
    }
  }
  return in;
}

}  // namespace

Result<std::vector<IncomingIdentity>> parse_identities_json(std::string_view text,
                                                            std::string_view name) {
  auto doc = fhir::parse_json(text);
  if (!doc) {
    return make_error(Errc::kBadRequest, std::string(name) + ": " + doc.error().detail);
  }
  if (!doc->IsObject() || !doc->HasMember("identities") || !(*doc)["identities"].IsArray()) {
    return make_error(Errc::kBadRequest,
                      std::string(name) + ": expected an object with an \"identities\" array");
  }
  std::vector<IncomingIdentity> out;
  std::size_t i = 0;
  for (const auto& v : (*doc)["identities"].GetArray()) {
    auto in =
        read_identity(v, std::string(name) + ": identities[" + std::to_string(i) + "]", name, i);
    if (!in) {
      return in.error();
    }
    out.push_back(std::move(*in));
    ++i;
  }
  return out;
}

Result<LoadSummary> load_identities(MpiService& mpi, const std::vector<IncomingIdentity>& ids) {
  LoadSummary s;
  for (const auto& in : ids) {
    auto r = mpi.identify(in);
    if (!r) {
      return r.error();
    }
    ++s.loaded;
    if (r->review) {
      ++s.held_for_review;
    }
  }
  return s;
}

}  // namespace gw::identity
