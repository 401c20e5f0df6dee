// A long resource list is written once per recorded file and referred to by its digest: every
// line still replays with its full list, a new day's file defines it again, old all-inline files
// read, and a torn or altered definition makes its users unreadable (counted), never wrong.
#include <fstream>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/policy/recorded_input.hpp"
#include "gateway/policy/recorder.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/policy/policy_fixture.hpp"

namespace gw::policy::test {
namespace {

namespace fs = std::filesystem;

/** numbered: prefix then n (appended: GCC 12 warns on chains of std::string +). */
std::string numbered(const char* prefix, std::size_t n) {
  std::string out(prefix);
  out.append(std::to_string(n));
  return out;
}

/**
 * record_list: a record's resource facts, long enough (about 2 KB of JSON) to be written by
 * reference: problems from the hospital, safeguarding flags from the council, care plans from
 * the practice (the dry run below changes what happens to the flags).
 */
std::vector<RecordedResource> record_list(const char* id_prefix, std::size_t n = 24) {
  std::vector<RecordedResource> out;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string id = numbered(id_prefix, i);
    switch (i % 3) {
      case 0:
        out.push_back({"Condition", id, DataCategory::kProblems, 0, "Z9A01"});
        break;
      case 1:
        out.push_back({"Flag", id, DataCategory::kSafeguarding, 0, "Z9S01"});
        break;
      default:
        out.push_back({"CarePlan", id, DataCategory::kCarePlans,
                       sensitivity_bit(Sensitivity::kMentalHealthNotes), "Z90001"});
        break;
    }
  }
  return out;
}

RecordedInput read_of(const std::string& id, TimePoint at,
                      const std::vector<RecordedResource>& list) {
  RecordedInput in;
  in.id = id;
  in.at = at;
  in.requester = requester("Z90001", "R8000");
  in.patient = patient();
  in.resources = list;
  return in;
}

/** kept: the same read as the answer cache hands it over: the list prepared once. */
RecordedInput kept(const std::string& id, TimePoint at, const std::string& prepared) {
  RecordedInput in = read_of(id, at, {});
  in.prepared_resources = prepared;
  return in;
}

RecorderOptions options_in(const fs::path& dir) {
  RecorderOptions o;
  o.dir = dir;
  o.max_lines_per_request = 20;
  return o;
}

/** inline_options: every list inline, as caregw recorded before lists were written once. */
RecorderOptions inline_options(const fs::path& dir) {
  RecorderOptions o = options_in(dir);
  o.inline_resources_below = std::numeric_limits<std::size_t>::max();
  return o;
}

void write_lines(const fs::path& file, const std::vector<std::string>& lines) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  for (const auto& l : lines) {
    out << l << '\n';
  }
}

std::size_t count_definitions(const std::vector<std::string>& lines) {
  std::size_t n = 0;
  for (const auto& l : lines) {
    n += definition_digest(l) ? 1 : 0;
  }
  return n;
}

/** as_json: what each input read back holds, as the inline JSON line (compared whole). */
std::vector<std::string> as_json(const std::vector<RecordedInput>& inputs) {
  std::vector<std::string> out;
  out.reserve(inputs.size());
  for (const auto& in : inputs) {
    out.push_back(recorded_input_json(in));
  }
  return out;
}

/** a_day_of_reads: what a day of reads records: kept answers, fresh reads and short lists. */
std::vector<RecordedInput> a_day_of_reads(TimePoint day) {
  const auto list_a = record_list("a-");
  const auto list_b = record_list("b-", 30);
  const std::string prepared_a = prepare_recorded_resources(list_a);
  std::vector<RecordedInput> out;
  out.push_back(read_of("fresh-a", day, list_a));  // assembled: the recorder hashes it itself
  out.push_back(kept("kept-a1", day + std::chrono::minutes{1}, prepared_a));
  out.push_back(read_of("short", day + std::chrono::minutes{2}, record_list("s-", 2)));
  out.push_back(read_of("fresh-b", day + std::chrono::minutes{3}, list_b));
  out.push_back(kept("kept-a2", day + std::chrono::minutes{4}, prepared_a));
  out.push_back(read_of("refused", day + std::chrono::minutes{5}, {}));
  RecordedInput paramedic = kept("kept-a3", day + std::chrono::minutes{6}, prepared_a);
  paramedic.requester = requester("Z9L01", "R1070");
  paramedic.patient.episodes.push_back(
      Episode{EpisodeKind::kAmbulanceIncident, "Z9L01", false, day - hours{1}, {}, ""});
  out.push_back(paramedic);
  out.push_back(read_of("fresh-b2", day + std::chrono::minutes{7}, list_b));
  return out;
}

