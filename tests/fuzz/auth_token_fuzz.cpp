// libFuzzer target for bearer tokens (gateway/auth/token.hpp): the verifier must refuse any
// input it cannot verify without crashing, and base64url must round-trip whatever bytes it is
// given. A violation aborts so the fuzzer keeps the input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string_view>

#include <openssl/evp.h>

#include "gateway/auth/token.hpp"

namespace {

const gw::auth::TokenVerifier& verifier() {
  static const gw::auth::TokenVerifier v = [] {
    const gw::auth::KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    const auto jwk = gw::auth::public_jwk_json(key.get(), "caregw-demo-es256-1", "ES256");
    auto keys = gw::auth::parse_jwks("{\"keys\":[" + (jwk ? *jwk : std::string()) + "]}");
    std::map<std::string, gw::auth::TokenVerifier::Issuer, std::less<>> issuers;
    if (keys) {
      issuers.emplace("https://caregw.demo/idp", gw::auth::TokenVerifier::Issuer{"caregw", *keys});
    }
    return gw::auth::TokenVerifier(std::move(issuers), std::chrono::seconds{60});
  }();
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // No input is signed by this run's key, so nothing may verify.
  if (verifier().verify(input, std::chrono::system_clock::time_point{}).has_value()) {
    std::fprintf(stderr, "auth_token_fuzz: an unsigned input verified\n");
    std::abort();
  }
  if (gw::auth::base64url_decode(gw::auth::base64url_encode(input)) != std::string(input)) {
    std::fprintf(stderr, "auth_token_fuzz: base64url did not round-trip\n");
    std::abort();
  }
  (void)gw::auth::base64url_decode(input);
  (void)gw::auth::bearer_token(input);
  return 0;
}
