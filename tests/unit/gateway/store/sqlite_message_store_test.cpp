// The journal and the outbox: a repeated inbound message is answered with the earlier entry and
// its acknowledgement; outbound lines keep per-patient order; retries, dead letters, replay,
// discard and the pull mailbox; everything survives reopening the database.
#include "gateway/store/sqlite/sqlite_message_store.hpp"

#include <iostream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "gateway/store/sqlite/migrations.hpp"
#include "gateway/store/sqlite/store_database.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/gateway/store/store_test_support.hpp"

namespace gw::store::test {
namespace {

using sqlite::SqliteMessageStore;
using std::chrono::seconds;

constexpr std::string_view kRecipient = "Y90001";  // a GP practice
constexpr std::string_view kOther = "Z90002";      // council adult social care

InboundMessage inbound(std::string id, std::string body = "MSH|^~\\&|PAS|RZZ01|...") {
  return InboundMessage{ods(kAcute), "acute", std::move(id), "x-application/hl7-v2+er7",
                        std::move(body)};
}

OutboundMessage outbound(std::string_view recipient, std::string patient, std::string payload,
                         TransportKind t = TransportKind::kHttps) {
  return OutboundMessage{ods(recipient),          t,
                         std::move(patient),      "discharge-summary",
                         "application/fhir+json", std::move(payload)};
}

class MessageStoreTest : public ::testing::Test {
protected:
  void SetUp() override { reopen(); }
  void reopen() {
    store_.reset();
    store_ = ok(SqliteMessageStore::open_in_data_dir(dir_.file("data"), clock_));
  }
  std::vector<OutboxId> queue(std::vector<OutboundMessage> out) { return ok(store_->enqueue(out)); }
  std::vector<std::string> due_payloads() {
    std::vector<std::string> out;
    for (const auto& e : ok(store_->due(clock_.now(), 100))) {
      out.push_back(e.payload);
    }
    return out;
  }
  void deliver(OutboxId id) {
    ok(store_->record_outcomes({DeliveryOutcome{id, true, "", std::nullopt, clock_.now()}}));
  }
  void fail(OutboxId id, std::optional<TimePoint> retry_at) {
    ok(store_->record_outcomes(
        {DeliveryOutcome{id, false, "recipient answered 503", retry_at, clock_.now()}}));
  }

