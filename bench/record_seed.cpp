// caregw-record-seed: writes one synthetic patient and a shared care record of N resources from
// the five demo organisations into a data directory's store (the MPI and the record store, as
// `caregw serve` opens them), for bench/record-run ($everything under load). Synthetic only:
// the NHS number is from the 999 test range (Modulus 11 checked) and nothing names a person.
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "gateway/identity/mpi_service.hpp"
#include "gateway/store/sqlite/sqlite_mpi_repository.hpp"
#include "gateway/store/sqlite/sqlite_record_store.hpp"

namespace {

constexpr std::string_view kNhs = "9991158383";  // valid Modulus 11, 999 test range

/** resource: the i-th resource: a mix of types and sources; every tenth is sensitive. Entries
 * 2k and 2k+1 are the same fact (type and code) from two sources, so they are linked. */
gw::store::RecordWrite resource(std::size_t i, gw::store::PersonId person) {
  static constexpr std::array<std::string_view, 5> kOrgs = {"Z90001", "Z9A01", "Z9M01", "Z9S01",
                                                            "Z9L01"};
  static constexpr std::array<std::string_view, 6> kTypes = {
      "Condition", "AllergyIntolerance", "MedicationStatement",
      "Encounter", "CarePlan",           "DocumentReference"};
  const std::string org(kOrgs[i % kOrgs.size()]);
  const std::string type(kTypes[(i / 2) % kTypes.size()]);
  const std::string id = "bench-" + std::to_string(i);
  // SNOMED 111880001 is on the sexual-health list: a legal exclusion, always withheld.
  const std::string code = i % 10 == 9 ? "111880001" : std::to_string(195967001 + ((i / 2) % 40));
  std::string json = R"({"resourceType":")" + type + R"(","id":")" + id +
                     R"(","status":"active","code":{"coding":[{"system":"http://snomed.info/sct",)"
                     R"("code":")" +
                     code + R"("}],"text":"Synthetic entry )" + std::to_string(i) +
                     R"("},"subject":{"reference":"Patient/)" + std::string(kNhs) +
                     R"("},"recordedDate":"2026-0)" + std::to_string(1 + i % 9) + R"(-1)" +
                     std::to_string(i % 10) + R"("})";
  if (type == "Encounter") {
    json = R"({"resourceType":"Encounter","id":")" + id +
           R"(","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/)" +
           std::string(kNhs) + R"("},"period":{"start":"2025-05-0)" + std::to_string(1 + i % 9) +
           R"(","end":"2025-05-0)" + std::to_string(1 + i % 9) + R"("}})";
  }
  return {{gw::OdsCode::parse(org).value(), type, id},
          person,
          "bench-message-" + std::to_string(i / 10),
          json};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"caregw-record-seed: one synthetic patient with an N-resource shared care record"};
  std::string data_dir;
  std::size_t n = 100;
  app.add_option("--data-dir", data_dir, "The data directory caregw serve will use")->required();
  app.add_option("--resources", n, "Resources in the record")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const gw::SystemClock clock;
  auto repo = gw::store::sqlite::SqliteMpiRepository::open_in_data_dir(data_dir, clock);
  if (!repo) {
    std::cerr << "caregw-record-seed: " << repo.error().detail << '\n';
    return 1;
  }
  gw::identity::MpiService mpi(**repo, gw::identity::MpiSettings{});
  gw::identity::IncomingIdentity in{.source = gw::OdsCode::parse("Z90001").value()};
  in.local_id =
      gw::store::LocalId{in.source, gw::store::LocalIdType::kEmisPatientGuid, "BENCH-0001"};
  in.match.family = "Benchmark";
  in.match.given = {"Synthetic"};
  in.match.birth_date = gw::identity::Date{1980, 1, 1};
  in.match.gender = "female";
  in.match.nhs_number = gw::NhsNumber::parse(kNhs).value();
  in.match.nhs_status = gw::VerificationStatus::kPresentVerified;
  in.message_id = "bench-seed";
  auto who = mpi.identify(in);
  if (!who) {
    std::cerr << "caregw-record-seed: " << who.error().detail << '\n';
    return 1;
  }
  auto person = mpi.find_by_nhs_number(*in.match.nhs_number);
  if (!person || !person->has_value()) {
    std::cerr << "caregw-record-seed: the patient was not stored\n";
    return 1;
  }
  auto records = gw::store::sqlite::SqliteRecordStore::open_in_data_dir(data_dir, clock);
  if (!records) {
    std::cerr << "caregw-record-seed: " << records.error().detail << '\n';
    return 1;
  }
  auto tx = (*records)->begin();
  if (!tx) {
    std::cerr << "caregw-record-seed: " << tx.error().detail << '\n';
    return 1;
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (auto r = (*tx)->upsert(resource(i, (*person)->person.id)); !r) {
      std::cerr << "caregw-record-seed: " << r.error().detail << '\n';
      return 1;
    }
  }
  if (auto c = (*tx)->commit(); !c) {
    std::cerr << "caregw-record-seed: " << c.error().detail << '\n';
    return 1;
  }
  std::cout << "caregw-record-seed: patient " << kNhs << " with " << n << " resources\n";
  return 0;
}
