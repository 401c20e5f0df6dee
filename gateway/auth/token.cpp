// JWT verification and signing on OpenSSL 3 (EVP, OSSL_PARAM), JWKS parsing on RapidJSON.
#include "gateway/auth/token.hpp"

#include <array>
#include <fstream>
#include <optional>
#include <sstream>
#include <unordered_map>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "gateway/core/ascii.hpp"
#include "gateway/fhir/json.hpp"

namespace gw::auth {

namespace {

using Clock = std::chrono::system_clock;

constexpr std::size_t kMaxTokenBytes = 16 * 1024;
constexpr int kMinRsaBits = 2048;

constexpr std::array<std::string_view, 10> kTokenErrcNames = {
    "missing", "malformed",     "unknown-issuer", "unknown-key",   "bad-signature",
    "expired", "not-yet-valid", "wrong-audience", "missing-claim", "organisation-mismatch"};

TokenError fail(TokenErrc code, std::string detail) { return {code, std::move(detail)}; }

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct EcSigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

BnPtr bn(std::string_view big_endian) {
  return BnPtr(BN_bin2bn(bytes(big_endian), static_cast<int>(big_endian.size()), nullptr));
}

std::string_view member(const rapidjson::Value& o, const char* key) {
  if (!o.IsObject()) {
    return {};
  }
  const auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsString()) {
    return {};
  }
  return {it->value.GetString(), it->value.GetStringLength()};
}

/** key_from_params: an EVP_PKEY ("RSA" or "EC") from OSSL_PARAMs built by `fill`. */
template <class Fill>
std::shared_ptr<EVP_PKEY> key_from_params(const char* type, Fill fill) {
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || !fill(bld.get())) {
    return nullptr;
  }
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return {key, EVP_PKEY_free};
}

std::shared_ptr<EVP_PKEY> rsa_key(std::string_view n64, std::string_view e64) {
  const auto n = base64url_decode(n64);
  const auto e = base64url_decode(e64);
  if (!n || !e || n->empty() || e->empty()) {
    return nullptr;
  }
  BnPtr bn_n = bn(*n);
  BnPtr bn_e = bn(*e);
  return key_from_params("RSA", [&](OSSL_PARAM_BLD* b) {
    return bn_n && bn_e && OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, bn_n.get()) == 1 &&
           OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, bn_e.get()) == 1;
  });
}

std::shared_ptr<EVP_PKEY> ec_key(std::string_view x64, std::string_view y64) {
  const auto x = base64url_decode(x64);
  const auto y = base64url_decode(y64);
  if (!x || !y || x->size() != 32 || y->size() != 32) {
    return nullptr;
  }
  // SEC 1 uncompressed point: 0x04 || x || y.
  std::string point = "\x04" + *x + *y;
  static char group[] = "prime256v1";
  return key_from_params("EC", [&](OSSL_PARAM_BLD* b) {
    return OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) == 1 &&
           OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                            point.size()) == 1;
  });
}

/** es256_der: JOSE raw r||s (RFC 7518 section 3.4) to the DER ECDSA-Sig-Value OpenSSL checks. */
std::optional<std::string> es256_der(std::string_view raw) {
  if (raw.size() != 64) {
    return std::nullopt;
  }
  std::unique_ptr<ECDSA_SIG, EcSigFree> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes(raw), 32, nullptr);
  BIGNUM* s = BN_bin2bn(bytes(raw) + 32, 32, nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) {
    return std::nullopt;
  }
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_ECDSA_SIG(sig.get(), &p);
  return der;
}

/** es256_raw: DER ECDSA-Sig-Value to JOSE raw r||s (32 bytes each). */
std::optional<std::string> es256_raw(std::string_view der) {
  const unsigned char* p = bytes(der);
  std::unique_ptr<ECDSA_SIG, EcSigFree> sig(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) {
    return std::nullopt;
  }
  std::string raw(64, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, 32) != 32 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + 32, 32) != 32) {
    return std::nullopt;
  }
  return raw;
}

bool verify_signature(EVP_PKEY* key, std::string_view alg, std::string_view signed_part,
                      std::string_view signature) {
  std::string der;
  std::string_view sig = signature;
  if (alg == "ES256") {
    auto d = es256_der(signature);
    if (!d) {
      return false;
    }
    der = std::move(*d);
    sig = der;
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
  return md && EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
         EVP_DigestVerify(md.get(), bytes(sig), sig.size(), bytes(signed_part),
                          signed_part.size()) == 1;
}

std::optional<std::int64_t> number_claim(const rapidjson::Value& o, const char* key) {
  const auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsNumber()) {
    return std::nullopt;
  }
  return it->value.IsInt64() ? it->value.GetInt64()
                             : static_cast<std::int64_t>(it->value.GetDouble());
}

