#include "gateway/audit/export.hpp"

#include <map>

#include <gtest/gtest.h>

#include "gateway/fhir/json.hpp"
#include "tests/unit/audit/audit_test_support.hpp"

namespace gw::audit {
namespace {

using test::ok;
using test::read_record;
using test::test_nhs;

class AuditExportTest : public test::LogFixture {
protected:
  void SetUp() override {
    log_ = open();
    AuditRecord a = read_record(test_nhs(1));
    a.withheld = {"sexual-health", "safeguarding"};
    a.decision = Decision::kPermitRedacted;
    a.detail = "=HYPERLINK(\"http://example.invalid\"), with \"quotes\", commas";
    AuditRecord b = read_record(test_nhs(2), "para-7", "Z9L01");
    b.type = EventType::kBreakGlass;
    b.decision = Decision::kBreakGlass;
    b.purpose_of_use = "ETREAT";
    b.break_glass_reason = "patient unconscious; no GP relationship";
    b.user_name = "Sam O'Test";
    AuditRecord c;
    c.type = EventType::kMessageDelivered;
    c.message_id = "msg-123";
    c.peer_ods = "Z9S01";
    c.correlation_id = "corr-1";
    c.org_ods = "Z9A01";
    c.client_system = "CN=Z9A01,O=caregw dev";
    c.nhs_number = test_nhs(3);
    c.detail = "attempt 2";
    AuditRecord d;
    d.type = EventType::kBreakGlassReview;
    d.user_id = "ig-lead";
    d.related_seq = 2;
    d.detail = "-appropriate: seen in ED";
    for (auto* r : {&a, &b, &c, &d}) {
      (void)ok(log_->append_sync(*r));
    }
    page_ = ok(log_->query({}, {}));
    ASSERT_EQ(page_.records.size(), 4U);
  }
  std::unique_ptr<AuditLog> log_;
  Page page_;
};

TEST_F(AuditExportTest, CsvRoundTripIsExact) {
  std::string csv = csv_header();
  for (const auto& r : page_.records) {
    csv += csv_row(r);
  }
  auto back = ok(read_csv(csv));
  ASSERT_EQ(back.size(), page_.records.size());
  for (std::size_t i = 0; i < back.size(); ++i) {
    EXPECT_EQ(back[i].record, page_.records[i].record) << "record " << i + 1;
    EXPECT_EQ(back[i].hash, page_.records[i].hash);
  }
  // Each row still proves itself against the chain.
  Hash prev = kGenesisHash;
  for (const auto& s : back) {
    prev = chain_hash(prev, canonical_bytes(s.record));
    EXPECT_EQ(prev, s.hash);
  }
}

TEST_F(AuditExportTest, CsvCellsCannotRunAsSpreadsheetFormulas) {
  const std::string row = csv_row(page_.records[0]);
  EXPECT_EQ(row.find(",=HYPERLINK"), std::string::npos);
  EXPECT_EQ(row.find(",\"=HYPERLINK"), std::string::npos);
  EXPECT_NE(row.find("'=HYPERLINK"), std::string::npos);
  EXPECT_FALSE(read_csv("seq,oops\r\n1,2\r\n"));
  EXPECT_FALSE(read_csv(csv_header() + "1,\"unclosed\r\n"));
}

TEST_F(AuditExportTest, AuditEventBundleRoundTripIsExact) {
  Page p = page_;
  p.next_cursor = "abc";
  const std::string json = audit_bundle_json(p, "https://gw.example/fhir/AuditEvent?user=x");
  auto back = ok(read_audit_event_bundle(json));
  ASSERT_EQ(back.size(), page_.records.size());
  for (std::size_t i = 0; i < back.size(); ++i) {
    EXPECT_EQ(back[i].record, page_.records[i].record) << "record " << i + 1;
    EXPECT_EQ(back[i].hash, page_.records[i].hash);
  }
  auto doc = ok(fhir::parse_json(json));
  EXPECT_STREQ(doc["type"].GetString(), "searchset");
  EXPECT_STREQ(doc["link"][1]["relation"].GetString(), "next");
  EXPECT_STREQ(doc["link"][1]["url"].GetString(),
               "https://gw.example/fhir/AuditEvent?user=x&_cursor=abc");
}

TEST_F(AuditExportTest, AuditEventIsBalpShaped) {
  auto doc = ok(fhir::parse_json(audit_event_json(page_.records[1])));
  EXPECT_STREQ(doc["resourceType"].GetString(), "AuditEvent");
  // The FHIR break-glass example: DCM 110113 Security Alert / 110127 Emergency Override Started
  // (shared/reference/hl7-fhir-build-auditevent/auditevent-example-breakglass-start.xml).
  EXPECT_STREQ(doc["type"]["code"].GetString(), "110113");
  EXPECT_STREQ(doc["subtype"][0]["code"].GetString(), "110127");
  EXPECT_STREQ(doc["purposeOfEvent"][0]["coding"][0]["code"].GetString(), "ETREAT");
  EXPECT_STREQ(doc["outcome"].GetString(), "0");
  // BALP PatientRead: a user agent that is the requestor, and a patient entity (type 1, role 1).
  const auto& user = doc["agent"][0];
  EXPECT_STREQ(user["type"]["coding"][0]["code"].GetString(), "IRCP");
  EXPECT_TRUE(user["requestor"].GetBool());
  const auto& patient = doc["entity"][0];
  EXPECT_STREQ(patient["type"]["code"].GetString(), "1");
  EXPECT_STREQ(patient["role"]["code"].GetString(), "1");
  EXPECT_STREQ(patient["what"]["identifier"]["system"].GetString(),
               "https://fhir.nhs.uk/Id/nhs-number");
  // A read: restful-interaction read; disclosed items as data entities with their digests.
  auto read = ok(fhir::parse_json(audit_event_json(page_.records[0])));
  EXPECT_STREQ(read["subtype"][0]["code"].GetString(), "read");
  EXPECT_STREQ(read["action"].GetString(), "R");
  EXPECT_STREQ(read["entity"][1]["what"]["reference"].GetString(), "MedicationStatement/ms-1");
  EXPECT_STREQ(read["entity"][1]["detail"][0]["type"].GetString(), "sha256");
}

TEST_F(AuditExportTest, AReviewCarriesItsOutcomeAndNoteAndAnEndedBreakGlassIsStopped) {
  AuditRecord review;
  review.type = EventType::kBreakGlassReview;
  review.user_id = "ig-lead";
  review.related_seq = 2;
  review.detail = "follow-up: check the crew's incident log";
  const auto seq = ok(log_->append_sync(review));
  auto doc = ok(fhir::parse_json(audit_event_json(ok(log_->get(seq)))));
  std::map<std::string, std::string> ext;
  for (const auto& e : doc["extension"].GetArray()) {
    ext[e["url"].GetString()] = e["valueString"].GetString();
  }
  EXPECT_EQ(ext["urn:caregw:audit:review-outcome"], "follow-up");
  EXPECT_EQ(ext["urn:caregw:audit:review-note"], "check the crew's incident log");
  EXPECT_EQ(ext["urn:caregw:audit:related-seq"], "2");
  // The FHIR break-glass stop: DCM 110138 Emergency Override Stopped.
  AuditRecord closed = read_record(test_nhs(2), "para-7", "Z9L01");
  closed.type = EventType::kBreakGlassClose;
  closed.disclosed.clear();
  auto stop = ok(fhir::parse_json(audit_event_json(ok(log_->get(ok(log_->append_sync(closed)))))));
  EXPECT_STREQ(stop["subtype"][0]["code"].GetString(), "110138");
  EXPECT_STREQ(stop["subtype"][1]["code"].GetString(), "break-glass-close");
}

TEST_F(AuditExportTest, TableHasOneLinePerRecord) {
  const std::string t = render_table(page_.records);
  EXPECT_EQ(std::count(t.begin(), t.end(), '\n'), 5);
  EXPECT_NE(t.find("break-glass"), std::string::npos);
}

}  // namespace
}  // namespace gw::audit
