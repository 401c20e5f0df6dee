// Tamper tests: every kind of alteration, made with raw SQL through the wrapper (as someone
// with the file could), is found by verify, which names the first broken record.
#include "gateway/audit/verify.hpp"

#include <gtest/gtest.h>

#include "tests/unit/audit/audit_test_support.hpp"

namespace gw::audit {
namespace {

using test::ok;
using test::read_record;
using test::test_nhs;

class AuditVerifyTest : public test::LogFixture {
protected:
  /** write: 30 records, checkpoints every 10 (so at 10, 20, 30), then close the writer. */
  void SetUp() override {
    auto o = options();
    o.checkpoint_every = 10;
    o.max_batch = 1;
    auto log = open(o);
    for (int i = 1; i <= 30; ++i) {
      (void)ok(log->append_sync(read_record(test_nhs(i))));
    }
    log->close();
  }
  /** tamper: runs SQL with the append-only triggers out of the way (an attacker can). */
  void tamper(const std::string& sql) {
    auto s = store();
    ok(
        s.db().exec("DROP TRIGGER IF EXISTS audit_record_append_only;"
                    "DROP TRIGGER IF EXISTS audit_record_purge_only;"
                    "DROP TRIGGER IF EXISTS audit_checkpoint_append_only;"
                    "DROP TRIGGER IF EXISTS audit_checkpoint_no_delete;"));
    ok(s.db().exec(sql));
  }
  VerifyReport verify() {
    auto s = store();
    auto k = key();
    return ok(verify_chain(s, k));
  }
};

TEST_F(AuditVerifyTest, IntactLogVerifiesWithItsCount) {
  auto rep = verify();
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.count, 30U);
  EXPECT_EQ(rep.first_seq, 1U);
  EXPECT_EQ(rep.last_seq, 30U);
  EXPECT_EQ(rep.checkpoints, 3U);
}

TEST_F(AuditVerifyTest, TheDatabaseRefusesUpdatesAndDeletes) {
  auto s = store();
  EXPECT_FALSE(s.db().exec("UPDATE audit_record SET user_id = 'x' WHERE seq = 3"));
  EXPECT_FALSE(s.db().exec("DELETE FROM audit_record WHERE seq = 3"));
  EXPECT_FALSE(s.db().exec("DELETE FROM audit_checkpoint"));
}

TEST_F(AuditVerifyTest, ChangedRecord) {
  tamper("UPDATE audit_record SET nhs_number = '" + test_nhs(99) + "' WHERE seq = 12");
  auto rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.bad_seq, 12U);
  EXPECT_NE(rep.problem.find("record 12"), std::string::npos) << rep.problem;
}

TEST_F(AuditVerifyTest, ChangedDisclosedItemsOrUnreadableColumn) {
  tamper("UPDATE audit_record SET disclosed = '[]' WHERE seq = 5");
  EXPECT_EQ(verify().bad_seq, 5U);
}

TEST_F(AuditVerifyTest, ChangedRecordWithTheChainRecomputed) {
  // The attacker rewrites record 15 and recomputes every later hash: the signed checkpoint at
  // 20 no longer matches.
  {
    auto s = store();
    tamper("UPDATE audit_record SET user_id = 'someone-else' WHERE seq = 15");
    Hash prev = ok(s.get(14)).hash;
    for (std::uint64_t seq = 15; seq <= 30; ++seq) {
      auto r = ok(s.get(seq));
      prev = chain_hash(prev, canonical_bytes(r.record));
      ok(s.db().exec("UPDATE audit_record SET hash = '" + to_hex(prev) +
                     "' WHERE seq = " + std::to_string(seq)));
    }
  }
  auto rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.bad_seq, 20U);
  EXPECT_NE(rep.problem.find("checkpoint"), std::string::npos) << rep.problem;
}

TEST_F(AuditVerifyTest, DeletedRecord) {
  tamper("DELETE FROM audit_record WHERE seq = 7");
  auto rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.bad_seq, 7U);
  EXPECT_NE(rep.problem.find("missing"), std::string::npos) << rep.problem;
}

