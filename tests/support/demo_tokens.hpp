// The demo issuer in tests: a verifier trusting its JWKS (as `serve --demo` does) and tokens
// minted for the demo users (gateway/auth/demo_issuer.hpp).
#pragma once

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "gateway/auth/demo_issuer.hpp"
#include "gateway/auth/token.hpp"

namespace gw::test {

/** demo_verifier: a verifier holder trusting the JWKS the demo issuer wrote at jwks_path. */
inline Result<std::unique_ptr<auth::TokenVerifierHolder>> demo_verifier(
    const auth::DemoIssuer& issuer) {
  std::ifstream jwks(issuer.jwks_path);
  std::stringstream text;
  text << jwks.rdbuf();
  auto keys = auth::parse_jwks(text.str());
  if (!keys) {
    return keys.error();
  }
  std::map<std::string, auth::TokenVerifier::Issuer, std::less<>> issuers;
  issuers.emplace(std::string(auth::kDemoIssuer),
                  auth::TokenVerifier::Issuer{std::string(auth::kDemoAudience), *keys});
  return std::make_unique<auth::TokenVerifierHolder>(
      std::make_shared<const auth::TokenVerifier>(std::move(issuers), std::chrono::seconds(60)));
}

/** demo_token: a token for the demo user `login`, valid from now ("" and a test failure when
 * there is no such user or it cannot be signed). */
inline std::string demo_token(const auth::DemoIssuer& issuer, std::string_view login) {
  const auto* user = auth::find_demo_user(login);
  EXPECT_NE(user, nullptr) << login;
  if (user == nullptr) {
    return {};
  }
  auto t = auth::mint_demo_token(issuer, *user, std::chrono::system_clock::now());
  EXPECT_TRUE(t);
  return t ? *t : std::string();
}

}  // namespace gw::test
