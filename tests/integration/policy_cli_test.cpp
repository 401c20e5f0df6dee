// The command line for agreements and tokens: check-config validates the agreements a config
// names (file:line), and demo-token lists the demo users and prints tokens signed by a key it
// keeps private.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_env.hpp"

namespace gw::test {
namespace {

const char* kAgreement =
    "id: DSA-T\n"                                                          // 1
    "title: Test direct care\n"                                            // 2
    "version: \"1\"\n"                                                     // 3
    "parties: [{kind: gp}, {ods: Z9A01}]\n"                                // 4
    "purposes: [direct-care]\n"                                            // 5
    "categories: [demographics, problems]\n"                               // 6
    "roles: [R8000, R0050]\n"                                              // 7
    "legal_basis: {article_6: [\"6(1)(e)\"], article_9: [\"9(2)(h)\"]}\n"  // 8
    "valid_from: 2025-04-01\n"                                             // 9
    "valid_to: 2099-03-31\n"                                               // 10
    "legitimate_relationship_required: true\n"                             // 11
    "break_glass_allowed: false\n";                                        // 12

TEST(PolicyCheckConfig, ValidAgreementIsCounted) {
  TempDir dir;
  dir.write("dsa.yaml", kAgreement);
  const auto path = dir.write("caregw.yaml", config_yaml() + "agreements: [dsa.yaml]\n");
  const auto r = run_command({caregw_binary(), "check-config", path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(": ok (2 listeners, 2 organisations, 1 agreements, 0 token issuers)"),
            std::string::npos)
      << r.out;
}

TEST(PolicyCheckConfig, AgreementMistakesNameTheirFileAndLine) {
  TempDir dir;
  std::string text = kAgreement;
  text.replace(text.find("problems"), 8, "problemz");
  text.replace(text.find("R0050"), 5, "R0005");
  text.replace(text.find("{ods: Z9A01}"), 12, "{ods: Z9Q01}");
  const auto dsa = dir.write("dsa.yaml", text);
  const auto path = dir.write("caregw.yaml", config_yaml() + "agreements: [dsa.yaml, gone.yaml]\n");
  const auto r = run_command({caregw_binary(), "check-config", path});
  EXPECT_EQ(r.exit_code, 1);
  for (const std::string& want : {dsa + ":6: unknown data category 'problemz'",
                                  dsa + ":7: unknown RBAC job role code 'R0005'"}) {
    EXPECT_NE(r.err.find(want), std::string::npos) << "missing: " << want << "\nin:\n" << r.err;
  }
  EXPECT_NE(r.err.find("cannot read agreement file " + dir.file("gone.yaml")), std::string::npos)
      << r.err;
  // The set checks run once every file parses: an unconfigured party, then.
  dir.write("dsa.yaml",
            std::string(kAgreement).replace(std::string(kAgreement).find("Z9A01"), 5, "Z9Q01"));
  const auto ok_path = dir.write("one.yaml", config_yaml() + "agreements: [dsa.yaml]\n");
  const auto r2 = run_command({caregw_binary(), "check-config", ok_path});
  EXPECT_EQ(r2.exit_code, 1);
  EXPECT_NE(r2.err.find(dsa + ":4: party Z9Q01 is not a configured organisation"),
            std::string::npos)
      << r2.err;
}

TEST(DemoToken, ListsUsersAndPrintsSignedTokens) {
  TempDir dir;
  const auto list =
      run_command({caregw_binary(), "demo-token", "--data-dir", dir.file("demo"), "--user"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  for (const char* user : {"gp\tZ90001", "ae-doctor\tZ9A01", "mh-nurse\tZ9M01",
                           "social-worker\tZ9S01", "paramedic\tZ9L01", "ig-lead\t"}) {
    EXPECT_NE(list.out.find(user), std::string::npos) << user << "\n" << list.out;
  }
  const auto token =
      run_command({caregw_binary(), "demo-token", "--data-dir", dir.file("demo"), "--user", "gp"});
  EXPECT_EQ(token.exit_code, 0) << token.err;
  EXPECT_EQ(std::count(token.out.begin(), token.out.end(), '.'), 2) << token.out;
  struct stat st {};
  ASSERT_EQ(::stat(dir.file("demo/auth/demo-issuer.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777U, 0600U);
  const auto bad = run_command(
      {caregw_binary(), "demo-token", "--data-dir", dir.file("demo"), "--user", "nobody"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("unknown demo user 'nobody'"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace gw::test

namespace gw::test {
namespace {

TEST(PolicyDryRun, ListsTheRecordedRequestsAProposedAgreementChanges) {
  TempDir dir;
  dir.write("dsa.yaml", kAgreement);
  const auto config = dir.write("caregw.yaml", config_yaml() + "agreements: [dsa.yaml]\n");
  std::string narrower = kAgreement;
  narrower.replace(narrower.find("roles: [R8000, R0050]"), 21, "roles: [R8000]");
  const auto proposed = dir.write("proposed.yaml", narrower);
  // Synthetic patient 9990000018; one request by an A&E consultant, one by a GP.
  const std::string ae =
      R"({"id":"a1","at":"2026-06-01T12:00:00Z","requester":{"system":"Z9A01","user":"u1",)"
      R"("role":"R0050","organisation":"Z9A01","purpose":"direct-care"},"patient":{"nhsNumber":)"
      R"("9990000018","registeredPractice":"Z90001","objection":false,"episodes":[{"kind":)"
      R"("admission","org":"Z9A01","open":true,"start":"2026-05-30T08:00:00Z"}]},"resources":)"
      R"([{"type":"Condition","id":"c1","category":"problems","sensitivity":[],"source":"Z90001"}]})";
  const std::string gp =
      R"({"id":"a2","at":"2026-06-01T12:00:00Z","requester":{"system":"Z90001","user":"u2",)"
      R"("role":"R8000","organisation":"Z90001","purpose":"direct-care"},"patient":{"nhsNumber":)"
      R"("9990000018","registeredPractice":"Z90001","objection":false},"resources":)"
      R"([{"type":"Condition","id":"c1","category":"problems","sensitivity":[],"source":"Z9A01"}]})";
  const auto inputs = dir.write("inputs.jsonl", ae + "\n" + gp + "\n");
  const auto r = run_command({caregw_binary(), "policy", "dry-run", "--config", config,
                              "--proposed", proposed, "--inputs", inputs});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("2 recorded requests, 1 would change"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find(R"("input":"a1","before":"permit","after":"deny")"), std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("\"a2\""), std::string::npos) << r.out;
  // A bad line is reported with its number.
  const auto bad = dir.write("bad.jsonl", ae + "\n{\"id\":\"x\"}\n");
  const auto rb = run_command({caregw_binary(), "policy", "dry-run", "--config", config,
                               "--proposed", proposed, "--inputs", bad});
  EXPECT_EQ(rb.exit_code, 1);
  EXPECT_NE(rb.err.find(bad + ":2: recorded input"), std::string::npos) << rb.err;
}

TEST(PolicyDryRun, WithoutInputsReadsWhatTheGatewayRecordedNewestFirst) {
  TempDir dir;
  dir.write("dsa.yaml", kAgreement);
  const auto config = dir.write("caregw.yaml", config_yaml() + "agreements: [dsa.yaml]\n");
  std::string narrower = kAgreement;
  narrower.replace(narrower.find("roles: [R8000, R0050]"), 21, "roles: [R8000]");
  const auto proposed = dir.write("proposed.yaml", narrower);
  // As `caregw serve` records them (policy/recorder.hpp): synthetic patient 9990000018.
  const std::string ae =
      R"({"id":"a1","at":"2026-06-01T12:00:00Z","requester":{"system":"Z9A01","user":"u1",)"
      R"("role":"R0050","organisation":"Z9A01","purpose":"direct-care"},"patient":{"nhsNumber":)"
      R"("9990000018","registeredPractice":"Z90001","objection":false,"episodes":[{"kind":)"
      R"("admission","org":"Z9A01","open":true,"start":"2026-05-30T08:00:00Z"}]},"resources":)"
      R"([{"type":"Condition","id":"c1","category":"problems","sensitivity":[],"source":"Z90001"}]})";
  const std::string gp =
      R"({"id":"a2","at":"2026-06-02T12:00:00Z","requester":{"system":"Z90001","user":"u2",)"
      R"("role":"R8000","organisation":"Z90001","purpose":"direct-care"},"patient":{"nhsNumber":)"
      R"("9990000018","registeredPractice":"Z90001","objection":false},"resources":)"
      R"([{"type":"Condition","id":"c1","category":"problems","sensitivity":[],"source":"Z9A01"}]})";
  std::filesystem::create_directories(dir.file("data/policy"));
  dir.write("data/policy/recorded-2026-06-01.jsonl", ae + "\n");
  dir.write("data/policy/recorded-2026-06-02.jsonl", gp + "\n");
  const auto r = run_command({caregw_binary(), "policy", "dry-run", "--config", config,
                              "--agreements", proposed, "--data-dir", dir.file("data")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("read 2 recorded requests from 2 file(s)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2 recorded requests, 1 would change"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find(R"("input":"a1","before":"permit","after":"deny")"), std::string::npos)
      << r.out;
  // --limit keeps the most recent: the GP's request only, which the change leaves alone.
  const auto newest =
      run_command({caregw_binary(), "policy", "dry-run", "--config", config, "--agreements",
                   proposed, "--data-dir", dir.file("data"), "--limit", "1"});
  EXPECT_EQ(newest.exit_code, 0) << newest.err;
  EXPECT_NE(newest.err.find("1 recorded requests, 0 would change"), std::string::npos)
      << newest.err;
}

TEST(PolicyDryRun, ReadsFilesWhereAResourceListIsWrittenOnce) {
  TempDir dir;
  dir.write("dsa.yaml", kAgreement);
  const auto config = dir.write("caregw.yaml", config_yaml() + "agreements: [dsa.yaml]\n");
  std::string narrower = kAgreement;
  narrower.replace(narrower.find("roles: [R8000, R0050]"), 21, "roles: [R8000]");
  const auto proposed = dir.write("proposed.yaml", narrower);
  // As `caregw serve` records a list it sees again and again (policy/recorder.hpp): defined once
  // under the SHA-256 of its JSON, then referred to. Synthetic patient 9990000018.
  const std::string def =
      R"({"resourcesDef":"7a97824b1e5003478c7e769c7268cb08e71c75c01cc9aba29525b522ef323056",)"
      R"("resources":[{"type":"Condition","id":"c1","category":"problems","sensitivity":[],)"
      R"("source":"Z90001"}]})";
  const auto ae = [](const char* id) {
    std::string line = R"({"id":")";
    line.append(id).append(
        R"(","at":"2026-06-01T12:00:00Z","requester":{"system":"Z9A01","user":"u1",)"
        R"("role":"R0050","organisation":"Z9A01","purpose":"direct-care"},"patient":{"nhsNumber":)"
        R"("9990000018","registeredPractice":"Z90001","objection":false,"episodes":[{"kind":)"
        R"("admission","org":"Z9A01","open":true,"start":"2026-05-30T08:00:00Z"}]},)"
        R"("resourcesRef":"7a97824b1e5003478c7e769c7268cb08e71c75c01cc9aba29525b522ef323056"})");
    return line;
  };
  std::filesystem::create_directories(dir.file("data/policy"));
  const auto file = dir.write("data/policy/recorded-2026-06-01.jsonl",
                              def + "\n" + ae("a1") + "\n" + ae("a2") + "\n");
  // The gateway's own files, and the same file given as --inputs: both requests replayed whole.
  for (const auto& how : {std::vector<std::string>{"--data-dir", dir.file("data")},
                          std::vector<std::string>{"--inputs", file}}) {
    std::vector<std::string> args = {caregw_binary(), "policy",       "dry-run", "--config",
                                     config,          "--agreements", proposed};
    args.insert(args.end(), how.begin(), how.end());
    const auto r = run_command(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("2 recorded requests, 2 would change"), std::string::npos) << r.err;
    EXPECT_NE(r.out.find(R"("input":"a2","before":"permit","after":"deny")"), std::string::npos)
        << r.out;
  }
  // An altered definition (the condition's source changed, the digest kept) is refused: --inputs
  // names its line; the gateway's files skip it and the requests that use it, and say so.
  std::string altered = def;
  altered.replace(altered.find("Z90001"), 6, "Z9A01");
  dir.write("data/policy/recorded-2026-06-01.jsonl",
            altered + "\n" + ae("a1") + "\n" + ae("a2") + "\n");
  const auto strict = run_command({caregw_binary(), "policy", "dry-run", "--config", config,
                                   "--agreements", proposed, "--inputs", file});
  EXPECT_EQ(strict.exit_code, 1);
  EXPECT_NE(strict.err.find(file + ":1: recorded resource list: its resources do not match"),
            std::string::npos)
      << strict.err;
  const auto lenient = run_command({caregw_binary(), "policy", "dry-run", "--config", config,
                                    "--agreements", proposed, "--data-dir", dir.file("data")});
  EXPECT_EQ(lenient.exit_code, 0) << lenient.err;
  EXPECT_NE(lenient.err.find("3 recorded line(s) could not be read"), std::string::npos)
      << lenient.err;
  EXPECT_NE(lenient.err.find("0 recorded requests, 0 would change"), std::string::npos)
      << lenient.err;
}

TEST(PolicyDryRun, TakesAFolderOfAgreementsAndOnlyRecentRequests) {
  TempDir dir;
  dir.write("dsa.yaml", kAgreement);
  const auto config = dir.write("caregw.yaml", config_yaml() + "agreements: [dsa.yaml]\n");
  // The changed set as a folder (what an IG lead edits): the consultant's role removed.
  std::string narrower = kAgreement;
  narrower.replace(narrower.find("roles: [R8000, R0050]"), 21, "roles: [R8000]");
  std::filesystem::create_directories(dir.file("changed"));
  dir.write("changed/direct-care.yaml", narrower);
  dir.write("changed/notes.txt", "not an agreement");
  // Synthetic patient 9990000018; the same consultant's request on two days.
  const auto request = [](const char* id, const char* at) {
    return std::string(R"({"id":")") + id + R"(","at":")" + at +
           R"(","requester":{"system":"Z9A01","user":"u1","role":"R0050","organisation":"Z9A01",)"
           R"("purpose":"direct-care"},"patient":{"nhsNumber":"9990000018","registeredPractice":)"
           R"("Z90001","objection":false,"episodes":[{"kind":"admission","org":"Z9A01","open":)"
           R"(true,"start":"2026-05-30T08:00:00Z"}]},"resources":[{"type":"Condition","id":"c1",)"
           R"("category":"problems","sensitivity":[],"source":"Z90001"}]})";
  };
  const auto inputs = dir.write("inputs.jsonl", request("old", "2026-05-31T09:00:00Z") + "\n" +
                                                    request("new", "2026-06-01T12:00:00Z") + "\n");
  const auto r =
      run_command({caregw_binary(), "policy", "dry-run", "--config", config, "--agreements",
                   dir.file("changed"), "--inputs", inputs, "--since", "2026-06-01"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("1 recorded requests, 1 would change"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 recorded before 2026-06-01T00:00:00Z left out"), std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find(R"("input":"new","before":"permit","after":"deny","ruleBefore":)"
                       R"("permitted","ruleAfter":"role-not-allowed")"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("\"old\""), std::string::npos) << r.out;
  // Without --since both are replayed; a --since that is not a time is a usage error (1).
  const auto all = run_command({caregw_binary(), "policy", "dry-run", "--config", config,
                                "--agreements", dir.file("changed"), "--inputs", inputs});
  EXPECT_NE(all.err.find("2 recorded requests, 2 would change"), std::string::npos) << all.err;
  const auto bad =
      run_command({caregw_binary(), "policy", "dry-run", "--config", config, "--agreements",
                   dir.file("changed"), "--inputs", inputs, "--since", "last week"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("--since"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace gw::test
