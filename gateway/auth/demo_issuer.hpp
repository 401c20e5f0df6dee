// The demo identity provider: an ES256 key made on first start under <data_dir>/auth (mode
// 0600) with its JWKS, the demo users, and `caregw demo-token` which mints their tokens.
#pragma once

#include <chrono>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "gateway/auth/token.hpp"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace gw::auth {

inline constexpr std::string_view kDemoIssuer = "https://caregw.demo/idp";
inline constexpr std::string_view kDemoAudience = "caregw";
inline constexpr std::string_view kDemoKeyId = "caregw-demo-es256-1";

/** DemoUser: an invented user of the demo, with a demo organisation and a real RBAC role. */
struct DemoUser {
  std::string_view login;  // the --user name
  std::string_view id;     // token "sub"
  std::string_view name;
  std::string_view ods;
  std::string_view role_code;
  std::string_view purpose;
};

/** demo_users: gp, ae-doctor, mh-nurse, social-worker, paramedic, ig-lead, operator, integrator. */
[[nodiscard]] std::span<const DemoUser> demo_users();
[[nodiscard]] const DemoUser* find_demo_user(std::string_view login);

/** DemoIssuer: the demo signing key and where its JWKS was written. */
struct DemoIssuer {
  KeyPtr key;
  std::string key_path;
  std::string jwks_path;
};

/**
 * ensure_demo_issuer: loads <data_dir>/auth/demo-issuer.key, or makes an EC P-256 key there
 * (folder 0700, key 0600) on first use; (re)writes <data_dir>/auth/demo-jwks.json from it.
 */
[[nodiscard]] Result<DemoIssuer> ensure_demo_issuer(const std::string& data_dir);

/** mint_demo_token: a signed token for `user`, valid from `now` for `ttl`. */
[[nodiscard]] Result<std::string> mint_demo_token(const DemoIssuer& issuer, const DemoUser& user,
                                                  std::chrono::system_clock::time_point now,
                                                  std::chrono::seconds ttl = std::chrono::hours{1});

/** DemoTokenOptions: the parsed `caregw demo-token` command line. */
struct DemoTokenOptions {
  std::string data_dir = "var/demo";
  std::string user;
  CLI::Option* user_option = nullptr;
};

/** add_demo_token_command: registers `demo-token --data-dir DIR --user NAME` on `app`. */
CLI::App* add_demo_token_command(CLI::App& app, DemoTokenOptions& options);

/**
 * run_demo_token: prints a token for --user NAME on `out`; with no name, lists the demo users
 * and their organisations. Exit code per CONTRACT.md (0 ok, 1 bad input).
 */
[[nodiscard]] int run_demo_token(const DemoTokenOptions& options, std::ostream& out,
                                 std::ostream& err);

}  // namespace gw::auth
