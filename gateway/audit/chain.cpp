// SHA-256 chaining, the Ed25519 audit key and checkpoint signing, on OpenSSL 3's EVP API.
#include "gateway/audit/chain.hpp"

#include <array>
#include <cerrno>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <system_error>

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/audit/record.hpp"
#include "gateway/fhir/json.hpp"

namespace gw::audit {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr std::string_view kB64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void put_u64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> static_cast<unsigned>(shift)) & 0xFFU));
  }
}

void put_text(std::string& out, std::string_view s) {
  put_u64(out, s.size());
  out.append(s);
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

std::string raw_public(EVP_PKEY* key) {
  std::size_t len = 0;
  if (EVP_PKEY_get_raw_public_key(key, nullptr, &len) != 1) {
    return {};
  }
  std::string out(len, '\0');
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(out.data()), &len) != 1) {
    return {};
  }
  return out;
}

Result<void> write_new_key(const std::filesystem::path& file, EVP_PKEY* key) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) {
    return make_error(Errc::kUnavailable, "audit: cannot create the key folder: " + ec.message());
  }
  std::filesystem::permissions(file.parent_path(), std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  BioPtr mem(BIO_new(BIO_s_mem()));
  if (!mem ||
      PEM_write_bio_PrivateKey(mem.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return make_error(Errc::kInternal, "audit: cannot encode the new audit key");
  }
  const std::string pem = bio_text(mem.get());
  // O_EXCL: two processes starting at once must not overwrite each other's key.
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(Errc::kUnavailable,
                      "audit: cannot create the audit key file: " +
                          std::error_code(errno, std::generic_category()).message());
  }
  const bool ok =
      ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    return make_error(Errc::kUnavailable, "audit: cannot write the audit key file");
  }
  return {};
}

}  // namespace

Hash sha256(std::string_view data) {
  // OpenSSL 3 looks the algorithm up again on every call given EVP_sha256() (an implicit fetch);
  // fetching it once makes a digest of a small resource several times cheaper. The fetched
  // EVP_MD is immutable and safe to share between threads.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  Hash h{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), h.data(), &len, kSha256 != nullptr ? kSha256 : EVP_sha256(),
             nullptr);
  return h;
}

void hex_into(const Hash& h, std::array<char, 64>& out) {
  std::size_t i = 0;
  for (auto b : h) {
    out.at(i++) = kHexDigits[b >> 4U];
    out.at(i++) = kHexDigits[b & 0x0FU];
  }
}

std::string to_hex(const Hash& h) {
  std::array<char, 64> hex{};
  hex_into(h, hex);
  return {hex.data(), hex.size()};
}

std::optional<Hash> hash_from_hex(std::string_view hex) {
  if (hex.size() != 64) {
    return std::nullopt;
  }
  Hash h{};
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    return -1;
  };
  for (std::size_t i = 0; i < 32; ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    h.at(i) = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return h;
}

std::string sha256_hex(std::string_view data) { return to_hex(sha256(data)); }

namespace {

/** hash_parts: SHA-256 over `parts` in order. */
Hash hash_parts(std::initializer_list<std::string_view> parts) {
  // Fetched once: OpenSSL 3's implicit fetch (EVP_sha256() on every init) costs a lookup under
  // a lock per call (OpenSSL 3 migration guide, "Fetching algorithms"); the writer hashes every
  // record, so the algorithm and the context are kept.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local const MdCtxPtr ctx(EVP_MD_CTX_new());
  Hash h{};
  unsigned int len = 0;
  EVP_DigestInit_ex(ctx.get(), kSha256, nullptr);
  for (const std::string_view part : parts) {
    EVP_DigestUpdate(ctx.get(), part.data(), part.size());
  }
  EVP_DigestFinal_ex(ctx.get(), h.data(), &len);
  return h;
}

std::string_view bytes_of(const Hash& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}

}  // namespace

Hash chain_hash(const Hash& prev, std::string_view canonical) {
  return hash_parts({bytes_of(prev), canonical});
}

Hash chain_hash(const Hash& prev, std::uint64_t seq, std::string_view body) {
  // The 9 bytes with_seq() puts before the body: the version and the big-endian seq.
  std::array<char, 9> head{};
  head[0] = static_cast<char>(kCanonicalVersion);
  for (std::size_t i = 0; i < 8; ++i) {
    head.at(8 - i) = static_cast<char>((seq >> (8 * i)) & 0xFFU);
  }
  return hash_parts({bytes_of(prev), std::string_view(head.data(), head.size()), body});
}

