// Bearer JWT verification: real RS256 and ES256 tokens signed in the test with keys made by
// OpenSSL, and one test per kind of refusal, each saying which.
#include "gateway/auth/token.hpp"

#include <filesystem>
#include <map>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/auth/demo_issuer.hpp"

namespace gw::auth {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

const system_clock::time_point kNow = system_clock::time_point{seconds{1'780'000'000}};
const std::int64_t kT = 1'780'000'000;

KeyPtr make_key(const char* type) {
  if (std::string_view(type) == "RSA") {
    return KeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048)));
  }
  return KeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
}

/** Claims: a token payload built field by field, so each test can break one thing. */
struct Claims {
  std::map<std::string, std::string> strings = {{"iss", "https://idp.test"},
                                                {"sub", "user-42"},
                                                {"aud", "caregw"},
                                                {"name", "Test Clinician (invented)"},
                                                {"purpose_of_use", "direct-care"},
                                                {"selected_roleid", "role-1"},
                                                {"jti", "t-1"}};
  std::map<std::string, std::int64_t> numbers = {{"iat", kT}, {"nbf", kT}, {"exp", kT + 300}};
  std::string roles =
      R"([{"person_roleid":"role-1","org_code":"Z90001","role_code":"S8000:G8000:R8000"}])";

  [[nodiscard]] std::string json() const {
    std::string out = "{";
    for (const auto& [k, v] : strings) {
      out += "\"" + k + "\":\"" + v + "\",";
    }
    for (const auto& [k, v] : numbers) {
      out += "\"" + k + "\":" + std::to_string(v) + ",";
    }
    if (!roles.empty()) {
      out += "\"nhsid_nrbac_roles\":" + roles + ",";
    }
    out.back() = '}';
    return out;
  }
};

class TokenTest : public ::testing::Test {
protected:
  TokenTest() : ec_(make_key("EC")), rsa_(make_key("RSA")) {
    const std::string jwks = "{\"keys\":[" + *public_jwk_json(ec_.get(), "ec-1", "ES256") + "," +
                             *public_jwk_json(rsa_.get(), "rsa-1", "RS256") + "]}";
    auto keys = parse_jwks(jwks);
    EXPECT_TRUE(keys.has_value());
    std::map<std::string, TokenVerifier::Issuer, std::less<>> issuers;
    issuers.emplace("https://idp.test", TokenVerifier::Issuer{"caregw", *keys});
    verifier_ = std::make_unique<TokenVerifier>(std::move(issuers), seconds{60});
  }

  std::string es256(const Claims& c, const char* kid = "ec-1") {
    return *sign_jwt(ec_.get(), "ES256", kid, c.json());
  }
  std::string rs256(const Claims& c, const char* kid = "rsa-1") {
    return *sign_jwt(rsa_.get(), "RS256", kid, c.json());
  }
  TokenErrc refusal(const std::string& token, system_clock::time_point now = kNow) {
    auto r = verifier_->verify(token, now);
    EXPECT_FALSE(r.has_value()) << "accepted: " << token;
    return r ? TokenErrc::kMissing : r.error().code;
  }

  KeyPtr ec_;
  KeyPtr rsa_;
  std::unique_ptr<TokenVerifier> verifier_;
};

TEST_F(TokenTest, Es256TokenGivesTheUser) {
  const auto token = es256(Claims{});
  const auto dot = token.rfind('.');
  EXPECT_EQ(base64url_decode(token.substr(dot + 1))->size(), 64U);  // JOSE raw r||s
  auto r = verifier_->verify(token, kNow);
  ASSERT_TRUE(r.has_value()) << r.error().detail;
  EXPECT_EQ(r->user.id, "user-42");
  EXPECT_EQ(r->user.name, "Test Clinician (invented)");
  EXPECT_EQ(r->user.role_code, "R8000");
  EXPECT_EQ(r->user.ods, "Z90001");
  EXPECT_EQ(r->user.purpose, policy::Purpose::kDirectCare);
  EXPECT_EQ(r->issuer, "https://idp.test");
  EXPECT_EQ(r->token_id, "t-1");
  EXPECT_EQ(r->expires, kNow + seconds{300});
}