  gw::test::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<SqliteMessageStore> store_;
};

TEST_F(MessageStoreTest, JournalKeepsTheMessageAsReceivedWithItsHash) {
  const std::string body("MSH|^~\\&|PAS|RZZ01\r\0binary\xff", 27);
  auto r = ok(store_->journal(inbound("MSG0001", body)));
  EXPECT_FALSE(r.duplicate);
  EXPECT_EQ(r.entry.status, JournalStatus::kReceived);
  EXPECT_EQ(r.entry.received_at, clock_.now());
  reopen();
  auto e = ok(store_->journal_entry(r.entry.id));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->body, body);
  EXPECT_EQ(e->sha256, sha256_hex(body));
  EXPECT_EQ(e->sender.str(), kAcute);
  EXPECT_EQ(e->adapter, "acute");
  EXPECT_EQ(sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // FIPS 180-2
}

TEST_F(MessageStoreTest, ARepeatedMessageIdReturnsTheEarlierEntryAndItsAck) {
  auto first = ok(store_->journal(inbound("MSG0001")));
  const Acknowledgement ack{"x-application/hl7-v2+er7", "MSA|AA|MSG0001"};
  auto ids = ok(store_->complete(first.entry.id, ack, {outbound(kRecipient, "9990000018", "p")}));
  EXPECT_EQ(ids.size(), 1U);

  auto repeat = ok(store_->journal(inbound("MSG0001", "a different body, same id")));
  EXPECT_TRUE(repeat.duplicate);
  EXPECT_EQ(repeat.entry.id, first.entry.id);
  EXPECT_EQ(repeat.entry.status, JournalStatus::kProcessed);
  ASSERT_TRUE(repeat.entry.ack);
  EXPECT_EQ(repeat.entry.ack->body, ack.body);
  // Processing it again is refused, so nothing is queued twice.
  EXPECT_EQ(outcome(store_->complete(first.entry.id, ack, {outbound(kRecipient, "k", "p")})),
            "conflict");
  EXPECT_EQ(due_payloads().size(), 1U);
  // The same id from another sender is another message.
  auto other = InboundMessage{ods(kGp), "emis", "MSG0001", "application/xml", "<x/>"};
  EXPECT_FALSE(ok(store_->journal(other)).duplicate);
}

TEST_F(MessageStoreTest, AcceptJournalsAndQueuesInOneWriteAndOnlyOnce) {
  const Acknowledgement ack{"application/fhir+json", R"({"resourceType":"Bundle"})"};
  auto first = ok(store_->accept(
      inbound("MSG0002"), ack,
      {outbound(kRecipient, "9990000018", "p1"), outbound(kOther, "9990000018", "p2")}));
  EXPECT_FALSE(first.journal.duplicate);
  EXPECT_EQ(first.journal.entry.status, JournalStatus::kProcessed);
  EXPECT_EQ(first.queued.size(), 2U);
  auto again =
      ok(store_->accept(inbound("MSG0002"), ack, {outbound(kRecipient, "9990000018", "p1")}));
  EXPECT_TRUE(again.journal.duplicate);
  EXPECT_TRUE(again.queued.empty());
  ASSERT_TRUE(again.journal.entry.ack);
  EXPECT_EQ(again.journal.entry.ack->body, ack.body);
  EXPECT_EQ(due_payloads().size(), 2U);
  EXPECT_TRUE(ok(store_->unfinished(10)).empty());
}

TEST_F(MessageStoreTest, ConcurrentRepeatsAreJournalledOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> fresh{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        auto r = store_->journal(inbound("MSG" + std::to_string(i)));
        ASSERT_TRUE(r);
        if (!r->duplicate) {
          fresh.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(fresh.load(), 20);
  EXPECT_EQ(ok(store_->unfinished(1000)).size(), 20U);
}

TEST_F(MessageStoreTest, FailedMessagesKeepTheirErrorAndUnfinishedListsTheRest) {
  auto a = ok(store_->journal(inbound("A"))).entry.id;
  auto b = ok(store_->journal(inbound("B"))).entry.id;
  ok(store_->fail(a, "acute adapter: MSH-9 message type missing", std::nullopt));
  EXPECT_EQ(ok(store_->unfinished(10)), std::vector<JournalId>{b});
  auto e = ok(store_->journal_entry(a));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, JournalStatus::kFailed);
  EXPECT_EQ(e->error, "acute adapter: MSH-9 message type missing");
  EXPECT_EQ(outcome(store_->fail(JournalId{12345}, "x", std::nullopt)), "not_found");
}

TEST_F(MessageStoreTest, EachOutboundMessageGetsItsOwnIdempotencyKey) {
  auto ids = queue({outbound(kRecipient, "a", "1"), outbound(kRecipient, "b", "2")});
  auto e1 = ok(store_->outbox_entry(ids[0]));
  auto e2 = ok(store_->outbox_entry(ids[1]));
  ASSERT_TRUE(e1 && e2);
  EXPECT_EQ(e1->idempotency_key.size(), 36U);
  EXPECT_NE(e1->idempotency_key, e2->idempotency_key);
  EXPECT_EQ(e1->idempotency_key[14], '7');  // RFC 9562 version 7: time-ordered
  EXPECT_NE(std::string("89ab").find(e1->idempotency_key[19]), std::string::npos);  // variant
}

TEST_F(MessageStoreTest, OnlyTheHeadOfAPatientsLineIsDue) {
  auto ids = queue({outbound(kRecipient, "9990000018", "alice-1"),
                    outbound(kRecipient, "9990000018", "alice-2"),
                    outbound(kRecipient, "9990000026", "bob-1"),
                    outbound(kOther, "9990000018", "alice-1-to-council")});
  EXPECT_EQ(due_payloads(), (std::vector<std::string>{"alice-1", "bob-1", "alice-1-to-council"}));
  // While alice-1 is retrying, alice-2 waits.
  fail(ids[0], clock_.now() + seconds(30));
  EXPECT_EQ(due_payloads(), (std::vector<std::string>{"bob-1", "alice-1-to-council"}));
  clock_.advance(seconds(31));
  deliver(ids[0]);
  auto due = due_payloads();
  EXPECT_NE(std::find(due.begin(), due.end(), "alice-2"), due.end());
  auto e = ok(store_->outbox_entry(ids[0]));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->state, OutboxState::kDelivered);
  EXPECT_EQ(e->attempts, 2);
  EXPECT_EQ(e->last_error, "recipient answered 503");
}

TEST_F(MessageStoreTest, DeadLetterReleasesTheLineAndCanBeReplayed) {
  auto ids = queue(
      {outbound(kRecipient, "9990000018", "first"), outbound(kRecipient, "9990000018", "second")});
  fail(ids[0], std::nullopt);  // out of attempts: dead letter
  EXPECT_EQ(due_payloads(), std::vector<std::string>{"second"});
  auto dead = ok(store_->dead_letters(DeadLetterFilter{}));
  ASSERT_EQ(dead.size(), 1U);
  EXPECT_EQ(dead[0].id, ids[0]);
  EXPECT_EQ(dead[0].last_error, "recipient answered 503");
  EXPECT_EQ(ok(store_->dead_letters(DeadLetterFilter{.recipient = ods(kOther)})).size(), 0U);

  // Replayed while "second" is the line's head: it waits behind it, then goes.
  EXPECT_EQ(ok(store_->replay({ids[0], ids[1]}, "operator-1")), 1U);  // "second" is not dead
  EXPECT_EQ(due_payloads(), std::vector<std::string>{"second"});
  deliver(ids[1]);
  EXPECT_EQ(due_payloads(), std::vector<std::string>{"first"});
  auto e = ok(store_->outbox_entry(ids[0]));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->attempts, 0);
  EXPECT_EQ(e->replays, 1);
  EXPECT_EQ(e->replayed_by, "operator-1");
  EXPECT_EQ(e->idempotency_key, dead[0].idempotency_key);
  EXPECT_TRUE(ok(store_->dead_letters(DeadLetterFilter{})).empty());
}

TEST_F(MessageStoreTest, ALaterAnswerFromTheRecipientDecidesWhatItsDeliveryCameTo) {
  // A practice answers a delivered message later, as its own message (an ITK3 response naming
  // the MessageHeader.id the message was queued under): fatal-error moves it to the dead
  // letters, transient-error puts it back in its line, ok changes nothing. Only the recipient
  // the message went to can answer for it.
  auto first = outbound(kGp, "9990000018", "m1");
  first.idempotency_key = "0c6f4a2e-1b3d-4e5f-8a9b-7c6d5e4f3a21";
  first.format = "gp-connect-send-document";
  auto second = outbound(kGp, "9990000026", "m2");
  second.idempotency_key = "1d7a5b3f-2c4e-4f60-9bac-8d7e6f5a4b32";
  const auto ids = queue({first, second});
  deliver(ids[0]);
  deliver(ids[1]);
  EXPECT_EQ(ok(store_->outbox_entry(ids[0]))->format, "gp-connect-send-document");
  EXPECT_EQ(ok(store_->outbox_entry(ids[0]))->idempotency_key, first.idempotency_key);

  EXPECT_FALSE(ok(store_->record_answer(first.idempotency_key, ods(kAcute), AnswerOutcome::kRefused,
                                        "not theirs")));
  EXPECT_FALSE(ok(store_->record_answer("no-such-key", ods(kGp), AnswerOutcome::kRefused, "x")));
  EXPECT_EQ(ok(store_->outbox_entry(ids[0]))->state, OutboxState::kDelivered);

  auto was = ok(store_->record_answer(first.idempotency_key, ods(kGp), AnswerOutcome::kAccepted,
                                      "ITK3 response ok: 20013"));
  ASSERT_TRUE(was);
  EXPECT_EQ(was->id, ids[0]);
  EXPECT_EQ(ok(store_->outbox_entry(ids[0]))->state, OutboxState::kDelivered);

  ok(store_->record_answer(first.idempotency_key, ods(kGp), AnswerOutcome::kRefused,
                           "ITK3 response fatal-error: 20009"));
  const auto dead = ok(store_->outbox_entry(ids[0]));
  EXPECT_EQ(dead->state, OutboxState::kDead);
  EXPECT_EQ(dead->last_error, "ITK3 response fatal-error: 20009");
  EXPECT_EQ(ok(store_->dead_letters(DeadLetterFilter{})).size(), 1U);

  ok(store_->record_answer(second.idempotency_key, ods(kGp), AnswerOutcome::kRetry,
                           "ITK3 response transient-error: 10002"));
  const auto again = ok(store_->outbox_entry(ids[1]));
  EXPECT_EQ(again->state, OutboxState::kReady);
  EXPECT_EQ(due_payloads(), std::vector<std::string>{"m2"});
  // An answer to a message that is no longer delivered (dead now) changes nothing.
  ok(store_->record_answer(first.idempotency_key, ods(kGp), AnswerOutcome::kRetry, "late"));
  EXPECT_EQ(ok(store_->outbox_entry(ids[0]))->state, OutboxState::kDead);
}

TEST_F(MessageStoreTest, DiscardRecordsWhyAndWho) {
  auto ids = queue({outbound(kRecipient, "", "x")});
  EXPECT_EQ(ok(store_->discard(ids, "wrong recipient", "operator-2")), 0U);  // not dead yet
  fail(ids[0], std::nullopt);
  EXPECT_EQ(outcome(store_->discard(ids, "", "operator-2")), "bad_request");
  EXPECT_EQ(ok(store_->discard(ids, "wrong recipient", "operator-2")), 1U);
  auto e = ok(store_->outbox_entry(ids[0]));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->state, OutboxState::kDiscarded);
  EXPECT_EQ(e->discard_reason, "wrong recipient");
  EXPECT_EQ(e->discarded_by, "operator-2");
  EXPECT_EQ(ok(store_->replay(ids, "operator-2")), 0U);
}

