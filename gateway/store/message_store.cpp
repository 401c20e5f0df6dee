// The message store's codes, input checks, hashing and idempotency keys (OpenSSL EVP and RAND).
#include "gateway/store/message_store.hpp"

#include <array>
#include <chrono>
#include <cstdio>

#include <openssl/evp.h>
#include <openssl/rand.h>

namespace gw::store {
namespace {

constexpr char kHex[] = "0123456789abcdef";

Result<void> bounded(std::string_view what, std::string_view v, std::size_t max, bool required) {
  if ((required && v.empty()) || v.size() > max) {
    return make_error(Errc::kBadRequest, "message store: " + std::string(what) + " must be " +
                                             (required ? "1" : "0") + "-" + std::to_string(max) +
                                             " bytes");
  }
  return {};
}

}  // namespace

std::string_view journal_status_code(JournalStatus s) {
  switch (s) {
    case JournalStatus::kReceived:
      return "received";
    case JournalStatus::kProcessed:
      return "processed";
    case JournalStatus::kFailed:
      return "failed";
  }
  return "received";
}

std::string_view transport_kind_code(TransportKind t) {
  switch (t) {
    case TransportKind::kHttps:
      return "https";
    case TransportKind::kMllp:
      return "mllp";
    case TransportKind::kMailbox:
      return "mailbox";
  }
  return "https";
}

std::optional<TransportKind> parse_transport_kind(std::string_view s) {
  for (auto t : {TransportKind::kHttps, TransportKind::kMllp, TransportKind::kMailbox}) {
    if (transport_kind_code(t) == s) {
      return t;
    }
  }
  return std::nullopt;
}

std::string_view outbox_state_code(OutboxState s) {
  switch (s) {
    case OutboxState::kWaiting:
      return "waiting";
    case OutboxState::kReady:
      return "ready";
    case OutboxState::kDelivered:
      return "delivered";
    case OutboxState::kDead:
      return "dead";
    case OutboxState::kDiscarded:
      return "discarded";
  }
  return "ready";
}

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  // EVP_Digest with SHA-256 cannot fail on valid arguments short of memory exhaustion.
  if (EVP_Digest(bytes.data(), bytes.size(), md.data(), &len, EVP_sha256(), nullptr) != 1) {
    return std::string(64, '0');
  }
  std::string out;
  out.reserve(static_cast<std::size_t>(len) * 2);
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xF]);
  }
  return out;
}

Result<std::string> new_idempotency_key() {
  std::array<unsigned char, 16> b{};
  if (RAND_bytes(b.data() + 6, static_cast<int>(b.size() - 6)) != 1) {
    return make_error(Errc::kInternal, "message store: the random generator failed");
  }
  // Version 7 (RFC 9562 5.7): the Unix time in milliseconds, big-endian, in the first 48 bits,
  // then 74 random bits. Keys made later sort later, so the outbox's unique index on them grows
  // at one end: a batch of queued messages touches a few index pages, not one page each as
  // random (version 4) keys did.
  const auto ms =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  for (int i = 0; i < 6; ++i) {
    b[static_cast<std::size_t>(i)] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x70);  // version 7
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // variant 10
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out.push_back('-');
    }
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0xF]);
  }
  return out;
}

Result<void> check_inbound(const InboundMessage& m) {
  if (auto r = bounded("adapter", m.adapter, 64, true); !r) {
    return r;
  }
  if (auto r = bounded("sender message id", m.sender_message_id, kMaxActorBytes, true); !r) {
    return r;
  }
  if (auto r = bounded("content type", m.content_type, 256, false); !r) {
    return r;
  }
  return bounded("message body", m.body, kMaxMessageBytes, true);
}

Result<void> check_outbound(const OutboundMessage& m) {
  if (auto r = bounded("patient key", m.patient_key, kMaxActorBytes, false); !r) {
    return r;
  }
  if (auto r = bounded("kind", m.kind, 128, true); !r) {
    return r;
  }
  if (auto r = bounded("content type", m.content_type, 256, true); !r) {
    return r;
  }
  return bounded("payload", m.payload, kMaxMessageBytes, true);
}

Result<RetentionRun> apply_retention(MessageStore& store, std::uint32_t journal_days,
                                     std::uint32_t delivered_days, TimePoint now) {
  constexpr auto kDay = std::chrono::hours(24);
  RetentionRun run;
  if (journal_days > 0) {
    auto n = store.remove_bodies(now - kDay * journal_days);
    if (!n) {
      return n.error();
    }
    run.bodies_removed = *n;
  }
  if (delivered_days > 0) {
    auto n = store.purge_finished(now - kDay * delivered_days);
    if (!n) {
      return n.error();
    }
    run.finished_purged = *n;
  }
  return run;
}

}  // namespace gw::store