std::string base64(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto n = (static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16U) |
                   (static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8U) |
                   static_cast<unsigned char>(in[i + 2]);
    out.push_back(kB64[(n >> 18U) & 63U]);
    out.push_back(kB64[(n >> 12U) & 63U]);
    out.push_back(kB64[(n >> 6U) & 63U]);
    out.push_back(kB64[n & 63U]);
  }
  const std::size_t rest = in.size() - i;
  if (rest > 0) {
    unsigned n = static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16U;
    if (rest == 2) {
      n |= static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8U;
    }
    out.push_back(kB64[(n >> 18U) & 63U]);
    out.push_back(kB64[(n >> 12U) & 63U]);
    out.push_back(rest == 2 ? kB64[(n >> 6U) & 63U] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> unbase64(std::string_view in) {
  if (in.size() % 4 != 0) {
    return std::nullopt;
  }
  std::string out;
  unsigned n = 0;
  int bits = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '=') {
      if (i + 2 < in.size()) {
        return std::nullopt;
      }
      break;
    }
    const auto pos = kB64.find(c);
    if (pos == std::string_view::npos) {
      return std::nullopt;
    }
    n = (n << 6U) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((n >> static_cast<unsigned>(bits)) & 0xFFU));
    }
  }
  return out;
}

struct AuditKey::Impl {
  PkeyPtr key;
  bool has_private = false;
};

AuditKey::AuditKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  key_id_ = sha256_hex(raw_public(impl_->key.get())).substr(0, 16);
}
AuditKey::AuditKey(AuditKey&&) noexcept = default;
AuditKey& AuditKey::operator=(AuditKey&&) noexcept = default;
AuditKey::~AuditKey() = default;

Result<AuditKey> AuditKey::load(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    return make_error(Errc::kNotFound, "audit: no audit key at " + file.string());
  }
  return load_or_create(file);
}

Result<AuditKey> AuditKey::load_or_create(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    if (!key) {
      return make_error(Errc::kInternal, "audit: cannot make an Ed25519 key");
    }
    if (auto w = write_new_key(file, key.get()); !w) {
      // Lost a race with another process making the key: read theirs.
      if (!std::filesystem::exists(file, ec)) {
        return w.error();
      }
    } else {
      auto impl = std::make_unique<Impl>();
      impl->key = std::move(key);
      impl->has_private = true;
      return AuditKey(std::move(impl));
    }
  }
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 077U) != 0) {
    return make_error(Errc::kUnavailable,
                      "audit: the audit key file is readable by others; make it mode 0600");
  }
  std::ifstream f(file, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string pem = ss.str();
  if (!f || pem.empty()) {
    return make_error(Errc::kUnavailable, "audit: cannot read the audit key file");
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    return make_error(Errc::kBadRequest, "audit: the audit key file is not an Ed25519 private key");
  }
  auto impl = std::make_unique<Impl>();
  impl->key = std::move(key);
  impl->has_private = true;
  return AuditKey(std::move(impl));
}

Result<AuditKey> AuditKey::load_public(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    return make_error(Errc::kBadRequest, "audit: not an Ed25519 public key");
  }
  auto impl = std::make_unique<Impl>();
  impl->key = std::move(key);
  return AuditKey(std::move(impl));
}

Result<std::string> AuditKey::sign(std::string_view message) const {
  if (!impl_->has_private) {
    return make_error(Errc::kInternal, "audit: this audit key can only verify");
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t len = 64;
  std::string sig(len, '\0');
  // Ed25519 signs the message itself (no separate digest): md is NULL (EVP_DigestSign(3)).
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, impl_->key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    return make_error(Errc::kInternal, "audit: signing failed");
  }
  sig.resize(len);
  return sig;
}

bool AuditKey::verify(std::string_view message, std::string_view signature) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, impl_->key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

std::string AuditKey::export_public_pem() const {
  BioPtr mem(BIO_new(BIO_s_mem()));
  if (!mem || PEM_write_bio_PUBKEY(mem.get(), impl_->key.get()) != 1) {
    return {};
  }
  return bio_text(mem.get());
}

std::string_view checkpoint_kind_name(CheckpointKind k) {
  switch (k) {
    case CheckpointKind::kPeriodic:
      return "periodic";
    case CheckpointKind::kShutdown:
      return "shutdown";
    case CheckpointKind::kPurge:
      return "purge";
  }
  return "periodic";
}