/** digest_in: the digest of a prepared list (empty when it is not one). */
std::string digest_in(std::string_view prepared) {
  const auto parts = view_prepared_resources(prepared);
  return parts.has_value() ? std::string(parts->digest) : std::string();
}

/** record_each: records each input as its own request (one record() per read). */
void record_each(InputRecorder& rec, const std::vector<RecordedInput>& inputs) {
  for (const auto& in : inputs) {
    rec.record(std::span<const RecordedInput>(&in, 1));
  }
}

TEST(RecorderDedupe, ARepeatedListIsWrittenOnceAndEveryLineReadsWhole) {
  gw::test::TempDir tmp;
  const fs::path dedup = tmp.file("dedup");
  const fs::path plain = tmp.file("inline");
  const auto reads = a_day_of_reads(kNow);
  InputRecorder rec(options_in(dedup));
  ASSERT_TRUE(rec.open(kNow));
  record_each(rec, reads);
  InputRecorder old(inline_options(plain));
  ASSERT_TRUE(old.open(kNow));
  record_each(old, reads);

  const auto lines = lines_of(dedup / recorded_file_name(kNow));
  EXPECT_EQ(lines.size(), reads.size() + 2);  // two long lists, each defined once
  EXPECT_EQ(count_definitions(lines), 2U);
  EXPECT_EQ(rec.definitions(), 2U);
  EXPECT_EQ(rec.lines(), reads.size());
  // The definition comes right before the first line that uses it.
  const std::string digest(definition_digest(lines[0]).value_or(""));
  ASSERT_FALSE(digest.empty());
  EXPECT_NE(lines[1].find(R"("resourcesRef":")" + digest), std::string::npos);
  // Short lists (and a refused read's empty one) stay inline.
  for (const auto& l : lines) {
    if (l.find(R"("id":"short")") != std::string::npos ||
        l.find(R"("id":"refused")") != std::string::npos) {
      EXPECT_NE(l.find(R"("resources":[)"), std::string::npos) << l;
    }
  }
  EXPECT_LT(fs::file_size(dedup / recorded_file_name(kNow)),
            fs::file_size(plain / recorded_file_name(kNow)) / 2);

  auto from_dedup = read_recorded(dedup, 100);
  auto from_inline = read_recorded(plain, 100);
  ASSERT_TRUE(from_dedup && from_inline);
  EXPECT_EQ(from_dedup->unreadable, 0U);
  ASSERT_EQ(from_dedup->inputs.size(), reads.size());
  EXPECT_EQ(as_json(from_dedup->inputs), as_json(from_inline->inputs));
  // Newest first, each with its full list, as recorded.
  std::vector<RecordedInput> expected;
  for (auto it = reads.rbegin(); it != reads.rend(); ++it) {
    RecordedInput e = *it;
    if (!e.prepared_resources.empty()) {
      e.resources = record_list("a-");
      e.prepared_resources.clear();
    }
    expected.push_back(std::move(e));
  }
  EXPECT_EQ(as_json(from_dedup->inputs), as_json(expected));
  EXPECT_EQ(from_dedup->inputs.back().resources.size(), 24U);
}

TEST(RecorderDedupe, ANewDayFileDefinesTheListAgain) {
  gw::test::TempDir tmp;
  const fs::path dir = tmp.file("policy");
  const std::string prepared = prepare_recorded_resources(record_list("a-"));
  InputRecorder rec(options_in(dir));
  ASSERT_TRUE(rec.open(kNow));
  record_each(rec, {kept("day1-1", kNow, prepared), kept("day1-2", kNow + hours{1}, prepared),
                    kept("day2-1", kNow + days{1}, prepared),
                    kept("day2-2", kNow + days{1} + hours{1}, prepared)});
  EXPECT_EQ(rec.definitions(), 2U);
  // Each file stands alone: the older one removed, the newer still reads whole.
  fs::remove(dir / recorded_file_name(kNow));
  const auto lines = lines_of(dir / recorded_file_name(kNow + days{1}));
  ASSERT_EQ(lines.size(), 3U);
  EXPECT_EQ(count_definitions(lines), 1U);
  auto r = read_recorded(dir, 100);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->unreadable, 0U);
  ASSERT_EQ(r->inputs.size(), 2U);
  EXPECT_EQ(r->inputs[0].id, "day2-2");
  EXPECT_EQ(r->inputs[1].resources.size(), 24U);
}

