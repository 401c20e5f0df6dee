// Loading the demo's shared care records into the record store.
#include "gateway/record/demo_records.hpp"

#include <string>

#include "gateway/fhir/json.hpp"

namespace gw::record {
namespace {

using rapidjson::Value;

std::string str(const Value& v, const char* key) {
  if (!v.IsObject() || !v.HasMember(key) || !v[key].IsString()) {
    return {};
  }
  return {v[key].GetString(), v[key].GetStringLength()};
}

Result<store::LocalId> local_id(const Value& v, const std::string& where) {
  auto source = OdsCode::parse(str(v, "source"));
  auto type = store::parse_local_id_type(str(v, "local_id_type"));
  const std::string value = str(v, "local_id");
  if (!source || !type || value.empty()) {
    return make_error(Errc::kBadRequest, where + ": needs source, local_id_type and local_id");
  }
  return store::LocalId{*source, *type, value};
}

Result<std::size_t> apply_merges(identity::MpiService& mpi, const Value& merges) {
  std::size_t applied = 0;
  for (rapidjson::SizeType i = 0; i < merges.Size(); ++i) {
    const std::string where = "merges[" + std::to_string(i) + "]";
    const Value& m = merges[i];
    if (!m.IsObject() || !m.HasMember("survivor") || !m.HasMember("superseded")) {
      return make_error(Errc::kBadRequest, where + ": needs survivor and superseded");
    }
    auto survivor = local_id(m["survivor"], where + ".survivor");
    auto superseded = local_id(m["superseded"], where + ".superseded");
    if (!survivor) {
      return survivor.error();
    }
    if (!superseded) {
      return superseded.error();
    }
    auto a = mpi.find_by_local_id(*survivor);
    auto b = mpi.find_by_local_id(*superseded);
    if (!a) {
      return a.error();
    }
    if (!b) {
      return b.error();
    }
    if (!a->has_value() || !b->has_value()) {
      return make_error(Errc::kBadRequest, where + ": an identifier is not in the MPI");
    }
    if ((*a)->person.id == (*b)->person.id) {
      continue;  // merged on an earlier start
    }
    auto merged = mpi.merge_local_ids(*survivor, *superseded, str(m, "reason"), "demo",
                                      "demo-merge-" + std::to_string(i + 1));
    if (!merged) {
      return merged.error();
    }
    ++applied;
  }
  return applied;
}

}  // namespace

Result<DemoLoadSummary> load_demo_records(identity::MpiService& mpi, store::RecordStore& records,
                                          std::string_view json) {
  fhir::ParseLimits limits;
  limits.max_bytes = std::size_t{16} * 1024 * 1024;
  auto doc = fhir::parse_json(json, limits);
  if (!doc) {
    return make_error(Errc::kBadRequest, "records.json: " + doc.error().detail);
  }
  if (!doc->IsObject() || !doc->HasMember("records") || !(*doc)["records"].IsArray()) {
    return make_error(Errc::kBadRequest, "records.json: needs a \"records\" array");
  }
  DemoLoadSummary summary;
  if (doc->HasMember("merges") && (*doc)["merges"].IsArray()) {
    auto merged = apply_merges(mpi, (*doc)["merges"]);
    if (!merged) {
      return merged.error();
    }
    summary.merges = *merged;
  }
  auto tx = records.begin();
  if (!tx) {
    return tx.error();
  }
  const Value& list = (*doc)["records"];
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    const std::string where = "records.json: records[" + std::to_string(i) + "]";
    const Value& r = list[i];
    auto nhs = NhsNumber::parse(str(r, "nhs_number"));
    auto source = OdsCode::parse(str(r, "source"));
    if (!nhs || !source || !r.HasMember("resource") || !r["resource"].IsObject()) {
      return make_error(Errc::kBadRequest,
                        where + ": needs a valid nhs_number, source and resource");
    }
    auto person = mpi.find_by_nhs_number(*nhs);
    if (!person) {
      return person.error();
    }
    if (!person->has_value()) {
      return make_error(Errc::kBadRequest, where + ": no demo patient holds its NHS number");
    }
    const Value& res = r["resource"];
    store::RecordWrite w{store::ResourceKey{*source, str(res, "resourceType"), str(res, "id")},
                         (*person)->person.id, str(r, "message_id"), fhir::to_json(res)};
    auto up = (*tx)->upsert(w);
    if (!up) {
      return make_error(up.error().code, where + ": " + up.error().detail);
    }
    if (up->outcome != store::UpsertOutcome::kUnchanged) {
      ++summary.stored;
    }
    ++summary.records;
  }
  if (auto c = (*tx)->commit(); !c) {
    return c.error();
  }
  return summary;
}

}  // namespace gw::record