TEST_F(TokenTest, Rs256TokenGivesTheUser) {
  auto r = verifier_->verify(rs256(Claims{}), kNow);
  ASSERT_TRUE(r.has_value()) << r.error().detail;
  EXPECT_EQ(r->user.role_code, "R8000");
}

TEST_F(TokenTest, SelectedRoleChoosesAmongSeveral) {
  Claims c;
  c.roles = R"([{"person_roleid":"role-0","org_code":"Z9A01","role_code":"R0050"},)"
            R"({"person_roleid":"role-1","org_code":"Z9M01","role_code":"R8001"}])";
  auto r = verifier_->verify(es256(c), kNow);
  ASSERT_TRUE(r.has_value()) << r.error().detail;
  EXPECT_EQ(r->user.ods, "Z9M01");
  EXPECT_EQ(r->user.role_code, "R8001");
}

TEST_F(TokenTest, MissingToken) {
  EXPECT_EQ(refusal(""), TokenErrc::kMissing);
  EXPECT_EQ(bearer_token("").error().code, TokenErrc::kMissing);
  EXPECT_EQ(bearer_token("Basic dXNlcjpwYXNz").error().code, TokenErrc::kMissing);
  EXPECT_EQ(*bearer_token("bearer abc.def.ghi"), "abc.def.ghi");
}

TEST_F(TokenTest, MalformedToken) {
  EXPECT_EQ(refusal("abc"), TokenErrc::kMalformed);
  EXPECT_EQ(refusal("a.b"), TokenErrc::kMalformed);
  EXPECT_EQ(refusal("a.b.c.d"), TokenErrc::kMalformed);
  EXPECT_EQ(refusal("!!.??.**"), TokenErrc::kMalformed);
  EXPECT_EQ(refusal(base64url_encode("not json") + "." + base64url_encode("{}") + ".sig"),
            TokenErrc::kMalformed);
  // alg none (an unsigned JWT, as GP Connect's audit tokens are) is never accepted.
  EXPECT_EQ(refusal(base64url_encode(R"({"alg":"none"})") + "." +
                    base64url_encode(Claims{}.json()) + "."),
            TokenErrc::kMalformed);
  EXPECT_EQ(refusal(base64url_encode(R"({"alg":"HS256"})") + "." +
                    base64url_encode(Claims{}.json()) + ".c2ln"),
            TokenErrc::kMalformed);
}

TEST_F(TokenTest, CriticalExtensionsAndHugeTokensAreRefused) {
  const std::string payload = base64url_encode(Claims{}.json());
  EXPECT_EQ(refusal(base64url_encode(R"({"alg":"ES256","kid":"ec-1","crit":["exp"]})") + "." +
                    payload + ".c2ln"),
            TokenErrc::kMalformed);
  EXPECT_EQ(refusal(std::string(20000, 'a') + ".b.c"), TokenErrc::kMalformed);
}

TEST_F(TokenTest, UnknownIssuer) {
  Claims c;
  c.strings["iss"] = "https://elsewhere.test";
  EXPECT_EQ(refusal(es256(c)), TokenErrc::kUnknownIssuer);
}

TEST_F(TokenTest, UnknownKey) {
  EXPECT_EQ(refusal(es256(Claims{}, "ec-2")), TokenErrc::kUnknownKey);
  // An RS256 header naming the EC key's kid matches no RS256 key.
  EXPECT_EQ(refusal(rs256(Claims{}, "ec-1")), TokenErrc::kUnknownKey);
}

TEST_F(TokenTest, BadSignature) {
  const KeyPtr other = make_key("EC");
  EXPECT_EQ(refusal(*sign_jwt(other.get(), "ES256", "ec-1", Claims{}.json())),
            TokenErrc::kBadSignature);
  // A changed payload under the original signature.
  const auto token = es256(Claims{});
  Claims changed;
  changed.strings["sub"] = "user-43";
  const auto d1 = token.find('.');
  const auto d2 = token.rfind('.');
  const std::string forged =
      token.substr(0, d1 + 1) + base64url_encode(changed.json()) + token.substr(d2);
  EXPECT_EQ(refusal(forged), TokenErrc::kBadSignature);
  // A truncated signature.
  EXPECT_EQ(refusal(token.substr(0, token.size() - 4)), TokenErrc::kBadSignature);
}