TEST(RecorderDedupe, AnOldAllInlineFileStillReads) {
  gw::test::TempDir tmp;
  const fs::path dir = tmp.file("policy");
  fs::create_directories(dir);
  const auto reads = a_day_of_reads(kNow);
  std::vector<std::string> lines;
  lines.reserve(reads.size());
  for (const auto& in : reads) {
    lines.push_back(recorded_input_json(in));  // the lines caregw wrote before
  }
  write_lines(dir / recorded_file_name(kNow), lines);
  auto r = read_recorded(dir, 100);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->unreadable, 0U);
  ASSERT_EQ(r->inputs.size(), reads.size());
  EXPECT_EQ(r->inputs.front().id, "fresh-b2");
  EXPECT_EQ(r->inputs.back().resources.size(), 24U);
}

TEST(RecorderDedupe, ATornDefinitionMakesOnlyItsUsersUnreadable) {
  gw::test::TempDir tmp;
  const fs::path dir = tmp.file("policy");
  InputRecorder rec(options_in(dir));
  ASSERT_TRUE(rec.open(kNow));
  const auto reads = a_day_of_reads(kNow);
  record_each(rec, reads);
  const fs::path file = dir / recorded_file_name(kNow);
  auto lines = lines_of(file);
  // List a's definition (the first line) cut short, as a crash mid-write would leave it.
  ASSERT_TRUE(definition_digest(lines[0]));
  lines[0].resize(lines[0].size() / 2);
  write_lines(file, lines);
  auto r = read_recorded(dir, 100);
  ASSERT_TRUE(r);
  // The torn definition and the four reads of list a; the other four read whole.
  EXPECT_EQ(r->unreadable, 5U);
  std::vector<std::string> ids;
  for (const auto& in : r->inputs) {
    ids.push_back(in.id);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"fresh-b2", "refused", "fresh-b", "short"}));
  EXPECT_EQ(r->inputs[0].resources.size(), 30U);
}

TEST(RecorderDedupe, AnAlteredDefinitionIsRefused) {
  gw::test::TempDir tmp;
  const fs::path dir = tmp.file("policy");
  const std::string prepared = prepare_recorded_resources(record_list("a-"));
  InputRecorder rec(options_in(dir));
  ASSERT_TRUE(rec.open(kNow));
  record_each(rec, {kept("k1", kNow, prepared), kept("k2", kNow + hours{1}, prepared)});
  const fs::path file = dir / recorded_file_name(kNow);
  auto lines = lines_of(file);
  ASSERT_EQ(lines.size(), 3U);
  // A safeguarding flag re-labelled as a care plan: still JSON, still the same digest.
  lines[0] = replace(lines[0], R"("type":"Flag","id":"a-1","category":"safeguarding")",
                     R"("type":"Flag","id":"a-1","category":"care-plans")");
  write_lines(file, lines);
  auto def = parse_resources_definition(lines[0]);
  ASSERT_FALSE(def);
  EXPECT_EQ(def.error().code, Errc::kBadRequest);
  EXPECT_NE(def.error().detail.find("do not match its 'resourcesDef' digest"), std::string::npos)
      << def.error().detail;
  auto r = read_recorded(dir, 100);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->inputs.empty());
  EXPECT_EQ(r->unreadable, 3U);
}