std::optional<CheckpointKind> parse_checkpoint_kind(std::string_view s) {
  for (auto k : {CheckpointKind::kPeriodic, CheckpointKind::kShutdown, CheckpointKind::kPurge}) {
    if (checkpoint_kind_name(k) == s) {
      return k;
    }
  }
  return std::nullopt;
}

std::string Checkpoint::signed_bytes() const {
  std::string out = "caregw-audit-checkpoint/1";
  put_text(out, checkpoint_kind_name(kind));
  put_u64(out, seq);
  out.append(reinterpret_cast<const char*>(head.data()), head.size());
  put_u64(out, static_cast<std::uint64_t>(time_us));
  put_text(out, node_id);
  put_text(out, key_id);
  return out;
}

Checkpoint make_checkpoint(CheckpointKind kind, std::uint64_t seq, const Hash& head,
                           std::int64_t time_us, std::string node_id) {
  Checkpoint cp;
  cp.kind = kind;
  cp.seq = seq;
  cp.head = head;
  cp.time_us = time_us;
  cp.node_id = std::move(node_id);
  return cp;
}

Result<void> sign_checkpoint(const AuditKey& key, Checkpoint& cp) {
  cp.key_id = key.key_id();
  auto sig = key.sign(cp.signed_bytes());
  if (!sig) {
    return sig.error();
  }
  cp.signature = std::move(*sig);
  return {};
}

bool checkpoint_signature_ok(const AuditKey& key, const Checkpoint& cp) {
  return cp.key_id == key.key_id() && key.verify(cp.signed_bytes(), cp.signature);
}

std::string checkpoints_to_json(const std::vector<Checkpoint>& cps, const AuditKey& key) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  auto str = [&a](std::string_view s) {
    return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
  };
  doc.AddMember("format", "caregw-audit-checkpoints/1", a);
  doc.AddMember("key_id", str(key.key_id()), a);
  doc.AddMember("public_key", str(key.export_public_pem()), a);
  rapidjson::Value list(rapidjson::kArrayType);
  for (const auto& cp : cps) {
    rapidjson::Value o(rapidjson::kObjectType);
    o.AddMember("kind", str(checkpoint_kind_name(cp.kind)), a);
    o.AddMember("seq", static_cast<std::uint64_t>(cp.seq), a);
    o.AddMember("head", str(to_hex(cp.head)), a);
    o.AddMember("time_us", static_cast<std::int64_t>(cp.time_us), a);
    o.AddMember("node_id", str(cp.node_id), a);
    o.AddMember("key_id", str(cp.key_id), a);
    o.AddMember("signature", str(base64(cp.signature)), a);
    list.PushBack(o, a);
  }
  doc.AddMember("checkpoints", list, a);
  return fhir::to_json(doc, true);
}

Result<std::vector<Checkpoint>> checkpoints_from_json(std::string_view json) {
  auto doc = fhir::parse_json(json);
  if (!doc) {
    return doc.error();
  }
  auto bad = [] { return make_error(Errc::kBadRequest, "audit: not a caregw checkpoint export"); };
  if (!doc->IsObject() || !doc->HasMember("checkpoints") || !(*doc)["checkpoints"].IsArray()) {
    return bad();
  }
  std::vector<Checkpoint> out;
  for (const auto& o : (*doc)["checkpoints"].GetArray()) {
    if (!o.IsObject() || !o.HasMember("kind") || !o.HasMember("seq") || !o.HasMember("head") ||
        !o.HasMember("time_us") || !o.HasMember("node_id") || !o.HasMember("key_id") ||
        !o.HasMember("signature") || !o["kind"].IsString() || !o["seq"].IsUint64() ||
        !o["head"].IsString() || !o["time_us"].IsInt64() || !o["node_id"].IsString() ||
        !o["key_id"].IsString() || !o["signature"].IsString()) {
      return bad();
    }
    Checkpoint cp;
    auto kind = parse_checkpoint_kind(o["kind"].GetString());
    auto head = hash_from_hex(o["head"].GetString());
    auto sig = unbase64(o["signature"].GetString());
    if (!kind || !head || !sig) {
      return bad();
    }
    cp.kind = *kind;
    cp.seq = o["seq"].GetUint64();
    cp.head = *head;
    cp.time_us = o["time_us"].GetInt64();
    cp.node_id = o["node_id"].GetString();
    cp.key_id = o["key_id"].GetString();
    cp.signature = std::move(*sig);
    out.push_back(std::move(cp));
  }
  return out;
}

}  // namespace gw::audit