TEST_F(TokenTest, Expired) {
  Claims c;
  c.numbers["exp"] = kT - 61;
  EXPECT_EQ(refusal(es256(c)), TokenErrc::kExpired);
  c.numbers["exp"] = kT - 30;  // within the 60 s skew
  EXPECT_TRUE(verifier_->verify(es256(c), kNow).has_value());
  c.numbers.erase("exp");
  EXPECT_EQ(refusal(es256(c)), TokenErrc::kMissingClaim);
}

TEST_F(TokenTest, ARememberedTokenIsStillCheckedAgainstTheTimeAndItsExactBytes) {
  const auto token = es256(Claims{});
  ASSERT_TRUE(verifier_->verify(token, kNow).has_value());
  EXPECT_EQ(verifier_->memo_size(), 1U);
  auto again = verifier_->verify(token, kNow + seconds{10});
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->user.id, "user-42");
  EXPECT_EQ(again->token_id, "t-1");
  EXPECT_EQ(verifier_->memo_size(), 1U);
  // Remembered, but expired once its exp (plus the skew) has passed; not valid before nbf.
  EXPECT_EQ(refusal(token, kNow + seconds{300 + 61}), TokenErrc::kExpired);
  EXPECT_EQ(refusal(token, kNow - seconds{61}), TokenErrc::kNotYetValid);
  // One character of the signature changed: a different token, verified in full, refused.
  std::string forged = token;
  char& c = forged[forged.size() - 10];  // inside the signature, away from its padding bits
  c = c == 'A' ? 'B' : 'A';
  EXPECT_EQ(refusal(forged), TokenErrc::kBadSignature);
  // A refused token is not remembered.
  EXPECT_EQ(verifier_->memo_size(), 1U);
}

TEST_F(TokenTest, NotYetValid) {
  Claims c;
  c.numbers["nbf"] = kT + 120;
  EXPECT_EQ(refusal(es256(c)), TokenErrc::kNotYetValid);
  Claims future;
  future.numbers["iat"] = kT + 600;
  EXPECT_EQ(refusal(es256(future)), TokenErrc::kNotYetValid);
}

TEST_F(TokenTest, WrongAudience) {
  Claims c;
  c.strings["aud"] = "someone-else";
  EXPECT_EQ(refusal(es256(c)), TokenErrc::kWrongAudience);
}

TEST_F(TokenTest, MissingClaims) {
  for (const char* claim : {"sub", "name", "purpose_of_use"}) {
    Claims c;
    c.strings.erase(claim);
    EXPECT_EQ(refusal(es256(c)), TokenErrc::kMissingClaim) << claim;
  }
  Claims unknown_purpose;
  unknown_purpose.strings["purpose_of_use"] = "research";
  EXPECT_EQ(refusal(es256(unknown_purpose)), TokenErrc::kMissingClaim);
  Claims no_roles;
  no_roles.roles.clear();
  EXPECT_EQ(refusal(es256(no_roles)), TokenErrc::kMissingClaim);
  Claims ambiguous;
  ambiguous.strings.erase("selected_roleid");
  ambiguous.roles = R"([{"person_roleid":"a","org_code":"Z9A01","role_code":"R0050"},)"
                    R"({"person_roleid":"b","org_code":"Z9M01","role_code":"R8001"}])";
  EXPECT_EQ(refusal(es256(ambiguous)), TokenErrc::kMissingClaim);
  Claims no_ods;
  no_ods.roles = R"([{"person_roleid":"role-1","role_code":"R8000"}])";
  EXPECT_EQ(refusal(es256(no_ods)), TokenErrc::kMissingClaim);
}

TEST_F(TokenTest, TokenOrganisationMustBeTheCertificates) {
  auto r = verifier_->verify(es256(Claims{}), kNow);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(check_organisation(*r, "Z90001").has_value());
  const auto mismatch = check_organisation(*r, "Z9A01");
  ASSERT_FALSE(mismatch.has_value());
  EXPECT_EQ(mismatch.error().code, TokenErrc::kOrganisationMismatch);
  EXPECT_EQ(mismatch.error().to_error().code, Errc::kForbidden);
}