bool audience_matches(const rapidjson::Value& payload, std::string_view audience) {
  const auto it = payload.FindMember("aud");
  if (it == payload.MemberEnd()) {
    return false;
  }
  if (it->value.IsString()) {
    return std::string_view(it->value.GetString(), it->value.GetStringLength()) == audience;
  }
  if (it->value.IsArray()) {
    for (const auto& a : it->value.GetArray()) {
      if (a.IsString() && std::string_view(a.GetString(), a.GetStringLength()) == audience) {
        return true;
      }
    }
  }
  return false;
}

/** role_of: the acting NRBAC role (selected_roleid, or the only one). */
TokenResult<const rapidjson::Value*> role_of(const rapidjson::Value& payload) {
  const auto roles = payload.FindMember("nhsid_nrbac_roles");
  if (roles == payload.MemberEnd() || !roles->value.IsArray() || roles->value.Empty()) {
    return fail(TokenErrc::kMissingClaim, "the token has no 'nhsid_nrbac_roles'");
  }
  const std::string_view selected = member(payload, "selected_roleid");
  if (selected.empty()) {
    if (roles->value.Size() == 1) {
      return &roles->value[0];
    }
    return fail(TokenErrc::kMissingClaim,
                "the token has several roles and no 'selected_roleid' saying which is acting");
  }
  for (const auto& r : roles->value.GetArray()) {
    if (member(r, "person_roleid") == selected) {
      return &r;
    }
  }
  return fail(TokenErrc::kMissingClaim, "'selected_roleid' names no role in 'nhsid_nrbac_roles'");
}

/** job_role: "S8000:G8000:R8000" or "R8000" -> "R8000". */
std::string job_role(std::string_view code) {
  std::size_t start = 0;
  while (start <= code.size()) {
    const auto end = code.find(':', start);
    const auto part = code.substr(start, end == std::string_view::npos ? code.npos : end - start);
    if (!part.empty() && part[0] == 'R') {
      return std::string(part);
    }
    if (end == std::string_view::npos) {
      break;
    }
    start = end + 1;
  }
  return {};
}

TokenResult<policy::User> user_of(const rapidjson::Value& payload) {
  policy::User u;
  u.id = std::string(member(payload, "sub"));
  if (u.id.empty()) {
    return fail(TokenErrc::kMissingClaim, "the token has no 'sub' (user id)");
  }
  u.name = std::string(member(payload, "name"));
  if (u.name.empty()) {
    return fail(TokenErrc::kMissingClaim, "the token has no 'name'");
  }
  auto role = role_of(payload);
  if (!role) {
    return role.error();
  }
  u.role_code = job_role(member(**role, "role_code"));
  if (u.role_code.empty()) {
    return fail(TokenErrc::kMissingClaim,
                "the acting role has no RBAC job role code ('role_code')");
  }
  auto ods = OdsCode::parse(member(**role, "org_code"));
  if (!ods) {
    return fail(TokenErrc::kMissingClaim, "the acting role has no valid ODS code ('org_code')");
  }
  u.ods = ods->str();
  const auto purpose = policy::parse_purpose(member(payload, "purpose_of_use"));
  if (!purpose) {
    return fail(TokenErrc::kMissingClaim,
                "'purpose_of_use' must be direct-care, safeguarding, ig-audit, operations or "
                "integration");
  }
  u.purpose = *purpose;
  return u;
}

}  // namespace

void KeyDeleter::operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }

std::string_view token_errc_name(TokenErrc c) { return kTokenErrcNames[static_cast<int>(c)]; }

Error TokenError::to_error() const {
  return make_error(
      code == TokenErrc::kOrganisationMismatch ? Errc::kForbidden : Errc::kUnauthenticated,
      "bearer token refused (" + std::string(token_errc_name(code)) + "): " + detail);
}

std::string base64url_encode(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes(in),
                                static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') {
    out.pop_back();
  }
  for (auto& c : out) {
    c = c == '+' ? '-' : (c == '/' ? '_' : c);
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string b64;
  b64.reserve(text.size() + 3);
  for (char c : text) {
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!plain && c != '-' && c != '_') {
      return std::nullopt;
    }
    b64.push_back(c == '-' ? '+' : (c == '_' ? '/' : c));
  }
  const std::size_t pad = (4 - b64.size() % 4) % 4;
  b64.append(pad, '=');
  std::string out(b64.size() / 4 * 3, '\0');
  // EVP_DecodeBlock counts the padding as zero bytes; they are dropped below.
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes(b64),
                                static_cast<int>(b64.size()));
  if (n < 0 || static_cast<std::size_t>(n) < pad) {
    return std::nullopt;
  }
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

