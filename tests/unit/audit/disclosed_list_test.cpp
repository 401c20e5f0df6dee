// Disclosed lists kept once (audit.db migration 2): records that repeat a prepared list refer to
// it by its SHA-256, read back with the full list everywhere, keep their chain hashes, and an
// altered, missing or old-format list is found by verify.
#include <future>

#include <gtest/gtest.h>

#include "gateway/audit/export.hpp"
#include "gateway/audit/sqlite/audit_store.hpp"
#include "gateway/audit/verify.hpp"
#include "gateway/store/sqlite/migrations.hpp"
#include "gateway/store/sqlite/store_database.hpp"
#include "tests/unit/audit/audit_test_support.hpp"

namespace gw::audit {
namespace {

using test::ok;
using test::read_record;
using test::test_nhs;

/** hundred_items: a 100-resource record's disclosures (invented ids; digests of the ids). */
std::vector<DisclosedItem> hundred_items(const std::string& tag) {
  std::vector<DisclosedItem> items;
  for (int i = 0; i < 100; ++i) {
    std::string id = tag;
    id.append("-").append(std::to_string(i));
    items.push_back({i == 0 ? "Patient" : "Observation", id, sha256_hex(id)});
  }
  return items;
}

class AuditDisclosedListTest : public test::LogFixture {
protected:
  /** prepared_read: a read of `nhs` disclosing `list`, as the record API's kept answers do. */
  static AuditRecord prepared_read(const std::string& nhs,
                                   const std::shared_ptr<const PreparedDisclosures>& list) {
    AuditRecord r = read_record(nhs);
    r.disclosed.clear();
    r.prepared_disclosed = list;
    return r;
  }
  /** inline_form: what a prepared read reads back as: its list inline, nothing prepared. */
  static AuditRecord inline_form(AuditRecord r) {
    if (r.prepared_disclosed) {
      r.disclosed = r.prepared_disclosed->items;
      r.prepared_disclosed.reset();
    }
    return r;
  }
  std::int64_t count(AuditStore& s, const std::string& sql) {
    return ok(s.db().query_int64(sql)).value_or(-1);
  }
  /** tamper: runs SQL with the append-only triggers out of the way (an attacker can). */
  void tamper(const std::string& sql) {
    auto s = store();
    ok(
        s.db().exec("DROP TRIGGER IF EXISTS audit_disclosed_list_append_only;"
                    "DROP TRIGGER IF EXISTS audit_disclosed_list_purge_only;"
                    "DROP TRIGGER IF EXISTS audit_record_append_only;"));
    ok(s.db().exec(sql));
  }
  VerifyReport verify() {
    auto s = store();
    auto k = key();
    return ok(verify_chain(s, k));
  }
  /** mismatched: the seqs whose stored hash their record (as read back) no longer chains to. */
  std::vector<std::uint64_t> mismatched() {
    auto s = store();
    std::vector<std::uint64_t> out;
    Hash prev = kGenesisHash;
    ok(s.scan(1, [&](const StoredRecord& r) {
      if (!r.unreadable.empty() || chain_hash(prev, canonical_bytes(r.record)) != r.hash) {
        out.push_back(r.record.seq);
      }
      prev = r.hash;
      return true;
    }));
    return out;
  }
};

TEST_F(AuditDisclosedListTest, ARepeatedPreparedListIsKeptOnceAndEveryRecordReadsItBackInFull) {
  const auto list_a = ok(prepare_disclosures(hundred_items("a")));
  const auto list_b = ok(prepare_disclosures(hundred_items("b")));
  EXPECT_EQ(list_a->digest, sha256_hex(list_a->json));
  std::vector<AuditRecord> written;
  {
    auto o = options();
    o.max_batch = 4;  // a few transactions, each (mostly) repeating both lists
    auto log = open(o);
    std::vector<std::promise<Result<std::uint64_t>>> done(12);
    std::vector<std::future<Result<std::uint64_t>>> seqs;
    seqs.reserve(done.size());
    for (auto& d : done) {
      seqs.push_back(d.get_future());
    }
    for (int i = 0; i < 12; ++i) {
      AuditRecord r = i % 4 == 3 ? read_record(test_nhs(i))  // inline, as before
                                 : prepared_read(test_nhs(i), i % 2 == 0 ? list_a : list_b);
      r.recorded_us = 1'800'000'000'000'000 + i;
      r.node_id = "test-node";
      written.push_back(inline_form(r));
      written.back().seq = static_cast<std::uint64_t>(i) + 1;  // one writer: in append order
      log->append(std::move(r), [&done, i](Result<std::uint64_t> seq) {
        done[static_cast<std::size_t>(i)].set_value(std::move(seq));
      });
    }
    for (std::size_t i = 0; i < seqs.size(); ++i) {
      EXPECT_EQ(ok(seqs[i].get()), i + 1);
    }
  }
  auto s = store();
  EXPECT_EQ(count(s, "SELECT count(*) FROM audit_disclosed_list"), 2);
  EXPECT_EQ(count(s, "SELECT count(*) FROM audit_record WHERE disclosed = 'sha256:" +
                         list_a->digest + "'"),
            6);
  EXPECT_EQ(count(s,
                  "SELECT max(length(disclosed)) FROM audit_record WHERE disclosed LIKE "
                  "'sha256:%'"),
            71);
  EXPECT_EQ(count(s, "SELECT count(*) FROM audit_record WHERE disclosed LIKE '[%'"), 3);

  // get, a query page and a scan read every record as if its list were inline.
  for (const auto& w : written) {
    EXPECT_EQ(ok(s.get(w.seq)).record, w) << "record " << w.seq;
  }
  PageRequest page;
  page.limit = 5;
  const Page first = ok(s.query({}, page));
  ASSERT_EQ(first.records.size(), 5U);
  for (const auto& r : first.records) {
    EXPECT_EQ(r.record, written.at(r.record.seq - 1));
  }
  std::vector<StoredRecord> scanned;
  ok(s.scan(1, [&](const StoredRecord& r) {
    scanned.push_back(r);
    return true;
  }));
  ASSERT_EQ(scanned.size(), written.size());
  for (const auto& r : scanned) {
    EXPECT_TRUE(r.unreadable.empty()) << r.unreadable;
    EXPECT_EQ(r.record, written.at(r.record.seq - 1));
  }

  // Exports are those of the same records written inline: CSV, AuditEvent, and back.
  for (const auto& r : scanned) {
    StoredRecord as_inline = r;
    as_inline.record = written.at(r.record.seq - 1);
    EXPECT_EQ(csv_row(r), csv_row(as_inline));
    EXPECT_EQ(audit_event_json(r), audit_event_json(as_inline));
  }
  std::string csv = csv_header();
  for (const auto& r : scanned) {
    csv += csv_row(r);
  }
  const auto back = ok(read_csv(csv));
  ASSERT_EQ(back.size(), written.size());
  EXPECT_EQ(back[1].record.disclosed, list_b->items);
}

TEST_F(AuditDisclosedListTest, ALogMixingInlineAndReferencedRecordsVerifies) {
  const auto list = ok(prepare_disclosures(hundred_items("mix")));
  {
    auto o = options();
    o.checkpoint_every = 7;
    o.max_batch = 3;
    auto log = open(o);
    for (int i = 0; i < 30; ++i) {
      (void)ok(log->append_sync(i % 3 == 0 ? read_record(test_nhs(i))
                                           : prepared_read(test_nhs(i), list)));
    }
  }
  const auto rep = verify();
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.count, 30U);
  EXPECT_GE(rep.checkpoints, 4U);
}

TEST_F(AuditDisclosedListTest, AnAlteredKeptListIsFoundInEveryRecordThatUsesIt) {
  const auto used = ok(prepare_disclosures(hundred_items("used")));
  const auto other = ok(prepare_disclosures(hundred_items("other")));
  std::vector<std::uint64_t> users;
  {
    auto log = open();
    for (int i = 0; i < 10; ++i) {
      const bool uses = i % 3 != 0;
      const auto seq = ok(log->append_sync(prepared_read(test_nhs(i), uses ? used : other)));
      if (uses) {
        users.push_back(seq);
      }
    }
  }
  ASSERT_TRUE(verify().ok);
  EXPECT_TRUE(store().db().exec("UPDATE audit_disclosed_list SET items = '[]'").has_error())
      << "the database refuses to change a kept list";
  EXPECT_TRUE(store().db().exec("DELETE FROM audit_disclosed_list").has_error())
      << "... or to remove one outside a purge";
  // One resource's digest changed in the kept list (valid JSON, valid digest).
  auto altered = hundred_items("used");
  altered[5].sha256_hex = sha256_hex("something else");
  tamper("UPDATE audit_disclosed_list SET items = '" + encode_disclosed(altered) +
         "' WHERE digest = '" + used->digest + "'");
  const auto rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.bad_seq, users.front());
  EXPECT_NE(rep.problem.find("does not match its chain hash"), std::string::npos) << rep.problem;
  EXPECT_EQ(mismatched(), users) << "every record using the list, and none other";
}