TEST_F(TokenTest, EachRefusalSaysWhich) {
  Claims c;
  c.strings["aud"] = "x";
  const auto r = verifier_->verify(es256(c), kNow);
  ASSERT_FALSE(r.has_value());
  const Error e = r.error().to_error();
  EXPECT_EQ(e.code, Errc::kUnauthenticated);
  EXPECT_NE(e.detail.find("wrong-audience"), std::string::npos) << e.detail;
}

TEST(Base64Url, RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 70; ++i) {
    EXPECT_EQ(base64url_decode(base64url_encode(bytes)), bytes);
    bytes.push_back(static_cast<char>(i * 37));
  }
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_FALSE(base64url_decode("a").has_value());
  EXPECT_FALSE(base64url_decode("ab+c").has_value());
}

TEST(Jwks, RefusesShortRsaKeys) {
  const KeyPtr weak(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(1024)));
  const auto jwk = public_jwk_json(weak.get(), "weak", "RS256");
  ASSERT_TRUE(jwk.has_value());
  const auto r = parse_jwks("{\"keys\":[" + *jwk + "]}");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().detail.find("shorter than 2048 bits"), std::string::npos);
}

TEST(Jwks, RefusesASetWithoutUsableKeys) {
  EXPECT_FALSE(parse_jwks("{\"keys\":[]}").has_value());
  EXPECT_FALSE(parse_jwks("{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}").has_value());
  EXPECT_FALSE(parse_jwks("[]").has_value());
  EXPECT_FALSE(
      parse_jwks(R"({"keys":[{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}]})").has_value());
}

TEST(DemoIssuer, MakesAPrivateKeyOnceAndItsTokensVerify) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("caregw-demo-issuer-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto first = ensure_demo_issuer(dir.string());
  ASSERT_TRUE(first.has_value()) << first.error().detail;
  struct stat st {};
  ASSERT_EQ(::stat(first->key_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777U, 0600U);
  auto second = ensure_demo_issuer(dir.string());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(*public_jwk_json(first->key.get(), "k", "ES256"),
            *public_jwk_json(second->key.get(), "k", "ES256"));

  config::Config cfg;
  cfg.source = "demo.yaml";
  cfg.token_issuers.push_back(config::TokenIssuer{
      std::string(kDemoIssuer), {"jwks", second->jwks_path, 3}, std::string(kDemoAudience), 1});
  std::vector<config::Diagnostic> errors;
  const auto verifier = load_verifier(cfg, errors);
  ASSERT_TRUE(verifier) << (errors.empty() ? "" : errors[0].str());
  for (const auto& u : demo_users()) {
    auto token = mint_demo_token(*first, u, kNow);
    ASSERT_TRUE(token.has_value());
    auto v = verifier->verify(*token, kNow + seconds{10});
    ASSERT_TRUE(v.has_value()) << u.login << ": " << v.error().detail;
    EXPECT_EQ(v->user.ods, u.ods);
    EXPECT_EQ(v->user.role_code, u.role_code);
    EXPECT_EQ(policy::purpose_name(v->user.purpose), u.purpose);
    EXPECT_NE(policy::find_role(u.role_code), nullptr) << u.role_code;
  }
  std::filesystem::remove_all(dir);
}

TEST(DemoIssuer, MissingJwksFileIsReportedOnItsLine) {
  config::Config cfg;
  cfg.source = "caregw.yaml";
  cfg.token_issuers.push_back(
      config::TokenIssuer{"https://idp", {"j.json", "/nonexistent/j.json", 17}, "caregw", 16});
  std::vector<config::Diagnostic> errors;
  EXPECT_EQ(load_verifier(cfg, errors), nullptr);
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_EQ(errors[0].str().rfind("caregw.yaml:17: cannot read JWKS file /nonexistent/j.json", 0),
            0U)
      << errors[0].str();
}

}  // namespace
}  // namespace gw::auth
