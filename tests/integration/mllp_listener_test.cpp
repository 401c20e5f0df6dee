// The MLLP over TLS listener: HL7 v2 senders known by their client certificate, framing across
// reads, several messages per connection answered in order, each journalled before its ACK,
// a repeat answered as before, an oversized frame refused with a NAK and the connection carrying
// on, unframed bytes dropped, and unknown senders refused. The HL7 v2 adapter here is a small
// stand-in that reads MSH-10 and answers MSA (the real one is adapters/hl7v2).
#include <gtest/gtest.h>

#include "gateway/audit/audit_log.hpp"
#include "gateway/ingest/adapter_set.hpp"
#include "gateway/ingest/ingest.hpp"
#include "gateway/store/sqlite/sqlite_message_store.hpp"
#include "gateway/store/sqlite/sqlite_mpi_repository.hpp"
#include "gateway/store/sqlite/sqlite_record_store.hpp"
#include "tests/support/running_server.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_env.hpp"
#include "tests/support/tls_client.hpp"

namespace gw::test {
namespace {

/** field: the n-th '|' field of the first segment (MSH-1 is the separator, so MSH-10 is [9]). */
std::string msh_field(std::string_view msg, std::size_t n) {
  const auto seg = msg.substr(0, msg.find('\r'));
  std::size_t start = 0;
  for (std::size_t i = 0; i < n; ++i) {
    start = seg.find('|', start);
    if (start == std::string_view::npos) {
      return {};
    }
    ++start;
  }
  const auto end = seg.find('|', start);
  return std::string(seg.substr(start, end == std::string_view::npos ? end : end - start));
}

/** A stand-in for the HL7 v2 adapter: ids from MSH-10, no patient, ACK with MSA. */
class StandInHl7 final : public ingest::InboundAdapter {
public:
  [[nodiscard]] std::string_view name() const override { return "hl7v2"; }
  [[nodiscard]] std::string_view ack_content_type() const override {
    return "x-application/hl7-v2+er7";
  }
  [[nodiscard]] std::string message_id(std::string_view body) const override {
    return body.starts_with("MSH|") ? msh_field(body, 9) : std::string();
  }
  [[nodiscard]] Result<ingest::TranslatedMessage> translate(const OdsCode&, std::string_view body,
                                                            const mapping::Mapper&) const override {
    if (!body.starts_with("MSH|")) {
      return make_error(Errc::kBadRequest, "MSH: the message does not start with MSH");
    }
    ingest::TranslatedMessage m;
    m.kind = "adt";
    m.event = msh_field(body, 8);
    m.sender_message_id = message_id(body);
    return m;
  }
  [[nodiscard]] std::string acknowledge(std::string_view body,
                                        const ingest::AckRequest& ack) const override {
    const char* code = ack.code == ingest::AckRequest::Code::kAccepted ? "AA"
                       : ack.code == ingest::AckRequest::Code::kError  ? "AE"
                                                                       : "AR";
    return "MSH|^~\\&|CAREGW|CAREGW|||20261126||ACK|" + ack.ack_id + "|P|2.4\rMSA|" + code + "|" +
           message_id(body) + "\r";
  }
};

std::string a01(const std::string& id, std::size_t padding = 0) {
  return "MSH|^~\\&|PAS|Z9A01|CAREGW|CAREGW|20261126120000||ADT^A01|" + id + "|P|2.4\r" +
         "EVN|A01|20261126120000\r" + std::string(padding, 'Z');
}

std::string frame(const std::string& m) { return "\x0b" + m + "\x1c\r"; }

class MllpListenerTest : public ::testing::Test {
protected:
  void SetUp() override {
    const auto data = dir_.file("data");
    std::filesystem::create_directories(data);
    mpi_repo_ = std::move(*store::sqlite::SqliteMpiRepository::open_in_data_dir(data, clock_));
    records_ = std::move(*store::sqlite::SqliteRecordStore::open_in_data_dir(data, clock_));
    messages_ = std::move(*store::sqlite::SqliteMessageStore::open_in_data_dir(data, clock_));
    mpi_ = std::make_unique<identity::MpiService>(*mpi_repo_, identity::MpiSettings{});
    audit::AuditLogOptions ao;
    ao.data_dir = data;
    ao.node_id = "test-1";
    audit_ = std::move(*audit::AuditLog::open(ao, clock_));
    adapters_.add(std::make_unique<StandInHl7>());
    ingest_ = std::make_unique<ingest::Ingest>(ingest::IngestDeps{*messages_,
                                                                  *records_,
                                                                  *mpi_,
                                                                  clock_,
                                                                  [] { return ingest::Snapshot{}; },
                                                                  nullptr,
                                                                  audit_.get(),
                                                                  {},
                                                                  {}});
    std::string yaml = config_yaml("  max_body_bytes: 2048\n");
    const std::string mllp =
        "  - name: mllp\n"
        "    address: 127.0.0.1\n"
        "    port: 0\n"
        "    protocol: mllp\n";
    yaml.insert(yaml.find("limits:"), mllp);
    server_ = std::make_unique<RunningServer>(
        yaml, http::Reloader{},
        pipeline::Backends{mpi_.get(), nullptr, audit_.get(), ingest_.get(), &adapters_,
                           messages_.get()});
  }