TEST_F(AuditDisclosedListTest, AReferenceToAMissingListIsReported) {
  const auto list = ok(prepare_disclosures(hundred_items("gone")));
  {
    auto log = open();
    (void)ok(log->append_sync(read_record(test_nhs(1))));
    (void)ok(log->append_sync(prepared_read(test_nhs(2), list)));
    (void)ok(log->append_sync(prepared_read(test_nhs(3), list)));
  }
  tamper("DELETE FROM audit_disclosed_list");
  auto s = store();
  const auto r = ok(s.get(2));
  EXPECT_EQ(r.unreadable, "disclosed list (missing)");
  const auto rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.bad_seq, 2U);
  EXPECT_NE(rep.problem.find("cannot be read"), std::string::npos) << rep.problem;
  EXPECT_EQ(mismatched(), (std::vector<std::uint64_t>{2, 3}));
  // A malformed reference is unreadable too.
  tamper("UPDATE audit_record SET disclosed = 'sha256:XYZ' WHERE seq = 1");
  EXPECT_EQ(ok(store().get(1)).unreadable, "disclosed");
}

TEST_F(AuditDisclosedListTest, AnAuditDbOfSchemaVersion1UpgradesAndReads) {
  // Made as the code before migration 2 made it: the migration-1 schema, lists inline.
  const auto file = audit_database_path(dir.file("data"));
  std::filesystem::create_directories(file.parent_path());
  std::vector<AuditRecord> written;
  {
    auto db = ok(store::sqlite::open_database_file(file, audit_migrations().first(1)));
    ASSERT_EQ(ok(store::sqlite::schema_version(db)), 1);
    Hash prev = kGenesisHash;
    for (std::uint64_t seq = 1; seq <= 3; ++seq) {
      AuditRecord r = read_record(test_nhs(static_cast<int>(seq)));
      r.seq = seq;
      r.recorded_us = 1'800'000'000'000'000 + static_cast<std::int64_t>(seq);
      r.node_id = "old-node";
      prev = chain_hash(prev, canonical_bytes(r));
      auto st = ok(db.cached(
          "INSERT INTO audit_record (seq, recorded_us, node_id, event_type, outcome, decision, "
          "user_id, user_name, user_role, org_ods, client_system, purpose_of_use, nhs_number, "
          "disclosed, withheld, dsa_id, dsa_version, dsa_rule, request_id, source_address, hash) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
          "?18, ?19, ?20, ?21)"));
      st->bind(1, static_cast<std::int64_t>(seq)).bind(2, r.recorded_us).bind(3, r.node_id);
      st->bind(4, event_type_name(r.type)).bind(5, std::int64_t{0});
      st->bind(6, decision_name(r.decision)).bind(7, r.user_id).bind(8, r.user_name);
      st->bind(9, r.user_role).bind(10, r.org_ods).bind(11, r.client_system);
      st->bind(12, r.purpose_of_use).bind(13, r.nhs_number).bind(14, encode_disclosed(r.disclosed));
      st->bind(15, std::string_view("[]")).bind(16, r.dsa_id).bind(17, r.dsa_version);
      st->bind(18, r.dsa_rule).bind(19, r.request_id).bind(20, r.source_address);
      st->bind(21, to_hex(prev));
      ok(st->run());
      written.push_back(r);
    }
  }
  // A read-only reader (the CLI before any write) reads it as it is.
  {
    store::sqlite::OpenOptions ro;
    ro.read_only = true;
    auto s = ok(AuditStore::open(dir.file("data"), ro));
    EXPECT_EQ(ok(s.get(2)).record, written[1]);
  }
  // The writer migrates it, reads the old records, and goes on with kept lists.
  const auto list = ok(prepare_disclosures(hundred_items("new")));
  {
    auto log = open();
    EXPECT_EQ(ok(log->get(3)).record, written[2]);
    EXPECT_EQ(ok(log->append_sync(prepared_read(test_nhs(9), list))), 4U);
  }
  auto s = store();
  EXPECT_EQ(ok(store::sqlite::schema_version(s.db())), 2);
  EXPECT_EQ(ok(s.get(4)).record.disclosed, list->items);
  const auto rep = verify();
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.count, 4U);
}