TEST_F(MessageStoreTest, MailboxIsFetchedInOrderAndAcknowledged) {
  auto ids = queue({outbound(kOther, "9990000018", "m1", TransportKind::kMailbox),
                    outbound(kOther, "9990000018", "m2", TransportKind::kMailbox),
                    outbound(kOther, "9990000026", "m3", TransportKind::kMailbox)});
  EXPECT_TRUE(due_payloads().empty());  // the push worker never takes mailbox messages
  auto got = ok(store_->mailbox_fetch(ods(kOther), 10));
  ASSERT_EQ(got.size(), 3U);
  EXPECT_EQ(got[0].payload, "m1");
  EXPECT_EQ(got[1].payload, "m2");
  EXPECT_EQ(ok(store_->mailbox_ack(ods(kRecipient), {ids[0]})), 0U);  // not theirs
  EXPECT_EQ(ok(store_->mailbox_ack(ods(kOther), {ids[0], ids[1]})), 2U);
  EXPECT_EQ(ok(store_->mailbox_ack(ods(kOther), {ids[0]})), 0U);  // twice is harmless
  got = ok(store_->mailbox_fetch(ods(kOther), 10));
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].payload, "m3");
}

TEST_F(MessageStoreTest, QueueFiguresPerRecipient) {
  auto ids = queue({outbound(kRecipient, "a", "1")});
  clock_.advance(seconds(10));
  queue({outbound(kRecipient, "b", "2"), outbound(kOther, "a", "3")});
  fail(ids[0], std::nullopt);
  auto qs = ok(store_->queues());
  ASSERT_EQ(qs.size(), 2U);
  for (const auto& q : qs) {
    if (q.recipient.str() == kRecipient) {
      EXPECT_EQ(q.queued, 1);
      EXPECT_EQ(q.dead, 1);
      ASSERT_TRUE(q.oldest_queued_at);
      EXPECT_EQ(*q.oldest_queued_at, clock_.now());
    } else {
      EXPECT_EQ(q.queued, 1);
      EXPECT_EQ(q.dead, 0);
    }
  }
}