  /** exchange: writes `bytes` and reads `acks` framed replies. */
  std::vector<std::string> exchange(const std::string& cert, const std::string& bytes,
                                    std::size_t acks) {
    TlsClient client(client_for(cert));
    std::vector<std::string> out;
    if (client.connect(server_->port("mllp"))) {
      ADD_FAILURE() << "cannot connect";
      return out;
    }
    if (client.write_raw(bytes)) {
      ADD_FAILURE() << "cannot write";
      return out;
    }
    for (std::size_t i = 0; i < acks; ++i) {
      std::string reply;
      if (client.read_until('\x1c', reply)) {
        break;
      }
      if (reply.starts_with('\r')) {
        reply.erase(0, 1);  // the CR ending the previous frame
      }
      out.push_back(reply);
    }
    return out;
  }

  TempDir dir_;
  SystemClock clock_;
  std::unique_ptr<store::sqlite::SqliteMpiRepository> mpi_repo_;
  std::unique_ptr<store::sqlite::SqliteRecordStore> records_;
  std::unique_ptr<store::sqlite::SqliteMessageStore> messages_;
  std::unique_ptr<identity::MpiService> mpi_;
  std::unique_ptr<audit::AuditLog> audit_;
  ingest::AdapterSet adapters_;
  std::unique_ptr<ingest::Ingest> ingest_;
  std::unique_ptr<RunningServer> server_;
};

TEST_F(MllpListenerTest, SeveralMessagesOnOneConnectionAreJournalledAndAcknowledgedInOrder) {
  const auto acks = exchange("Z9A01", frame(a01("M1")) + frame(a01("M2")) + frame(a01("M3")), 3);
  ASSERT_EQ(acks.size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(acks[i].front(), '\x0b');
    EXPECT_NE(acks[i].find("MSA|AA|M" + std::to_string(i + 1)), std::string::npos) << acks[i];
  }
  // Journalled as received, each under its MSH-10, from the certificate's organisation.
  auto again = messages_->journal(
      store::InboundMessage{*OdsCode::parse("Z9A01"), "hl7v2", "M2", "", a01("M2")});
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->entry.status, store::JournalStatus::kProcessed);
  EXPECT_EQ(again->entry.body, a01("M2"));
}

TEST_F(MllpListenerTest, ARepeatIsAnsweredWithTheRecordedAck) {
  const auto first = exchange("Z9A01", frame(a01("R1")), 1);
  ASSERT_EQ(first.size(), 1U);
  const auto repeat = exchange("Z9A01", frame(a01("R1")), 1);
  ASSERT_EQ(repeat.size(), 1U);
  EXPECT_EQ(repeat[0], first[0]);  // the recorded ACK, not a second processing
}

TEST_F(MllpListenerTest, AnOversizedFrameIsRefusedAndTheConnectionCarriesOn) {
  const auto acks =
      exchange("Z9A01", "junk before a frame" + frame(a01("BIG", 5000)) + frame(a01("OK1")), 2);
  ASSERT_EQ(acks.size(), 2U);
  EXPECT_NE(acks[0].find("MSA|AR|BIG"), std::string::npos) << acks[0];
  EXPECT_NE(acks[1].find("MSA|AA|OK1"), std::string::npos) << acks[1];
}

TEST_F(MllpListenerTest, AMessageTheAdapterCannotReadIsRejected) {
  const auto acks = exchange("Z9A01", frame("PID|1||nothing"), 1);
  ASSERT_EQ(acks.size(), 1U);
  EXPECT_NE(acks[0].find("MSA|AR|"), std::string::npos) << acks[0];
}

TEST_F(MllpListenerTest, ASenderWithoutAKnownCertificateGetsNothing) {
  EXPECT_TRUE(exchange("unknown-org", frame(a01("X1")), 1).empty());
  auto seen = messages_->journal(
      store::InboundMessage{*OdsCode::parse("Z9A01"), "hl7v2", "X1", "", a01("X1")});
  ASSERT_TRUE(seen);
  EXPECT_FALSE(seen->duplicate);  // it never reached the journal
}

}  // namespace
}  // namespace gw::test
