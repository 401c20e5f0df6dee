// The demo issuer's key, JWKS and tokens, and the demo-token command.
#include "gateway/auth/demo_issuer.hpp"

#include <array>
#include <filesystem>
#include <fstream>
#include <ostream>

#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gw::auth {

namespace {

namespace fs = std::filesystem;

// Invented people; ODS codes from examples/demo/caregw.yaml; role codes from
// gateway/policy/vocabulary.cpp (NHS RBAC, with sources).
constexpr std::array<DemoUser, 8> kUsers = {{
    {"gp", "demo-user-gp", "Dr Alex Demo (GP, invented)", "Z90001", "R8000", "direct-care"},
    {"ae-doctor", "demo-user-ae", "Dr Sam Example (A&E consultant, invented)", "Z9A01", "R0050",
     "direct-care"},
    {"mh-nurse", "demo-user-mh", "Jo Sample (mental health nurse, invented)", "Z9M01", "R8001",
     "direct-care"},
    {"social-worker", "demo-user-sw", "Chris Exampleton (social worker, invented)", "Z9S01",
     "R1330", "direct-care"},
    {"paramedic", "demo-user-para", "Pat Fictional (paramedic, invented)", "Z9L01", "R1070",
     "direct-care"},
    {"ig-lead", "demo-user-ig", "Robin Test (IG lead, invented)", "Z9A01", "R5100", "ig-audit"},
    {"operator", "demo-user-ops", "Kim Sampleford (integration operator, invented)", "Z9A01",
     "R8008", "operations"},
    {"integrator", "demo-user-int", "Sam Configworth (system integrator, invented)", "Z9A01",
     "R8008", "integration"},
}};

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

Result<void> write_private(const std::string& path, const std::string& data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(Errc::kUnavailable, "cannot create " + path);
  }
  const bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  ::close(fd);
  if (!ok) {
    return make_error(Errc::kUnavailable, "cannot write " + path);
  }
  return {};
}

Result<KeyPtr> load_or_make_key(const std::string& path) {
  std::error_code ec;
  if (fs::exists(path, ec)) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new_file(path.c_str(), "r"));
    EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
    if (key == nullptr) {
      return make_error(Errc::kUnavailable, "cannot read the demo issuer key " + path);
    }
    return KeyPtr(key);
  }
  KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  std::unique_ptr<BIO, BioFree> mem(BIO_new(BIO_s_mem()));
  if (!key || !mem ||
      PEM_write_bio_PrivateKey(mem.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return make_error(Errc::kInternal, "cannot make the demo issuer key");
  }
  char* data = nullptr;
  const long len = BIO_ctrl(mem.get(), BIO_CTRL_INFO, 0, static_cast<void*>(&data));
  if (auto w = write_private(path, std::string(data, static_cast<std::size_t>(len))); !w) {
    return w.error();
  }
  return key;
}

std::string random_id() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) {
    return "demo";
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : b) {
    out.push_back(kHex[c >> 4U]);
    out.push_back(kHex[c & 15U]);
  }
  return out;
}

}  // namespace

std::span<const DemoUser> demo_users() { return kUsers; }

const DemoUser* find_demo_user(std::string_view login) {
  for (const auto& u : kUsers) {
    if (u.login == login) {
      return &u;
    }
  }
  return nullptr;
}

Result<DemoIssuer> ensure_demo_issuer(const std::string& data_dir) {
  const fs::path dir = fs::path(data_dir) / "auth";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || ::chmod(dir.c_str(), 0700) != 0) {
    return make_error(Errc::kUnavailable, "cannot make " + dir.string());
  }
  DemoIssuer out;
  out.key_path = (dir / "demo-issuer.key").string();
  out.jwks_path = (dir / "demo-jwks.json").string();
  auto key = load_or_make_key(out.key_path);
  if (!key) {
    return key.error();
  }
  out.key = std::move(*key);
  auto jwk = public_jwk_json(out.key.get(), kDemoKeyId, "ES256");
  if (!jwk) {
    return jwk.error();
  }
  const std::string jwks = "{\"keys\":[" + *jwk + "]}\n";
  const std::string tmp = out.jwks_path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << jwks;
    if (!f) {
      return make_error(Errc::kUnavailable, "cannot write " + tmp);
    }
  }
  fs::rename(tmp, out.jwks_path, ec);
  if (ec) {
    return make_error(Errc::kUnavailable, "cannot write " + out.jwks_path);
  }
  return out;
}

Result<std::string> mint_demo_token(const DemoIssuer& issuer, const DemoUser& user,
                                    std::chrono::system_clock::time_point now,
                                    std::chrono::seconds ttl) {
  const auto t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  auto kv = [&](const char* k, std::string_view v) {
    w.Key(k);
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  };
  const std::string role_id = "demo-role-" + std::string(user.login);
  w.StartObject();
  kv("iss", kDemoIssuer);
  kv("sub", user.id);
  kv("aud", kDemoAudience);
  w.Key("iat");
  w.Int64(t);
  w.Key("nbf");
  w.Int64(t);
  w.Key("exp");
  w.Int64(t + ttl.count());
  kv("jti", random_id());
  kv("name", user.name);
  w.Key("nhsid_nrbac_roles");
  w.StartArray();
  w.StartObject();
  kv("person_roleid", role_id);
  kv("org_code", user.ods);
  kv("role_code", user.role_code);
  w.EndObject();
  w.EndArray();
  kv("selected_roleid", role_id);
  kv("purpose_of_use", user.purpose);
  w.EndObject();
  return sign_jwt(issuer.key.get(), "ES256", kDemoKeyId, {sb.GetString(), sb.GetSize()});
}

CLI::App* add_demo_token_command(CLI::App& app, DemoTokenOptions& options) {
  auto* sub = app.add_subcommand(
      "demo-token", "Print a bearer token for a demo user (signed by the demo issuer)");
  sub->add_option("--data-dir", options.data_dir, "Data directory (default: ./var/demo)");
  options.user_option =
      sub->add_option("--user", options.user,
                      "Demo user: gp, ae-doctor, mh-nurse, social-worker, paramedic, ig-lead, "
                      "operator, integrator (no value: list them)")
          ->expected(0, 1);
  return sub;
}

int run_demo_token(const DemoTokenOptions& options, std::ostream& out, std::ostream& err) {
  if (options.user.empty()) {
    for (const auto& u : kUsers) {
      out << u.login << "\t" << u.ods << "\t" << u.role_code << "\t" << u.purpose << "\t" << u.name
          << '\n';
    }
    return 0;
  }
  const DemoUser* user = find_demo_user(options.user);
  if (user == nullptr) {
    err << "caregw demo-token: unknown demo user '" << options.user
        << "' (caregw demo-token --user lists them)\n";
    return 1;
  }
  auto issuer = ensure_demo_issuer(options.data_dir);
  if (!issuer) {
    err << "caregw demo-token: " << issuer.error().detail << '\n';
    return 1;
  }
  auto token = mint_demo_token(*issuer, *user, std::chrono::system_clock::now());
  if (!token) {
    err << "caregw demo-token: " << token.error().detail << '\n';
    return 1;
  }
  out << *token << '\n';
  return 0;
}

}  // namespace gw::auth