TEST_F(MessageStoreTest, PurgeRemovesOnlyFinishedRows) {
  auto ids = queue({outbound(kRecipient, "a", "1"), outbound(kRecipient, "b", "2")});
  deliver(ids[0]);
  clock_.advance(seconds(60));
  EXPECT_EQ(ok(store_->purge_finished(clock_.now())), 1U);
  EXPECT_FALSE(ok(store_->outbox_entry(ids[0])));
  EXPECT_EQ(ok(store_->outbox_entry(ids[1]))->payload, "2");
  auto db = ok(sqlite::open_store_database(dir_.file("data")));  // the payload went with its row
  EXPECT_EQ(ok(db.query_int64("SELECT count(*) FROM outbox_payload")), 1);
}

TEST_F(MessageStoreTest, AVersion5DatabaseWithQueuedMessagesUpgradesAndDeliversThem) {
  // A database as caregw left it before migration 7 (here: at 5): payloads in the outbox rows; one
  // patient's line with a message being delivered and one behind it, a dead letter and a delivered
  // one.
  const auto data = dir_.file("v5");
  {
    auto db =
        ok(sqlite::open_database_in(data, "caregw.db", sqlite::store_migrations().first(5), {}));
    ok(db.exec(
        "INSERT INTO outbox (id, recipient_ods, transport, patient_key, idempotency_key, kind, "
        "content_type, payload, state, attempts, queued_at, next_attempt_at, last_error, "
        "finished_at, format) VALUES "
        "(1, 'Y90001', 'https', '9990000018', 'k1', 'adt', 'application/fhir+json', 'first', "
        "'ready', 2, 0, 0, 'HTTP 503', NULL, 'fhir-r4'), "
        "(2, 'Y90001', 'https', '9990000018', 'k2', 'adt', 'application/fhir+json', 'second', "
        "'waiting', 0, 1, 1, NULL, NULL, 'fhir-r4'), "
        "(3, 'Y90001', 'https', '9990000026', 'k3', 'adt', 'application/fhir+json', 'poison', "
        "'dead', 10, 2, 2, 'HTTP 400', NULL, ''), "
        "(4, 'Y90001', 'https', '9990000034', 'k4', 'adt', 'application/fhir+json', 'done', "
        "'delivered', 1, 3, 3, NULL, 5, '')"));
  }
  auto store = ok(SqliteMessageStore::open_in_data_dir(data, clock_));
  {
    auto db = ok(sqlite::open_store_database(data));
    EXPECT_EQ(ok(sqlite::schema_version(db)), 7);
    EXPECT_EQ(ok(db.query_int64("SELECT count(*) FROM pragma_table_info('outbox') "
                                "WHERE name = 'payload'")),
              0);
    EXPECT_EQ(outcome(db.exec("UPDATE outbox_payload SET payload = 'changed'")), "conflict");
  }
  auto due = ok(store->due(clock_.now(), 10));
  ASSERT_EQ(due.size(), 1U);
  EXPECT_EQ(due[0].payload, "first");
  EXPECT_EQ(due[0].idempotency_key, "k1");
  EXPECT_EQ(due[0].attempts, 2);
  EXPECT_EQ(due[0].last_error, "HTTP 503");
  EXPECT_EQ(due[0].format, "fhir-r4");
  ok(store->record_outcomes({DeliveryOutcome{due[0].id, true, "", std::nullopt, clock_.now()}}));
  due = ok(store->due(clock_.now(), 10));
  ASSERT_EQ(due.size(), 1U);
  EXPECT_EQ(due[0].payload, "second");  // the line moved on, in order
  auto dead = ok(store->dead_letters(DeadLetterFilter{}));
  ASSERT_EQ(dead.size(), 1U);
  EXPECT_EQ(dead[0].payload, "poison");
  EXPECT_EQ(ok(store->outbox_entry(OutboxId{4}))->payload, "done");
  // New messages queue behind the upgraded line and keep their own payloads.
  auto ids = ok(store->enqueue({outbound(kRecipient, "9990000018", "third")}));
  EXPECT_EQ(ok(store->outbox_entry(ids[0]))->state, OutboxState::kWaiting);
  EXPECT_EQ(ok(store->outbox_entry(ids[0]))->payload, "third");
}

