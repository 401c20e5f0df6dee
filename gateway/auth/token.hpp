// Bearer JWT verification (RS256, ES256) against per-issuer JWKS files, with OpenSSL 3's EVP
// API; claims to the policy engine's User. Every failure is a distinct TokenErrc.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

#include "gateway/config/config.hpp"
#include "gateway/config/loader.hpp"
#include "gateway/core/error.hpp"
#include "gateway/policy/engine.hpp"

typedef struct evp_pkey_st EVP_PKEY;  // NOLINT(modernize-use-using): OpenSSL's own spelling

namespace gw::auth {

/** TokenErrc: why a token was refused. Each maps to 401 (kOrganisationMismatch: 403). */
enum class TokenErrc : std::uint8_t {
  kMissing,               // no Authorization: Bearer header
  kMalformed,             // not three base64url parts of JSON, or an unsupported "alg"
  kUnknownIssuer,         // "iss" is not a configured issuer
  kUnknownKey,            // no key of the issuer matches "kid" and "alg"
  kBadSignature,          // the signature does not verify
  kExpired,               // now > exp + skew
  kNotYetValid,           // now < nbf - skew, or iat in the future
  kWrongAudience,         // "aud" does not name this gateway
  kMissingClaim,          // a required claim is absent or not usable
  kOrganisationMismatch,  // the token's organisation is not the client certificate's
};

/** token_errc_name: a stable name, e.g. "expired" (for metrics and OperationOutcome). */
[[nodiscard]] std::string_view token_errc_name(TokenErrc c);

/** TokenError: a refusal and an operator-safe detail (never a token or a claim value's PHI). */
struct TokenError {
  TokenErrc code = TokenErrc::kMalformed;
  std::string detail;
  /** to_error: the gw::Error for the pipeline (kUnauthenticated, or kForbidden on mismatch). */
  [[nodiscard]] Error to_error() const;
};

template <class T>
using TokenResult = boost::system::result<T, TokenError>;

/** KeyPtr: an owned OpenSSL key. */
struct KeyDeleter {
  void operator()(EVP_PKEY* k) const;
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyDeleter>;

/** Jwk: one verification key of an issuer. */
struct Jwk {
  std::string kid;
  std::string alg;  // "RS256" or "ES256"
  std::shared_ptr<EVP_PKEY> key;
};

/**
 * parse_jwks: the RS256/ES256 keys of a JWK Set (RFC 7517; RSA "n"/"e", EC P-256 "x"/"y").
 * Keys of other types or curves are skipped; a set with no usable key is an error.
 */
[[nodiscard]] Result<std::vector<Jwk>> parse_jwks(std::string_view json);

/** VerifiedUser: who a valid token says is asking. */
struct VerifiedUser {
  policy::User user;
  std::string issuer;
  std::string token_id;  // "jti", if present (BALP records it as agent.policy)
  std::chrono::system_clock::time_point expires{};
};

/**
 * TokenVerifier: verifies bearer JWTs. Its issuers and keys are fixed at construction; it keeps
 * a bounded memo of tokens it has verified (by their exact text), so a client presenting the same
 * token again costs a lookup and the time checks (exp, nbf, iat against `now`), not a signature
 * check. The memo goes with the verifier: a reload makes a new one (new keys, empty memo).
 * Thread-safe.
 *
 * Claims read (modelled on NHS CIS2 ID tokens; gateway/auth/README.md):
 *   iss, aud, exp (required), nbf, iat, jti; sub (user id), name;
 *   nhsid_nrbac_roles: [{person_roleid, org_code, role_code}], selected_roleid (which one is
 *   acting; optional when there is one role); role_code "S..:G..:R8000" or "R8000";
 *   purpose_of_use (caregw purpose code, e.g. "direct-care").
 */
class TokenVerifier {
public:
  struct Issuer {
    std::string audience;
    std::vector<Jwk> keys;
  };

