#include "gateway/audit/record.hpp"

#include <gtest/gtest.h>

#include "gateway/audit/chain.hpp"
#include "gateway/audit/sqlite/audit_store.hpp"
#include "tests/unit/audit/audit_test_support.hpp"

namespace gw::audit {
namespace {

using test::read_record;
using test::test_nhs;

AuditRecord fixed_record() {
  AuditRecord r = read_record("9990000018");
  r.seq = 42;
  r.recorded_us = 1'790'000'000'123'456;
  r.node_id = "node-a";
  r.withheld = {"sexual-health", "safeguarding"};
  r.correlation_id = "corr-9";
  r.related_seq = 7;
  return r;
}

TEST(AuditRecordTest, CanonicalEncodingIsStable) {
  // Pinned: a change here breaks every stored chain. A new layout needs a new version byte.
  const std::string bytes = canonical_bytes(fixed_record());
  EXPECT_EQ(bytes.size(), 522U);
  EXPECT_EQ(sha256_hex(bytes), "f8d2713b596870e6a7952a38816259ac8d4c4bb5f7e0f59fe240fc47adf9aaea");
}

TEST(AuditRecordTest, CanonicalEncodingOpensWithVersionAndBigEndianSeq) {
  const std::string bytes = canonical_bytes(fixed_record());
  ASSERT_GE(bytes.size(), 9U);
  EXPECT_EQ(bytes[0], '\x01');
  EXPECT_EQ(bytes.substr(1, 8), std::string("\0\0\0\0\0\0\0\x2a", 8));
}

TEST(AuditRecordTest, EveryFieldChangesTheEncoding) {
  const AuditRecord base = fixed_record();
  const std::string b = canonical_bytes(base);
  std::vector<AuditRecord> variants(20, base);
  variants[0].seq = 43;
  variants[1].recorded_us += 1;
  variants[2].node_id = "node-b";
  variants[3].type = EventType::kRecordSearch;
  variants[4].outcome = Outcome::kMinorFailure;
  variants[5].decision = Decision::kDeny;
  variants[6].user_name = "Dr Bea Testwell";
  variants[7].org_ods = "Z9A01";
  variants[8].purpose_of_use = "ETREAT";
  variants[9].nhs_number = test_nhs(3);
  variants[10].disclosed[0].sha256_hex = std::string(64, 'c');
  variants[11].withheld.pop_back();
  variants[12].dsa_version = "4";
  variants[13].break_glass_reason = "unconscious in ED";
  variants[14].request_id = "req-0002";
  variants[15].source_address = "192.0.2.11";
  variants[16].message_id = "msg-1";
  variants[17].peer_ods = "Z9S01";
  variants[18].detail = "x";
  variants[19].related_seq = 8;
  for (std::size_t i = 0; i < variants.size(); ++i) {
    EXPECT_NE(canonical_bytes(variants[i]), b) << "variant " << i;
  }
  // Length prefixes: moving a byte from one field to the next is a different encoding.
  AuditRecord a = base, c = base;
  a.user_id = "ab";
  a.user_name = "c";
  c.user_id = "a";
  c.user_name = "bc";
  EXPECT_NE(canonical_bytes(a), canonical_bytes(c));
}

TEST(AuditRecordTest, TheWriterReadsEveryColumnBackFromTheCanonicalBody) {
  AuditRecord r = read_record(test_nhs(4), "gp-7", "Z90001");
  r.seq = 41;
  r.recorded_us = -5;  // before 1970: two's complement survives the round trip
  r.withheld = {"sexual-health", "safeguarding"};
  r.break_glass_reason = "unconscious";
  r.correlation_id = "corr-1";
  r.message_id = "msg-1";
  r.peer_ods = "Z9A01";
  r.detail = "a detail";
  r.related_seq = 7;
  const std::string body = canonical_body(r);
  const auto c = body_columns(body);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->recorded_us, -5);
  EXPECT_EQ(c->head, (std::array<std::string_view, 11>{
                         "", "record-read", "0", "permit", "gp-7", "Dr Ada Testwell",
                         "R8000 Clinical Practitioner", "Z90001", "CN=Z90001,O=caregw dev", "TREAT",
                         r.nhs_number}));
  EXPECT_EQ(c->tail, (std::array<std::string_view, 10>{
                         "dsa-borough-direct-care", "3", "gp-read-all", "unconscious", "req-0001",
                         "corr-1", "192.0.2.10", "msg-1", "Z9A01", "a detail"}));
  EXPECT_EQ(c->related_seq, 7U);
  // Cut short anywhere, or with bytes left over: refused, never read past the end.
  for (std::size_t n : {std::size_t{0}, std::size_t{7}, body.size() / 2, body.size() - 1}) {
    EXPECT_FALSE(body_columns(std::string_view(body).substr(0, n))) << n;
  }
  EXPECT_FALSE(body_columns(body + "x"));
  // The writer's hash over (seq, body) is the chain hash of the canonical bytes.
  Hash prev{};
  prev[3] = 9;
  EXPECT_EQ(chain_hash(prev, 41, body), chain_hash(prev, canonical_bytes(r)));
  EXPECT_NE(chain_hash(prev, 42, body), chain_hash(prev, canonical_bytes(r)));
}

TEST(AuditRecordTest, EventTypesRoundTripAndHaveBalpCodes) {
  for (auto t : all_event_types()) {
    EXPECT_EQ(parse_event_type(event_type_name(t)), t);
    EXPECT_FALSE(event_codes(t).type.code.empty());
  }
  EXPECT_EQ(event_codes(EventType::kBreakGlass).type.code, "110113");
  EXPECT_EQ(event_codes(EventType::kBreakGlass).subtype.code, "110127");
  EXPECT_EQ(event_codes(EventType::kRecordRead).subtype.code, "read");
  EXPECT_EQ(event_codes(EventType::kRecordRead).action, 'R');
  EXPECT_FALSE(parse_event_type("no-such-event"));
}

TEST(AuditRecordTest, ValidateRefusesBadFieldsWithoutEchoingThem) {
  AuditRecord r = read_record(test_nhs(1));
  EXPECT_TRUE(validate_record(r));
  r.nhs_number = "9990000019";  // wrong check digit
  auto bad = validate_record(r);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kBadRequest);
  EXPECT_EQ(bad.error().detail.find("9990000019"), std::string::npos);
  r = read_record(test_nhs(1));
  r.disclosed[0].sha256_hex = "abc";
  EXPECT_FALSE(validate_record(r));
  r = read_record(test_nhs(1));
  r.detail = "line\nbreak";
  EXPECT_FALSE(validate_record(r));
  r.detail = std::string("\xff\xfe", 2);
  EXPECT_FALSE(validate_record(r));
  r.detail = "caf\xc3\xa9 ok";
  EXPECT_TRUE(validate_record(r));
}