TEST_F(MessageStoreTest, QueuedMessagesSurviveReopening) {
  auto ids = queue({outbound(kRecipient, "a", "1"), outbound(kRecipient, "a", "2")});
  reopen();
  EXPECT_EQ(due_payloads(), std::vector<std::string>{"1"});
  deliver(ids[0]);
  reopen();
  EXPECT_EQ(due_payloads(), std::vector<std::string>{"2"});
}

TEST_F(MessageStoreTest, RetentionRemovesOldBodiesYetARepeatIsStillAnsweredAsBefore) {
  const std::string body = "MSH|^~\\&|PAS|RZZ01|old message";
  auto old = ok(store_->journal(inbound("OLD1", body)));
  const Acknowledgement ack{"x-application/hl7-v2+er7", "MSA|AA|OLD1"};
  (void)ok(store_->complete(old.entry.id, ack, {}));
  auto old_failed = ok(store_->journal(inbound("OLD2")));
  ok(store_->fail(old_failed.entry.id, "unknown code", std::nullopt));
  auto waiting = ok(store_->journal(inbound("OLD3")));  // never finished: must stay whole
  clock_.advance(std::chrono::hours(24 * 40));
  auto recent = ok(store_->journal(inbound("NEW1")));
  (void)ok(store_->complete(recent.entry.id, ack, {}));

  EXPECT_EQ(ok(store_->remove_bodies(clock_.now() - std::chrono::hours(24 * 30))), 2U);
  const auto e = ok(store_->journal_entry(old.entry.id));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->body, "");
  EXPECT_EQ(e->body_removed_at, clock_.now());
  EXPECT_EQ(e->body_bytes, body.size());
  EXPECT_EQ(e->sha256, sha256_hex(body));  // what was received can still be proven
  EXPECT_TRUE(ok(store_->journal_entry(old_failed.entry.id))->body_removed_at);
  EXPECT_EQ(ok(store_->journal_entry(waiting.entry.id))->body, inbound("x").body);
  EXPECT_FALSE(ok(store_->journal_entry(recent.entry.id))->body_removed_at);
  // A repeat of the old message is still a repeat, answered with its first acknowledgement.
  auto repeat = ok(store_->journal(inbound("OLD1", body)));
  EXPECT_TRUE(repeat.duplicate);
  ASSERT_TRUE(repeat.entry.ack);
  EXPECT_EQ(repeat.entry.ack->body, ack.body);
  // Nothing left to remove; and the bytes of a kept message cannot be changed by hand.
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(ok(store_->remove_bodies(clock_.now())), 1U);  // NEW1, now past the cut-off
  auto db = ok(sqlite::open_store_database(dir_.file("data")));
  EXPECT_FALSE(db.exec("UPDATE journal SET body = 'edited' WHERE id = " +
                       std::to_string(waiting.entry.id.value)));
}