TEST(RecorderDedupe, AReferenceResolvesOnlyToADefinitionBeforeItInTheSameFile) {
  gw::test::TempDir tmp;
  const fs::path dir = tmp.file("policy");
  fs::create_directories(dir);
  const std::string prepared = prepare_recorded_resources(record_list("a-"));
  const std::string digest = digest_in(prepared);
  ASSERT_FALSE(digest.empty());
  std::string use;
  append_with_reference(use, recorded_input_frame(read_of("early", kNow, {})), digest);
  std::string later;
  append_with_reference(later, recorded_input_frame(read_of("later", kNow + hours{1}, {})), digest);
  // Yesterday's file defines the list; today's uses it before defining it.
  write_lines(dir / recorded_file_name(kNow - days{1}), {prepared});
  write_lines(dir / recorded_file_name(kNow), {use, prepared, later});
  auto r = read_recorded(dir, 100);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->inputs.size(), 1U);
  EXPECT_EQ(r->inputs[0].id, "later");
  EXPECT_EQ(r->unreadable, 1U);
}

TEST(RecorderDedupe, ALineCannotCarryBothAListAndAReference) {
  const std::string prepared = prepare_recorded_resources(record_list("a-"));
  const std::string digest = digest_in(prepared);
  ASSERT_FALSE(digest.empty());
  std::string both = recorded_input_json(read_of("x", kNow, record_list("b-")));
  both.insert(1, R"("resourcesRef":")" + digest + "\",");
  const std::vector<RecordedResource> list = record_list("a-");
  const ResourceListLookup lookup = [&list](std::string_view) { return &list; };
  auto r = parse_recorded_input(both, lookup);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("both 'resources' and 'resourcesRef'"), std::string::npos);
  // Outside a recorded file (a request body) a reference names nothing.
  std::string ref;
  append_with_reference(ref, recorded_input_frame(read_of("y", kNow, {})), digest);
  auto alone = parse_recorded_input(ref);
  ASSERT_FALSE(alone);
  EXPECT_NE(alone.error().detail.find("'resourcesRef' names no resource list"), std::string::npos)
      << alone.error().detail;
  auto resolved = parse_recorded_input(ref, lookup);
  ASSERT_TRUE(resolved) << resolved.error().detail;
  EXPECT_EQ(resolved->resources.size(), list.size());
}

TEST(RecorderDedupe, AtTheCapTheWriterForgetsAndDefinesAgain) {
  gw::test::TempDir tmp;
  const fs::path dir = tmp.file("policy");
  RecorderOptions o = options_in(dir);
  o.max_defined_lists = 1;
  InputRecorder rec(o);
  ASSERT_TRUE(rec.open(kNow));
  const std::string a = prepare_recorded_resources(record_list("a-"));
  const std::string b = prepare_recorded_resources(record_list("b-"));
  record_each(rec,
              {kept("1", kNow, a), kept("2", kNow, a), kept("3", kNow, b), kept("4", kNow, a)});
  EXPECT_EQ(rec.definitions(), 3U);  // a, b, and a again once b took its place
  auto r = read_recorded(dir, 100);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->unreadable, 0U);
  ASSERT_EQ(r->inputs.size(), 4U);
  EXPECT_EQ(r->inputs[1].resources[0].id, "b-0");
  EXPECT_EQ(r->inputs[0].resources[0].id, "a-0");
}

TEST(RecorderDedupe, AFileRemovedOrCutShortUnderTheWriterGetsItsDefinitionsAgain) {
  gw::test::TempDir tmp;
  const fs::path dir = tmp.file("policy");
  const fs::path file = dir / recorded_file_name(kNow);
  const std::string a = prepare_recorded_resources(record_list("a-"));
  InputRecorder rec(options_in(dir));
  ASSERT_TRUE(rec.open(kNow));
  record_each(rec, {kept("1", kNow, a)});
  fs::remove(file);
  record_each(rec, {kept("2", kNow, a)});
  fs::resize_file(file, 0);
  record_each(rec, {kept("3", kNow, a)});
  EXPECT_EQ(rec.definitions(), 3U);
  auto r = read_recorded(dir, 100);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->unreadable, 0U);
  ASSERT_EQ(r->inputs.size(), 1U);
  EXPECT_EQ(r->inputs[0].id, "3");
  EXPECT_EQ(r->inputs[0].resources.size(), 24U);
}