Result<std::vector<Jwk>> parse_jwks(std::string_view json) {
  auto doc = fhir::parse_json(json);
  if (!doc) {
    return make_error(Errc::kBadRequest, "JWKS is not valid JSON: " + doc.error().detail);
  }
  const auto keys = doc->IsObject() ? doc->FindMember("keys") : doc->MemberEnd();
  if (!doc->IsObject() || keys == doc->MemberEnd() || !keys->value.IsArray()) {
    return make_error(Errc::kBadRequest, "JWKS must be an object with a 'keys' array");
  }
  std::vector<Jwk> out;
  for (const auto& k : keys->value.GetArray()) {
    const auto kty = member(k, "kty");
    Jwk jwk;
    jwk.kid = std::string(member(k, "kid"));
    if (kty == "RSA" && (member(k, "alg").empty() || member(k, "alg") == "RS256")) {
      jwk.alg = "RS256";
      jwk.key = rsa_key(member(k, "n"), member(k, "e"));
    } else if (kty == "EC" && member(k, "crv") == "P-256" &&
               (member(k, "alg").empty() || member(k, "alg") == "ES256")) {
      jwk.alg = "ES256";
      jwk.key = ec_key(member(k, "x"), member(k, "y"));
    } else {
      continue;
    }
    if (!jwk.key) {
      return make_error(Errc::kBadRequest, "JWKS key '" + jwk.kid + "' has bad parameters");
    }
    if (jwk.alg == "RS256" && EVP_PKEY_get_bits(jwk.key.get()) < kMinRsaBits) {
      return make_error(Errc::kBadRequest,
                        "JWKS key '" + jwk.kid + "' is an RSA key shorter than 2048 bits");
    }
    out.push_back(std::move(jwk));
  }
  if (out.empty()) {
    return make_error(Errc::kBadRequest, "JWKS has no RS256 or ES256 (P-256) key");
  }
  return out;
}

/** Verified: what a token with a good signature says, and the claims checked against time. */
struct TokenVerifier::Verified {
  VerifiedUser user;
  std::int64_t exp = 0;
  std::optional<std::int64_t> nbf;
  std::optional<std::int64_t> iat;
};

/** Memo: verified tokens by their exact text. */
struct TokenVerifier::Memo {
  std::mutex mu;
  std::unordered_map<std::string, Verified> tokens;
};

TokenVerifier::TokenVerifier(std::map<std::string, Issuer, std::less<>> issuers,
                             std::chrono::seconds skew)
    : issuers_(std::move(issuers)), skew_(skew), memo_(std::make_unique<Memo>()) {}

TokenVerifier::~TokenVerifier() = default;
TokenVerifier::TokenVerifier(TokenVerifier&&) noexcept = default;

std::size_t TokenVerifier::memo_size() const {
  std::lock_guard lock(memo_->mu);
  return memo_->tokens.size();
}

TokenResult<VerifiedUser> TokenVerifier::verify(std::string_view token,
                                                Clock::time_point now) const {
  const auto t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  {
    std::lock_guard lock(memo_->mu);
    // A token is remembered only once everything but time has been checked; the exact bytes
    // are the key, so a changed character is a new token and verified in full.
    if (const auto it = memo_->tokens.find(std::string(token)); it != memo_->tokens.end()) {
      if (auto r = check_times(it->second, t); !r) {
        return r.error();
      }
      return it->second.user;
    }
  }
  auto v = verify_signed(token, t);
  if (!v) {
    return v.error();
  }
  std::lock_guard lock(memo_->mu);
  if (memo_->tokens.size() >= kMemoEntries) {
    memo_->tokens.clear();
  }
  return memo_->tokens.emplace(std::string(token), std::move(*v)).first->second.user;
}

TokenResult<void> TokenVerifier::check_times(const Verified& v, std::int64_t t) const {
  const auto skew = skew_.count();
  if (t > v.exp + skew) {
    return fail(TokenErrc::kExpired, "the token has expired");
  }
  if (v.nbf && t + skew < *v.nbf) {
    return fail(TokenErrc::kNotYetValid, "the token is not valid yet (nbf)");
  }
  if (v.iat && t + skew < *v.iat) {
    return fail(TokenErrc::kNotYetValid, "the token was issued in the future (iat)");
  }
  return {};
}