TEST_F(MessageStoreTest, AFailedMessageCanBeReopenedOnceForProcessingAgain) {
  auto failed = ok(store_->journal(inbound("F1")));
  ok(store_->fail(failed.entry.id, "unknown code XYZ",
                  Acknowledgement{"x-application/hl7-v2+er7", "MSA|AR|F1"}));
  clock_.advance(std::chrono::minutes(5));
  auto again = ok(store_->reopen(failed.entry.id, "operator1"));
  EXPECT_EQ(again.status, JournalStatus::kReceived);
  EXPECT_EQ(again.body, inbound("x").body);
  EXPECT_EQ(again.reprocessed, 1);
  EXPECT_EQ(again.reprocessed_by, "operator1");
  EXPECT_EQ(again.reprocessed_at, clock_.now());
  EXPECT_FALSE(again.ack);
  EXPECT_EQ(ok(store_->unfinished(10)), std::vector<JournalId>{failed.entry.id});
  // Now it can be completed, and queues what it routes.
  EXPECT_EQ(
      ok(store_->complete(failed.entry.id, std::nullopt, {outbound(kRecipient, "9990000018", "p")}))
          .size(),
      1U);
  EXPECT_EQ(outcome(store_->reopen(failed.entry.id, "operator1")), "conflict");  // processed
  EXPECT_EQ(outcome(store_->reopen(JournalId{999}, "operator1")), "not_found");
  EXPECT_EQ(outcome(store_->reopen(failed.entry.id, "")), "bad_request");
  // One whose bytes the retention removed cannot be processed again.
  auto gone = ok(store_->journal(inbound("F2")));
  ok(store_->fail(gone.entry.id, "bad", std::nullopt));
  clock_.advance(std::chrono::hours(1));
  (void)ok(store_->remove_bodies(clock_.now()));
  EXPECT_EQ(outcome(store_->reopen(gone.entry.id, "operator1")), "conflict");
}