TEST(RecorderDedupe, AfterATornLastLineTheNextWriteStartsOnANewLine) {
  gw::test::TempDir tmp;
  const fs::path dir = tmp.file("policy");
  fs::create_directories(dir);
  const fs::path file = dir / recorded_file_name(kNow);
  const std::string a = prepare_recorded_resources(record_list("a-"));
  std::ofstream(file, std::ios::binary) << a.substr(0, 200);  // a crash mid-definition
  InputRecorder rec(options_in(dir));
  ASSERT_TRUE(rec.open(kNow));
  record_each(rec, {kept("1", kNow, a), kept("2", kNow, a)});
  auto r = read_recorded(dir, 100);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->unreadable, 1U);  // the torn line alone
  ASSERT_EQ(r->inputs.size(), 2U);
  EXPECT_EQ(r->inputs[1].resources.size(), 24U);
}

TEST(RecorderDedupe, ConcurrentReadsOfTheSameRecordAllResolve) {
  gw::test::TempDir tmp;
  const fs::path dir = tmp.file("policy");
  InputRecorder rec(options_in(dir));
  ASSERT_TRUE(rec.open(kNow));
  const std::string a = prepare_recorded_resources(record_list("a-"));
  const auto b = record_list("b-");
  constexpr int kThreads = 8;
  constexpr int kEach = 100;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string id =
            numbered("t", static_cast<std::size_t>(t) * kEach + static_cast<std::size_t>(i));
        // Two lines of one request, one kept and one assembled: both by reference.
        const std::vector<RecordedInput> batch = {kept(id, kNow, a), read_of(id + "b", kNow, b)};
        rec.record(batch);
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(rec.definitions(), 2U);
  auto r = read_recorded(dir, 100000);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->unreadable, 0U);
  ASSERT_EQ(r->inputs.size(), static_cast<std::size_t>(kThreads * kEach * 2));
  for (const auto& in : r->inputs) {
    ASSERT_EQ(in.resources.size(), 24U) << in.id;
    ASSERT_EQ(in.resources[0].id, in.id.ends_with("b") ? "b-0" : "a-0") << in.id;
  }
}

TEST(RecorderDedupe, TheDryRunFindsTheSameChangesAsOverInlineFiles) {
  gw::test::TempDir tmp;
  const fs::path dedup = tmp.file("dedup");
  const fs::path plain = tmp.file("inline");
  InputRecorder rec(options_in(dedup));
  InputRecorder old(inline_options(plain));
  ASSERT_TRUE(rec.open(kNow) && old.open(kNow));
  for (int d = 0; d < 2; ++d) {
    const auto reads = a_day_of_reads(kNow + days{d});
    record_each(rec, reads);
    record_each(old, reads);
  }
  // The proposal drops the paramedic role and adds safeguarding data (explain_test.cpp).
  const PolicyIndex current = demo_index();
  const PolicyIndex proposed =
      index_of({parse(replace(replace(kDirectCareYaml, ", R1070]\nbreak", "]\nbreak"), "documents]",
                              "documents, safeguarding]")),
                parse(kSafeguardingYaml)});
  auto from_dedup = read_recorded(dedup, 100);
  auto from_inline = read_recorded(plain, 100);
  ASSERT_TRUE(from_dedup && from_inline);
  ASSERT_EQ(from_dedup->inputs.size(), 16U);
  const auto changes = dry_run(current, proposed, from_dedup->inputs);
  // Every read but the refused one (no resources): the flags newly shown, the paramedic refused.
  EXPECT_EQ(changes.size(), 14U);
  EXPECT_EQ(dry_run_json(changes), dry_run_json(dry_run(current, proposed, from_inline->inputs)));
}

}  // namespace
}  // namespace gw::policy::test