  /** kMemoEntries: verified tokens remembered at most (the memo is emptied when full). */
  static constexpr std::size_t kMemoEntries = 4096;

  TokenVerifier(std::map<std::string, Issuer, std::less<>> issuers, std::chrono::seconds skew);
  ~TokenVerifier();
  TokenVerifier(TokenVerifier&&) noexcept;
  TokenVerifier& operator=(TokenVerifier&&) = delete;
  TokenVerifier(const TokenVerifier&) = delete;
  TokenVerifier& operator=(const TokenVerifier&) = delete;

  /** verify: checks a compact JWS and returns the user it names. */
  [[nodiscard]] TokenResult<VerifiedUser> verify(std::string_view token,
                                                 std::chrono::system_clock::time_point now) const;

  /** memo_size: tokens remembered now (for tests). */
  [[nodiscard]] std::size_t memo_size() const;

  struct Verified;  // a verified token's user and its time claims (token.cpp)
  struct Memo;

private:
  [[nodiscard]] TokenResult<Verified> verify_signed(std::string_view token,
                                                    std::int64_t now_s) const;
  [[nodiscard]] TokenResult<void> check_times(const Verified& v, std::int64_t now_s) const;

  std::map<std::string, Issuer, std::less<>> issuers_;
  std::chrono::seconds skew_;
  std::unique_ptr<Memo> memo_;
};

/** bearer_token: the token in an Authorization header value ("Bearer x"); kMissing if none. */
[[nodiscard]] TokenResult<std::string_view> bearer_token(std::string_view authorization);

/** check_organisation: the token's organisation must be the certificate's (kOrganisationMismatch).
 */
[[nodiscard]] TokenResult<void> check_organisation(const VerifiedUser& user,
                                                   std::string_view certificate_ods);

/**
 * load_verifier: reads each configured issuer's JWKS file (startup I/O). Problems are
 * appended to `errors` as file:line; returns nullptr when there were any.
 */
[[nodiscard]] std::shared_ptr<const TokenVerifier> load_verifier(
    const config::Config& config, std::vector<config::Diagnostic>& errors);

/**
 * TokenVerifierHolder: the verifier in force (the configured issuers' JWKS), replaced whole when
 * the config is reloaded (SIGHUP). A request takes it once (current()) and verifies with it; a
 * replacement never disturbs a request that already holds the old one. Thread-safe.
 */
class TokenVerifierHolder {
public:
  explicit TokenVerifierHolder(std::shared_ptr<const TokenVerifier> verifier)
      : verifier_(std::move(verifier)) {}

  /** current: the verifier in force (null only if the holder was made with none). */
  [[nodiscard]] std::shared_ptr<const TokenVerifier> current() const {
    std::lock_guard lock(mu_);
    return verifier_;
  }

  /** replace: puts `verifier` in force for requests that start from now on. */
  void replace(std::shared_ptr<const TokenVerifier> verifier) {
    std::lock_guard lock(mu_);
    verifier_.swap(verifier);
  }

private:
  mutable std::mutex mu_;
  std::shared_ptr<const TokenVerifier> verifier_;
};

// ---- signing (the demo issuer and tests) ----

/** base64url: RFC 4648 section 5 without padding. */
[[nodiscard]] std::string base64url_encode(std::string_view bytes);
/** base64url_decode: accepts unpadded base64url; nullopt on bad characters or length. */
[[nodiscard]] std::optional<std::string> base64url_decode(std::string_view text);

/** sign_jwt: a compact JWS of `payload_json` signed with `key` ("RS256" or "ES256"). */
[[nodiscard]] Result<std::string> sign_jwt(EVP_PKEY* key, std::string_view alg,
                                           std::string_view kid, std::string_view payload_json);

/** public_jwk_json: the public JWK (one object) for an RSA or EC P-256 key. */
[[nodiscard]] Result<std::string> public_jwk_json(EVP_PKEY* key, std::string_view kid,
                                                  std::string_view alg);

}  // namespace gw::auth