TEST_F(AuditDisclosedListTest, PurgeRemovesTheListsOnlyPurgedRecordsReferredTo) {
  const auto old_only = ok(prepare_disclosures(hundred_items("old")));
  const auto both = ok(prepare_disclosures(hundred_items("both")));
  const auto new_only = ok(prepare_disclosures(hundred_items("new")));
  auto log = open();
  for (const auto& list : {old_only, both, old_only}) {  // records 1..3: past retention
    (void)ok(log->append_sync(prepared_read(test_nhs(1), list)));
    clock.advance(std::chrono::hours(24));
  }
  for (const auto& list : {both, new_only}) {  // records 4..5: kept
    (void)ok(log->append_sync(prepared_read(test_nhs(2), list)));
    clock.advance(std::chrono::hours(24));
  }
  const auto cut = ok(log->get(4)).record.recorded_us;
  const auto rep = ok(log->purge(cut, dir.file("archive.csv"), "ig-lead-1"));
  EXPECT_EQ(rep.last_seq, 3U);
  auto s = store();
  auto kept = [&](const PreparedDisclosures& p) {
    return count(s, "SELECT count(*) FROM audit_disclosed_list WHERE digest = '" + p.digest +
                        "'") == 1;
  };
  EXPECT_FALSE(kept(*old_only)) << "no record refers to it any more";
  EXPECT_TRUE(kept(*both));
  EXPECT_TRUE(kept(*new_only));
  EXPECT_EQ(count(s, "SELECT count(*) FROM audit_list_sweep"), 0);
  EXPECT_TRUE(s.db().exec("DELETE FROM audit_disclosed_list").has_error())
      << "outside a purge, lists are still not removed";
  EXPECT_EQ(ok(s.get(4)).record.disclosed, both->items);
  const auto v = ok(log->verify());
  EXPECT_TRUE(v.ok) << v.problem;
  // The archive holds the purged records' full lists, and proves itself.
  const auto a = ok(verify_archive(dir.file("archive.csv"), &log->key()));
  EXPECT_TRUE(a.ok) << a.problem;
  EXPECT_EQ(a.count, 3U);
}

TEST_F(AuditDisclosedListTest, ShortAndUnpreparedListsStayInline) {
  const auto empty = ok(prepare_disclosures({}));
  AuditRecord r = read_record(test_nhs(1));
  r.disclosed.clear();
  r.prepared_disclosed = empty;
  EXPECT_FALSE(stored_by_reference(empty.get())) << "a reference would be longer than \"[]\"";
  EXPECT_EQ(disclosed_column(r), "[]");
  EXPECT_EQ(disclosed_column(read_record(test_nhs(1))),
            encode_disclosed(read_record(test_nhs(1)).disclosed));
  const auto big = ok(prepare_disclosures(hundred_items("big")));
  r.prepared_disclosed = big;
  EXPECT_EQ(disclosed_column(r), "sha256:" + big->digest);
}

}  // namespace
}  // namespace gw::audit