// Text is checked eight bytes at a time where it is plain printable ASCII: a bad byte must be
// found wherever it sits in a long field, and tabs and UTF-8 must still pass.
TEST(AuditRecordTest, ValidateFindsABadByteAnywhereInALongField) {
  const std::string plain = "Ward 7 (Riverside) - seen by the duty doctor, notes follow ~";
  AuditRecord r = read_record(test_nhs(1));
  for (std::size_t at = 0; at < plain.size(); ++at) {
    for (const char bad : {'\x01', '\n', '\x1f', '\x7f', '\xff'}) {
      r.detail = plain;
      r.detail[at] = bad;
      EXPECT_FALSE(validate_record(r)) << "byte " << static_cast<int>(bad) << " at " << at;
    }
    r.detail = plain;
    r.detail[at] = '\t';
    EXPECT_TRUE(validate_record(r)) << "tab at " << at;
    r.detail = plain.substr(0, at) + "caf\xc3\xa9" + plain.substr(at);
    EXPECT_TRUE(validate_record(r)) << "UTF-8 at " << at;
  }
  r = read_record(test_nhs(1));
  const std::string digest = r.disclosed[0].sha256_hex;
  for (std::size_t at = 0; at < digest.size(); ++at) {
    for (const char bad : {'A', 'g', 'F', '/', ':', '`'}) {
      r.disclosed[0].sha256_hex = digest;
      r.disclosed[0].sha256_hex[at] = bad;
      EXPECT_FALSE(validate_record(r)) << bad << " at " << at;
    }
  }
}

// A kept shared-record answer's audit records carry its disclosed list prepared once: checked
// and encoded as the plain list would be, so the chain and the stored columns are the same.
TEST(AuditRecordTest, APreparedDisclosedListIsRecordedExactlyAsThePlainOne) {
  const AuditRecord plain = read_record(test_nhs(1));
  ASSERT_FALSE(plain.disclosed.empty());
  AuditRecord prepared = plain;
  prepared.prepared_disclosed = test::ok(prepare_disclosures(prepared.disclosed));
  prepared.disclosed.clear();
  EXPECT_TRUE(validate_record(prepared));
  EXPECT_EQ(canonical_body(prepared), canonical_body(plain));
  EXPECT_EQ(disclosed_json(prepared), disclosed_json(plain));
  AuditRecord both = prepared;  // two lists: which one was disclosed?
  both.disclosed = plain.disclosed;
  EXPECT_FALSE(validate_record(both));
  auto bad = plain.disclosed;
  bad[0].sha256_hex = "not-a-digest";
  EXPECT_FALSE(prepare_disclosures(bad));
}

TEST(AuditRecordTest, TimesFormatAndParse) {
  const auto us = test::ok(parse_time_utc("2026-11-26T13:20:00.123456Z"));
  EXPECT_EQ(format_time_utc(us), "2026-11-26T13:20:00.123456Z");
  EXPECT_EQ(test::ok(parse_time_utc("2026-11-26")),
            test::ok(parse_time_utc("2026-11-26T00:00:00Z")));
  EXPECT_EQ(test::ok(parse_time_utc("2026-06-01T10:00:00+01:00")),
            test::ok(parse_time_utc("2026-06-01T09:00:00Z")));
  EXPECT_EQ(test::ok(parse_time_utc("1970-01-01T00:00:01Z")), 1'000'000);
  EXPECT_FALSE(parse_time_utc("26/11/2026"));
  EXPECT_FALSE(parse_time_utc("2026-13-01"));
}

}  // namespace
}  // namespace gw::audit