TEST_F(MessageStoreTest, JournalPagesFilterByStatusAndSenderWithoutBodies) {
  auto a = ok(store_->journal(inbound("P1")));
  ok(store_->fail(a.entry.id, "bad", std::nullopt));
  auto b = ok(store_->journal(inbound("P2")));
  (void)ok(store_->complete(b.entry.id, std::nullopt, {}));
  auto c = ok(store_->journal(InboundMessage{ods(kGp), "emis", "P3", "application/xml", "<x/>"}));
  ok(store_->fail(c.entry.id, "bad too", std::nullopt));

  auto failed = ok(store_->journal_entries(JournalFilter{JournalStatus::kFailed}));
  ASSERT_EQ(failed.size(), 2U);
  EXPECT_EQ(failed[0].id, a.entry.id);
  EXPECT_EQ(failed[1].id, c.entry.id);
  EXPECT_EQ(failed[0].body, "");  // pages do not carry bodies
  EXPECT_EQ(failed[0].body_bytes, inbound("x").body.size());
  EXPECT_EQ(failed[1].error, "bad too");
  auto from_gp = ok(store_->journal_entries(JournalFilter{JournalStatus::kFailed, ods(kGp)}));
  ASSERT_EQ(from_gp.size(), 1U);
  EXPECT_EQ(from_gp[0].id, c.entry.id);
  auto page = ok(store_->journal_entries(JournalFilter{std::nullopt, std::nullopt, a.entry.id, 1}));
  ASSERT_EQ(page.size(), 1U);
  EXPECT_EQ(page[0].id, b.entry.id);
  EXPECT_EQ(outcome(store_->journal_entries(JournalFilter{std::nullopt, std::nullopt, {}, 0})),
            "bad_request");
}

TEST_F(MessageStoreTest, HotStatementsUseIndexes) {
  auto db = ok(sqlite::open_store_database(dir_.file("data")));
  namespace sql = sqlite::message_sql;
  const auto failed_page = sql::journal_page_sql(JournalFilter{JournalStatus::kFailed});
  const auto sender_page = sql::journal_page_sql(JournalFilter{std::nullopt, ods(kAcute)});
  for (auto statement : {sql::kJournalInsert,
                         sql::kJournalBySenderId,
                         sql::kJournalById,
                         sql::kJournalUnfinished,
                         sql::kLineLive,
                         sql::kOutboxInsert,
                         sql::kPayloadInsert,
                         sql::kDue,
                         sql::kDueIds,
                         sql::kNextDue,
                         sql::kPromote,
                         sql::kPromoteAfter,
                         sql::kOutboxById,
                         sql::kFinishDelivered,
                         sql::kFinishDead,
                         sql::kMailboxFetch,
                         sql::kDeadByRecipient,
                         sql::kDeadAll,
                         sql::kOldestQueued,
                         sql::kPurge,
                         sql::kJournalRemoveBodies,
                         std::string_view(failed_page),
                         std::string_view(sender_page)}) {
    const auto plan = ok(sqlite::explain_query_plan(db, statement));
    std::cout << "[ plan ] " << statement << "\n";
    for (const auto& line : plan) {
      std::cout << "           " << line << "\n";
    }
    for (const auto& line : plan) {
      // "SCAN t USING INDEX i" walks a (partial) index in order; a bare "SCAN t" reads the table.
      const bool table_scan =
          line.rfind("SCAN ", 0) == 0 && line.find(" USING ") == std::string::npos;
      EXPECT_FALSE(table_scan) << statement << "\n  " << line;
    }
  }
}

}  // namespace
}  // namespace gw::store::test