TokenResult<TokenVerifier::Verified> TokenVerifier::verify_signed(std::string_view token,
                                                                  std::int64_t t) const {
  if (token.empty()) {
    return fail(TokenErrc::kMissing, "no bearer token");
  }
  if (token.size() > kMaxTokenBytes) {
    return fail(TokenErrc::kMalformed, "the token is longer than 16 KiB");
  }
  const auto d1 = token.find('.');
  const auto d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) {
    return fail(TokenErrc::kMalformed, "a JWT has three dot-separated parts");
  }
  const auto header_text = base64url_decode(token.substr(0, d1));
  const auto payload_text = base64url_decode(token.substr(d1 + 1, d2 - d1 - 1));
  const auto signature = base64url_decode(token.substr(d2 + 1));
  if (!header_text || !payload_text || !signature) {
    return fail(TokenErrc::kMalformed, "a JWT part is not base64url");
  }
  fhir::ParseLimits limits;
  limits.max_bytes = 64 * 1024;
  limits.max_depth = 16;
  auto header = fhir::parse_json(*header_text, limits);
  auto payload = fhir::parse_json(*payload_text, limits);
  if (!header || !payload || !header->IsObject() || !payload->IsObject()) {
    return fail(TokenErrc::kMalformed, "the JWT header or payload is not a JSON object");
  }
  const auto alg = member(*header, "alg");
  if (alg != "RS256" && alg != "ES256") {
    return fail(TokenErrc::kMalformed, "unsupported JWT alg (RS256 and ES256 are accepted)");
  }
  // RFC 7515 section 4.1.11: a "crit" header names extensions the recipient must understand;
  // caregw understands none, so such a token is refused.
  if (header->HasMember("crit")) {
    return fail(TokenErrc::kMalformed, "the JWT header has 'crit' extensions caregw does not know");
  }
  const auto iss = member(*payload, "iss");
  const auto issuer = issuers_.find(iss);
  if (issuer == issuers_.end()) {
    return fail(TokenErrc::kUnknownIssuer, "the token's issuer is not configured");
  }
  const auto kid = member(*header, "kid");
  const Jwk* key = nullptr;
  for (const auto& k : issuer->second.keys) {
    if (k.alg == alg && (kid.empty() || k.kid == kid)) {
      key = &k;
      break;
    }
  }
  if (key == nullptr) {
    return fail(TokenErrc::kUnknownKey,
                "the issuer has no " + std::string(alg) + " key with the token's kid");
  }
  if (!verify_signature(key->key.get(), alg, token.substr(0, d2), *signature)) {
    return fail(TokenErrc::kBadSignature, "the token's signature does not verify");
  }
  const auto exp = number_claim(*payload, "exp");
  if (!exp) {
    return fail(TokenErrc::kMissingClaim, "the token has no 'exp'");
  }
  Verified out;
  out.exp = *exp;
  out.nbf = number_claim(*payload, "nbf");
  out.iat = number_claim(*payload, "iat");
  if (auto r = check_times(out, t); !r) {
    return r.error();
  }
  if (!audience_matches(*payload, issuer->second.audience)) {
    return fail(TokenErrc::kWrongAudience, "the token's audience is not this gateway");
  }
  auto user = user_of(*payload);
  if (!user) {
    return user.error();
  }
  VerifiedUser& v = out.user;
  v.user = std::move(*user);
  v.issuer = std::string(iss);
  v.token_id = std::string(member(*payload, "jti"));
  v.expires = Clock::time_point{std::chrono::seconds{*exp}};
  return out;
}

TokenResult<std::string_view> bearer_token(std::string_view authorization) {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() <= kScheme.size()) {
    return fail(TokenErrc::kMissing, "no Authorization: Bearer token");
  }
  // The scheme is case-insensitive (RFC 9110 section 11.1).
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (ascii_lower(authorization[i]) != ascii_lower(kScheme[i])) {
      return fail(TokenErrc::kMissing, "no Authorization: Bearer token");
    }
  }
  return authorization.substr(kScheme.size());
}

TokenResult<void> check_organisation(const VerifiedUser& user, std::string_view certificate_ods) {
  if (user.user.ods != certificate_ods) {
    return fail(TokenErrc::kOrganisationMismatch,
                "the token's organisation " + user.user.ods +
                    " is not the client certificate's organisation " +
                    std::string(certificate_ods));
  }
  return {};
}

