// The recorded decision inputs on disk: whole parseable lines, private files, a retention in
// days, the per-request cap, and whole lines under concurrent appends.
#include "gateway/policy/recorder.hpp"

#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "gateway/policy/recorded_input.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/policy/policy_fixture.hpp"

namespace gw::policy::test {
namespace {

namespace fs = std::filesystem;

RecordedInput input(const std::string& id, TimePoint at = kNow) {
  RecordedInput in;
  in.id = id;
  in.at = at;
  in.requester = requester("Z9A01", "R0050");
  in.patient = patient();
  in.resources = {{"Condition", "c1", DataCategory::kProblems, 0, "Z90001"},
                  {"CarePlan", "cp1", DataCategory::kCarePlans, 0, "Z9M01"}};
  return in;
}

/** name: prefix, a, "-", b (appended: GCC 12 warns on chains of std::string +). */
std::string name(const char* prefix, int a, int b) {
  std::string out(prefix);
  out.append(std::to_string(a)).append("-").append(std::to_string(b));
  return out;
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0);
  return st.st_mode & 0777U;
}

RecorderOptions options(const gw::test::TempDir& tmp) {
  RecorderOptions o;
  o.dir = fs::path(tmp.file("policy"));
  o.retention_days = 30;
  o.max_lines_per_request = 3;
  return o;
}

TEST(InputRecorder, AppendsParseableLinesToAPrivateFileOfTheDay) {
  gw::test::TempDir tmp;
  InputRecorder rec(options(tmp));
  ASSERT_TRUE(rec.open(kNow));
  const std::vector<RecordedInput> one = {input("req-1")};
  rec.record(one);
  const std::vector<RecordedInput> two = {input("req-2", kNow + hours{1})};
  rec.record(two);
  const fs::path dir = options(tmp).dir;
  const fs::path file = dir / "recorded-2026-06-01.jsonl";
  EXPECT_EQ(recorded_file_name(kNow), "recorded-2026-06-01.jsonl");
  EXPECT_EQ(mode_of(dir), 0700U);
  EXPECT_EQ(mode_of(file), 0600U);
  const auto lines = lines_of(file);
  ASSERT_EQ(lines.size(), 2U);
  auto parsed = parse_recorded_input(lines[1]);
  ASSERT_TRUE(parsed) << parsed.error().detail;
  EXPECT_EQ(parsed->id, "req-2");
  EXPECT_EQ(parsed->patient.nhs_number, input("x").patient.nhs_number);
  ASSERT_EQ(parsed->resources.size(), 2U);
  EXPECT_EQ(parsed->resources[1].source_org, "Z9M01");
  EXPECT_EQ(rec.lines(), 2U);
  EXPECT_EQ(rec.failures(), 0U);
}

TEST(InputRecorder, CapsTheLinesOfOneRequest) {
  gw::test::TempDir tmp;
  InputRecorder rec(options(tmp));
  ASSERT_TRUE(rec.open(kNow));
  const std::vector<RecordedInput> many = {input("a"), input("b"), input("c"), input("d"),
                                           input("e")};
  rec.record(many);
  EXPECT_EQ(lines_of(options(tmp).dir / recorded_file_name(kNow)).size(), 3U);
  EXPECT_EQ(rec.dropped(), 2U);
}

TEST(InputRecorder, RetentionRemovesOldFilesAtOpenAndOnANewDay) {
  gw::test::TempDir tmp;
  const fs::path dir = options(tmp).dir;
  fs::create_directories(dir);
  for (const char* name : {"recorded-2026-04-01.jsonl", "recorded-2026-05-01.jsonl",
                           "recorded-2026-05-20.jsonl", "notes.txt"}) {
    std::ofstream(dir / name) << "{}\n";
  }
  InputRecorder rec(options(tmp));
  ASSERT_TRUE(rec.open(kNow));  // 2026-06-01, 30 days: May 1st and before go
  EXPECT_FALSE(fs::exists(dir / "recorded-2026-04-01.jsonl"));
  EXPECT_FALSE(fs::exists(dir / "recorded-2026-05-01.jsonl"));
  EXPECT_TRUE(fs::exists(dir / "recorded-2026-05-20.jsonl"));
  EXPECT_TRUE(fs::exists(dir / "notes.txt"));
  // Recording on a later day prunes again.
  const std::vector<RecordedInput> later = {input("late", kNow + days{25})};
  rec.record(later);
  EXPECT_FALSE(fs::exists(dir / "recorded-2026-05-20.jsonl"));
  EXPECT_TRUE(fs::exists(dir / "recorded-2026-06-26.jsonl"));
}

TEST(InputRecorder, ConcurrentAppendsKeepWholeLines) {
  gw::test::TempDir tmp;
  auto o = options(tmp);
  o.max_lines_per_request = 20;
  InputRecorder rec(o);
  ASSERT_TRUE(rec.open(kNow));
  constexpr int kThreads = 8;
  constexpr int kEach = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&rec, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string id = name("t", t, i);
        const std::vector<RecordedInput> batch = {input(id), input(id + "b")};
        rec.record(batch);
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  const auto lines = lines_of(o.dir / recorded_file_name(kNow));
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(kThreads * kEach * 2));
  for (std::size_t i = 0; i < lines.size(); ++i) {
    ASSERT_TRUE(parse_recorded_input(lines[i])) << "line " << i + 1;
  }
  // A request's lines stay together.
  for (std::size_t i = 0; i < lines.size(); i += 2) {
    auto a = parse_recorded_input(lines[i]);
    auto b = parse_recorded_input(lines[i + 1]);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->id + "b", b->id);
  }
}

TEST(ReadRecorded, NewestFirstWithinALimitAndSince) {
  gw::test::TempDir tmp;
  InputRecorder rec(options(tmp));
  ASSERT_TRUE(rec.open(kNow));
  for (int d = 0; d < 3; ++d) {
    for (int i = 0; i < 2; ++i) {
      const std::vector<RecordedInput> one = {input(name("d", d, i), kNow + days{d} + hours{i})};
      rec.record(one);
    }
  }
  // A torn last line (a crash mid-write) is skipped, not fatal.
  std::ofstream(options(tmp).dir / recorded_file_name(kNow), std::ios::app) << "{\"id\":\"to";
  auto all = read_recorded(options(tmp).dir, 100);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->inputs.size(), 6U);
  EXPECT_EQ(all->inputs.front().id, "d2-1");
  EXPECT_EQ(all->inputs.back().id, "d0-0");
  EXPECT_EQ(all->unreadable, 1U);
  auto three = read_recorded(options(tmp).dir, 3);
  ASSERT_TRUE(three);
  ASSERT_EQ(three->inputs.size(), 3U);
  EXPECT_EQ(three->inputs[2].id, "d1-1");
  auto since = read_recorded(options(tmp).dir, 100, kNow + days{1} + hours{1});
  ASSERT_TRUE(since);
  ASSERT_EQ(since->inputs.size(), 3U);
  EXPECT_EQ(since->earlier, 1U);
  auto none = read_recorded(options(tmp).dir / "absent", 100);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->inputs.empty());
}

}  // namespace
}  // namespace gw::policy::test
