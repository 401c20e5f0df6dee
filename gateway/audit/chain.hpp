// The hash chain and its signed checkpoints: SHA-256 chaining of canonical records, the
// gateway's Ed25519 audit key (OpenSSL 3 EVP), and checkpoints with their JSON export.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/error.hpp"

namespace gw::audit {

/** Hash: a SHA-256 digest. */
using Hash = std::array<std::uint8_t, 32>;

/** kGenesisHash: the "previous hash" of the first record ever written (32 zero bytes). */
inline constexpr Hash kGenesisHash{};

/** sha256: the SHA-256 digest of `data`. */
[[nodiscard]] Hash sha256(std::string_view data);
/** sha256_hex: the digest as 64 lower-case hex digits (for disclosed items' content digests). */
[[nodiscard]] std::string sha256_hex(std::string_view data);
/** chain_hash: SHA-256(prev || canonical): a record's hash. */
[[nodiscard]] Hash chain_hash(const Hash& prev, std::string_view canonical);
/** chain_hash: the same as chain_hash(prev, with_seq(seq, body)), without building that copy. */
[[nodiscard]] Hash chain_hash(const Hash& prev, std::uint64_t seq, std::string_view body);
/** to_hex / hash_from_hex: lower-case hex text of a hash and back (nullopt if malformed). */
[[nodiscard]] std::string to_hex(const Hash& h);
/** hex_into: to_hex into a caller's buffer (no allocation; the writer does it per record). */
void hex_into(const Hash& h, std::array<char, 64>& out);
[[nodiscard]] std::optional<Hash> hash_from_hex(std::string_view hex);

/**
 * AuditKey: the Ed25519 key that signs checkpoints. Thread safety: sign() and verify() may be
 * called from any thread (EVP contexts are made per call).
 */
class AuditKey {
public:
  /**
   * load_or_create: reads the PEM private key at `file`, or, if there is none, makes a new key
   * and writes it with mode 0600 (its folder 0700). A key file readable by group or others is
   * refused. @return kUnavailable if it cannot be read or written, kBadRequest if not Ed25519.
   */
  [[nodiscard]] static Result<AuditKey> load_or_create(const std::filesystem::path& file);
  /** load: as load_or_create, but a missing file is kNotFound (verify never makes a key). */
  [[nodiscard]] static Result<AuditKey> load(const std::filesystem::path& file);
  /** load_public: a verify-only key from a PEM public key (from export_public_pem()). */
  [[nodiscard]] static Result<AuditKey> load_public(std::string_view pem);

  AuditKey(AuditKey&&) noexcept;
  AuditKey& operator=(AuditKey&&) noexcept;
  AuditKey(const AuditKey&) = delete;
  AuditKey& operator=(const AuditKey&) = delete;
  ~AuditKey();

  /** sign: the 64-byte Ed25519 signature of `message`; kInternal for a verify-only key. */
  [[nodiscard]] Result<std::string> sign(std::string_view message) const;
  /** verify: whether `signature` is this key's signature of `message`. */
  [[nodiscard]] bool verify(std::string_view message, std::string_view signature) const;
  /** export_public_pem: the public key (SubjectPublicKeyInfo PEM), to lodge with checkpoints. */
  [[nodiscard]] std::string export_public_pem() const;
  /** key_id: the first 16 hex digits of SHA-256 of the raw public key: names the key. */
  [[nodiscard]] const std::string& key_id() const { return key_id_; }

private:
  struct Impl;
  explicit AuditKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string key_id_;
};

/** CheckpointKind: why a checkpoint was written. */
enum class CheckpointKind : std::uint8_t {
  kPeriodic = 1,  // every N records or T seconds
  kShutdown,      // on a clean close
  kPurge,         // anchors what remains after a purge: seq/head are the last record purged
};

/** checkpoint_kind_name / parse_checkpoint_kind: "periodic", "shutdown", "purge". */
[[nodiscard]] std::string_view checkpoint_kind_name(CheckpointKind k);
[[nodiscard]] std::optional<CheckpointKind> parse_checkpoint_kind(std::string_view s);

/**
 * Checkpoint: a signed statement "the log's record `seq` has hash `head`", made at `time_us`.
 * As seq numbers start at 1 and have no gaps, seq is also the count of records ever written.
 */
struct Checkpoint {
  std::uint64_t id = 0;  // row id (order written); not signed
  CheckpointKind kind = CheckpointKind::kPeriodic;
  std::uint64_t seq = 0;
  Hash head{};
  std::int64_t time_us = 0;
  std::string node_id;
  std::string key_id;
  std::string signature;  // 64 bytes

  /** signed_bytes: "caregw-audit-checkpoint/1" | kind | seq | head | time | node | key id. */
  [[nodiscard]] std::string signed_bytes() const;
};

/** make_checkpoint: an unsigned checkpoint of record `seq` with hash `head` (sign it next). */
[[nodiscard]] Checkpoint make_checkpoint(CheckpointKind kind, std::uint64_t seq, const Hash& head,
                                         std::int64_t time_us, std::string node_id);

/** sign_checkpoint: fills key_id and signature. */
[[nodiscard]] Result<void> sign_checkpoint(const AuditKey& key, Checkpoint& cp);
/** checkpoint_signature_ok: the signature is `key`'s over signed_bytes() and key ids match. */
[[nodiscard]] bool checkpoint_signature_ok(const AuditKey& key, const Checkpoint& cp);

/**
 * checkpoints_to_json: {"format":"caregw-audit-checkpoints/1","public_key":PEM,"key_id":..,
 * "checkpoints":[{kind,seq,head,time,node,key_id,signature(base64)}]}: lodged elsewhere,
 * any holder of it can later show the log still holds the same history.
 */
[[nodiscard]] std::string checkpoints_to_json(const std::vector<Checkpoint>& cps,
                                              const AuditKey& key);
/** checkpoints_from_json: reads checkpoints_to_json() output back (kBadRequest if malformed). */
[[nodiscard]] Result<std::vector<Checkpoint>> checkpoints_from_json(std::string_view json);

/** base64 / unbase64: standard alphabet with padding (RFC 4648 section 4). */
[[nodiscard]] std::string base64(std::string_view bytes);
[[nodiscard]] std::optional<std::string> unbase64(std::string_view text);

}  // namespace gw::audit