std::shared_ptr<const TokenVerifier> load_verifier(const config::Config& config,
                                                   std::vector<config::Diagnostic>& errors) {
  const std::size_t before = errors.size();
  std::map<std::string, TokenVerifier::Issuer, std::less<>> issuers;
  for (const auto& t : config.token_issuers) {
    std::ifstream f(t.jwks_file.path, std::ios::binary);
    if (!f) {
      errors.push_back({config.source, t.jwks_file.line,
                        "cannot read JWKS file " + t.jwks_file.path +
                            (t.jwks_file.raw.find("${data_dir}") != std::string::npos
                                 ? " (the demo issuer makes it on first start: caregw serve "
                                   "--demo, or caregw demo-token)"
                                 : "")});
      continue;
    }
    std::stringstream ss;
    ss << f.rdbuf();
    auto keys = parse_jwks(ss.str());
    if (!keys) {
      errors.push_back(
          {config.source, t.jwks_file.line, t.jwks_file.path + ": " + keys.error().detail});
      continue;
    }
    issuers.emplace(t.issuer, TokenVerifier::Issuer{t.audience, std::move(*keys)});
  }
  if (errors.size() != before) {
    return nullptr;
  }
  return std::make_shared<const TokenVerifier>(
      std::move(issuers), std::chrono::seconds{config.policy.token_clock_skew_seconds});
}

Result<std::string> sign_jwt(EVP_PKEY* key, std::string_view alg, std::string_view kid,
                             std::string_view payload_json) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("alg");
  w.String(alg.data(), static_cast<rapidjson::SizeType>(alg.size()));
  w.Key("typ");
  w.String("JWT");
  if (!kid.empty()) {
    w.Key("kid");
    w.String(kid.data(), static_cast<rapidjson::SizeType>(kid.size()));
  }
  w.EndObject();
  const std::string signing_input =
      base64url_encode({sb.GetString(), sb.GetSize()}) + "." + base64url_encode(payload_json);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
  std::size_t len = 0;
  if (!md || EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(md.get(), nullptr, &len, bytes(signing_input), signing_input.size()) != 1) {
    return make_error(Errc::kInternal, "cannot sign the token");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     bytes(signing_input), signing_input.size()) != 1) {
    return make_error(Errc::kInternal, "cannot sign the token");
  }
  sig.resize(len);
  if (alg == "ES256") {
    auto raw = es256_raw(sig);
    if (!raw) {
      return make_error(Errc::kInternal, "cannot encode the ES256 signature");
    }
    sig = std::move(*raw);
  }
  return signing_input + "." + base64url_encode(sig);
}

Result<std::string> public_jwk_json(EVP_PKEY* key, std::string_view kid, std::string_view alg) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  auto kv = [&](const char* k, std::string_view v) {
    w.Key(k);
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  };
  auto big = [&](const char* name, int pad) -> std::optional<std::string> {
    BIGNUM* b = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &b) != 1) {
      return std::nullopt;
    }
    BnPtr owned(b);
    const int n = pad > 0 ? pad : BN_num_bytes(b);
    std::string out(static_cast<std::size_t>(n), '\0');
    if (BN_bn2binpad(b, reinterpret_cast<unsigned char*>(out.data()), n) != n) {
      return std::nullopt;
    }
    return base64url_encode(out);
  };
  w.StartObject();
  if (EVP_PKEY_is_a(key, "EC") == 1) {
    const auto x = big(OSSL_PKEY_PARAM_EC_PUB_X, 32);
    const auto y = big(OSSL_PKEY_PARAM_EC_PUB_Y, 32);
    if (!x || !y) {
      return make_error(Errc::kInternal, "cannot read the EC public key");
    }
    kv("kty", "EC");
    kv("crv", "P-256");
    kv("x", *x);
    kv("y", *y);
  } else if (EVP_PKEY_is_a(key, "RSA") == 1) {
    const auto n = big(OSSL_PKEY_PARAM_RSA_N, 0);
    const auto e = big(OSSL_PKEY_PARAM_RSA_E, 0);
    if (!n || !e) {
      return make_error(Errc::kInternal, "cannot read the RSA public key");
    }
    kv("kty", "RSA");
    kv("n", *n);
    kv("e", *e);
  } else {
    return make_error(Errc::kInternal, "only RSA and EC keys are supported");
  }
  kv("kid", kid);
  kv("alg", alg);
  kv("use", "sig");
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

}  // namespace gw::auth