TEST_F(AuditVerifyTest, InsertedRecord) {
  // Make room at 9 by moving 9..30 up one, and insert a copy of record 8 as the new 9.
  tamper(
      "UPDATE audit_record SET seq = seq + 1000 WHERE seq >= 9;"
      "UPDATE audit_record SET seq = seq - 999 WHERE seq >= 1009;"
      "INSERT INTO audit_record SELECT 9, recorded_us, node_id, event_type, outcome, decision, "
      "'intruder', user_name, user_role, org_ods, client_system, purpose_of_use, nhs_number, "
      "disclosed, withheld, dsa_id, dsa_version, dsa_rule, break_glass_reason, request_id, "
      "correlation_id, source_address, message_id, peer_ods, detail, related_seq, hash "
      "FROM audit_record WHERE seq = 8;");
  auto rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.bad_seq, 9U);
}

TEST_F(AuditVerifyTest, InsertedRecordWithAValidLookingHash) {
  // The forger computes a correct hash for the inserted record: the next one breaks.
  {
    tamper(
        "UPDATE audit_record SET seq = seq + 1000 WHERE seq >= 9;"
        "UPDATE audit_record SET seq = seq - 999 WHERE seq >= 1009;");
    auto s = store();
    AuditRecord r = read_record(test_nhs(77), "intruder");
    r.seq = 9;
    r.recorded_us = ok(s.get(8)).record.recorded_us;
    r.node_id = "test-node";
    ok(s.insert(r, chain_hash(ok(s.get(8)).hash, canonical_bytes(r))));
  }
  auto rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.bad_seq, 10U);
}

TEST_F(AuditVerifyTest, ReorderedRecords) {
  // Swap the content (hash included) of records 4 and 5.
  tamper(
      "UPDATE audit_record SET seq = 1004 WHERE seq = 4;"
      "UPDATE audit_record SET seq = 4 WHERE seq = 5;"
      "UPDATE audit_record SET seq = 5 WHERE seq = 1004;");
  auto rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.bad_seq, 4U);
}

TEST_F(AuditVerifyTest, TailTruncatedBehindACheckpoint) {
  tamper("DELETE FROM audit_record WHERE seq > 25");
  auto rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.bad_seq, 26U);
  EXPECT_NE(rep.problem.find("truncated"), std::string::npos) << rep.problem;
}

TEST_F(AuditVerifyTest, TailTruncatedWithItsCheckpointsIsCaughtByALodgedExport) {
  auto s = store();
  auto k = key();
  const auto lodged = ok(checkpoints_from_json(checkpoints_to_json(ok(s.checkpoints()), k)));
  tamper("DELETE FROM audit_record WHERE seq > 15; DELETE FROM audit_checkpoint WHERE seq > 15;");
  EXPECT_TRUE(verify().ok) << "without the lodged copy, a clean cut is not visible";
  auto rep = ok(verify_chain(s, k, lodged));
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.bad_seq, 16U);
}

TEST_F(AuditVerifyTest, ForgedCheckpoint) {
  tamper(
      "INSERT INTO audit_checkpoint (kind, seq, head, time_us, node_id, key_id, signature) "
      "SELECT kind, 40, head, time_us, node_id, key_id, signature FROM audit_checkpoint "
      "WHERE seq = 30");
  auto rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_NE(rep.problem.find("signature"), std::string::npos) << rep.problem;
}

TEST_F(AuditVerifyTest, CheckpointSignedByAnotherKey) {
  {
    auto s = store();
    auto other = ok(AuditKey::load_or_create(dir.file("other.pem")));
    Checkpoint cp = make_checkpoint(CheckpointKind::kPeriodic, 30, ok(s.get(30)).hash, 1, "x");
    ok(sign_checkpoint(other, cp));
    ok(s.insert_checkpoint(cp));
  }
  auto rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.bad_seq, 30U);
}

}  // namespace
}  // namespace gw::audit
