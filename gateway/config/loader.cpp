// YAML config loading and validation. Every error names the file and line, and loading goes on
// after an error so that one run of check-config reports everything that is wrong.
#include "gateway/config/loader.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <set>
#include <sstream>

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include "gateway/config/staff_directory.hpp"
#include "gateway/config/yaml_check.hpp"

namespace gw::config {

std::string_view org_kind_name(OrgKind k) {
  switch (k) {
    case OrgKind::kGp:
      return "gp";
    case OrgKind::kAcute:
      return "acute";
    case OrgKind::kMentalHealth:
      return "mental-health";
    case OrgKind::kSocialCare:
      return "social-care";
    case OrgKind::kAmbulance:
      return "ambulance";
  }
  return "gp";
}

std::string_view subscription_transport_name(SubscriptionTransport t) {
  switch (t) {
    case SubscriptionTransport::kHttps:
      return "https";
    case SubscriptionTransport::kMllp:
      return "mllp";
    case SubscriptionTransport::kMailbox:
      return "mailbox";
  }
  return "https";
}

std::string_view patient_scope_name(PatientScope p) {
  switch (p) {
    case PatientScope::kAll:
      return "all";
    case PatientScope::kRegisteredPractice:
      return "registered-practice";
    case PatientScope::kOpenCase:
      return "open-case";
  }
  return "all";
}

const Organisation* Config::find_organisation(const OdsCode& ods) const {
  for (const auto& o : organisations) {
    if (o.ods == ods) {
      return &o;
    }
  }
  return nullptr;
}

std::string Diagnostic::str() const {
  if (line > 0) {
    return file + ":" + std::to_string(line) + ": " + message;
  }
  return file + ": " + message;
}

namespace {

namespace fs = std::filesystem;

int line_of(const YAML::Node& n) { return config::yaml_line(n); }

class Reader {
public:
  Reader(std::string name, std::string base_dir, const LoadOptions& opts)
      : name_(std::move(name)), base_dir_(std::move(base_dir)), opts_(opts) {}

  std::vector<Diagnostic> errors;

  void error(int line, std::string msg) { errors.push_back({name_, line, std::move(msg)}); }

  /** keys: reports keys of map `n` not in `allowed`; false if `n` is not a map. */
  bool keys(const YAML::Node& n, std::string_view where,
            std::initializer_list<std::string_view> allowed) {
    return config::check_keys(n, where, allowed, [this](int line, std::string message) {
      error(line, std::move(message));
    });
  }

  bool string(const YAML::Node& parent, const char* key, std::string& out, bool required) {
    const YAML::Node n = parent[key];
    if (!n) {
      if (required) {
        error(line_of(parent), std::string("missing required key '") + key + "'");
      }
      return false;
    }
    if (!n.IsScalar() || n.Scalar().empty()) {
      error(line_of(n), std::string("'") + key + "' must be a non-empty text value");
      return false;
    }
    out = n.Scalar();
    return true;
  }

  template <class T>
  bool number(const YAML::Node& parent, const char* key, T& out, std::uint64_t min,
              std::uint64_t max) {
    const YAML::Node n = parent[key];
    if (!n) {
      return false;
    }
    const std::string& s = n.IsScalar() ? n.Scalar() : std::string();
    std::uint64_t v = 0;
    bool ok = !s.empty() && s.size() <= 19 &&
              std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (ok) {
      v = std::stoull(s);
      ok = v >= min && v <= max;
    }
    if (!ok) {
      error(line_of(n), std::string("'") + key + "' must be a whole number from " +
                            std::to_string(min) + " to " + std::to_string(max) + ", got '" + s +
                            "'");
      return false;
    }
    out = static_cast<T>(v);
    return true;
  }

  void millis(const YAML::Node& parent, const char* key, std::chrono::milliseconds& out) {
    std::uint64_t v = 0;
    if (number(parent, key, v, 1, 3'600'000)) {
      out = std::chrono::milliseconds(v);
    }
  }

  /** path: expands ${data_dir} and makes a relative path absolute against the config's folder. */
  std::string path(const std::string& raw, const std::string& data_dir) const {
    std::string p = raw;
    const std::string var = "${data_dir}";
    for (auto pos = p.find(var); pos != std::string::npos; pos = p.find(var)) {
      p.replace(pos, var.size(), data_dir);
    }
    fs::path fp(p);
    if (fp.is_relative()) {
      fp = fs::path(base_dir_) / fp;
    }
    return fp.lexically_normal().string();
  }

  void file(const YAML::Node& parent, const char* key, Located<std::string>& out,
            const std::string& data_dir) {
    std::string raw;
    if (!string(parent, key, raw, true)) {
      return;
    }
    out.value = path(raw, data_dir);
    out.line = line_of(parent[key]);
    if (opts_.check_files) {
      std::error_code ec;
      std::ifstream f(out.value);
      if (!f || !fs::is_regular_file(out.value, ec)) {
        error(out.line, std::string("'") + key + "': cannot read file " + out.value +
                            (raw.find("${data_dir}") != std::string::npos
                                 ? " (make development certificates with certs/make-dev-certs)"
                                 : ""));
      }
    }
  }

  void read(const YAML::Node& root, Config& c) {
    if (!keys(root, "the config",
              {"node_id", "data_dir", "log_level", "threads", "tls", "listeners", "limits",
               "organisations", "agreements", "token_issuers", "policy", "audit", "delivery",
               "retention", "record", "subscriptions", "mappings", "gpconnect"})) {
      return;
    }
    string(root, "node_id", c.node_id, false);
    std::string data_dir;
    if (opts_.data_dir) {
      c.data_dir = fs::absolute(*opts_.data_dir).lexically_normal().string();
    } else if (string(root, "data_dir", data_dir, true)) {
      c.data_dir = path(data_dir, "");
    }
    if (string(root, "log_level", c.log_level, false) &&
        (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" &&
         c.log_level != "error")) {
      error(line_of(root["log_level"]), "'log_level' must be debug, info, warn or error");
    }
    number(root, "threads", c.threads, 0, 256);
    read_tls(root, c);
    read_listeners(root, c);
    read_limits(root, c);
    read_organisations(root, c);
    read_agreements(root, c);
    read_token_issuers(root, c);
    read_policy(root, c);
    read_record(root, c);
    read_audit(root, c);
    read_delivery(root, c);
    read_retention(root, c);
    read_subscriptions(root, c);
    read_mappings(root, c);
    read_gpconnect(root, c);
  }

  /** file_ref: a path value as written and resolved; the file is read later by its user. */
  bool file_ref(const YAML::Node& n, std::string_view what, const std::string& data_dir,
                FileRef& out) {
    if (!n.IsScalar() || n.Scalar().empty()) {
      error(line_of(n), std::string(what) + " must be a file path");
      return false;
    }
    out = FileRef{n.Scalar(), path(n.Scalar(), data_dir), line_of(n)};
    return true;
  }

  void read_agreements(const YAML::Node& root, Config& c) {
    const YAML::Node as = root["agreements"];
    if (!as) {
      return;
    }
    if (!as.IsSequence()) {
      error(line_of(as), "'agreements' must be a list of data-sharing agreement files");
      return;
    }
    for (const auto& n : as) {
      FileRef f;
      if (file_ref(n, "an agreement", c.data_dir, f)) {
        c.agreements.push_back(std::move(f));
      }
    }
  }

  void read_token_issuers(const YAML::Node& root, Config& c) {
    const YAML::Node is = root["token_issuers"];
    if (!is) {
      return;
    }
    if (!is.IsSequence()) {
      error(line_of(is), "'token_issuers' must be a list of {issuer, jwks_file, audience}");
      return;
    }
    std::set<std::string> seen;
    for (const auto& n : is) {
      if (!keys(n, "a token issuer", {"issuer", "jwks_file", "audience"})) {
        continue;
      }
      TokenIssuer t;
      t.line = line_of(n);
      string(n, "issuer", t.issuer, true);
      string(n, "audience", t.audience, true);
      if (!n["jwks_file"]) {
        error(t.line, "missing required key 'jwks_file'");
        continue;
      }
      if (!file_ref(n["jwks_file"], "'jwks_file'", c.data_dir, t.jwks_file)) {
        continue;
      }
      if (!t.issuer.empty() && !seen.insert(t.issuer).second) {
        error(line_of(n["issuer"]), "token issuer '" + t.issuer + "' is configured twice");
        continue;
      }
      c.token_issuers.push_back(std::move(t));
    }
  }

  void read_record(const YAML::Node& root, Config& c) {
    const YAML::Node n = root["record"];
    if (!n) {
      return;
    }
    if (!keys(n, "record", {"cache_mb"})) {
      return;
    }
    number(n, "cache_mb", c.record.cache_mb, 0, 65536);
  }

  void read_policy(const YAML::Node& root, Config& c) {
    const YAML::Node n = root["policy"];
    if (!n) {
      return;
    }
    if (!keys(n, "policy",
              {"recent_encounter_days", "ambulance_incident_hours", "break_glass_hours",
               "token_clock_skew_seconds", "relationship_registered_practice",
               "relationship_encounter", "relationship_mental_health", "relationship_social_care",
               "relationship_ambulance", "recorded_inputs_days", "recorded_inputs_per_request"})) {
      return;
    }
    PolicySettings& p = c.policy;
    number(n, "recent_encounter_days", p.recent_encounter_days, 0, 3650);
    number(n, "ambulance_incident_hours", p.ambulance_incident_hours, 0, 24 * 365);
    number(n, "break_glass_hours", p.break_glass_hours, 1, 72);
    number(n, "token_clock_skew_seconds", p.token_clock_skew_seconds, 0, 600);
    number(n, "recorded_inputs_days", p.recorded_inputs_days, 0, 3650);
    number(n, "recorded_inputs_per_request", p.recorded_inputs_per_request, 1, 1000);
    (void)boolean(n, "relationship_registered_practice", p.relationship_registered_practice);
    (void)boolean(n, "relationship_encounter", p.relationship_encounter);
    (void)boolean(n, "relationship_mental_health", p.relationship_mental_health);
    (void)boolean(n, "relationship_social_care", p.relationship_social_care);
    (void)boolean(n, "relationship_ambulance", p.relationship_ambulance);
  }

  bool boolean(const YAML::Node& parent, const char* key, bool& out) {
    const YAML::Node n = parent[key];
    if (!n) {
      return false;
    }
    const std::string& s = n.IsScalar() ? n.Scalar() : std::string();
    if (s == "true") {
      out = true;
    } else if (s == "false") {
      out = false;
    } else {
      error(line_of(n), std::string("'") + key + "' must be true or false, got '" + s + "'");
      return false;
    }
    return true;
  }

  void read_audit(const YAML::Node& root, Config& c) {
    AuditConfig& a = c.audit;
    a.key_file = (fs::path(c.data_dir) / "keys" / "audit-ed25519.pem").lexically_normal().string();
    const YAML::Node n = root["audit"];
    if (!n) {
      return;
    }
    if (!keys(n, "audit",
              {"key_file", "checkpoint_every", "checkpoint_interval_s", "queue_bound", "max_batch",
               "retention_days", "unusual_activity", "staff_directory"})) {
      return;
    }
    read_staff_directory(n, c);
    std::string key_file;
    if (string(n, "key_file", key_file, false)) {
      a.key_file = path(key_file, c.data_dir);
    }
    number(n, "checkpoint_every", a.checkpoint_every, 1, 100'000'000);
    number(n, "checkpoint_interval_s", a.checkpoint_interval_s, 1, 86'400);
    number(n, "queue_bound", a.queue_bound, 1, 10'000'000);
    number(n, "max_batch", a.max_batch, 1, 1'000'000);
    number(n, "retention_days", a.retention_days, 1, 36'500);
    const YAML::Node u = n["unusual_activity"];
    if (!u) {
      return;
    }
    if (!keys(u, "audit.unusual_activity",
              {"distinct_patients", "window_minutes", "match_surname", "match_address"})) {
      return;
    }
    number(u, "distinct_patients", a.unusual_activity.distinct_patients, 2, 1'000'000);
    number(u, "window_minutes", a.unusual_activity.window_minutes, 1, 10'080);
    boolean(u, "match_surname", a.unusual_activity.match_surname);
    boolean(u, "match_address", a.unusual_activity.match_address);
  }

  /** read_staff_directory: `audit.staff_directory`, read and checked now (errors name its lines),
   * so a bad directory fails check-config and a reload keeps the old config. */
  void read_staff_directory(const YAML::Node& audit, Config& c) {
    const YAML::Node n = audit["staff_directory"];
    if (!n) {
      return;
    }
    FileRef& ref = c.audit.staff_directory_file;
    if (!file_ref(n, "'audit.staff_directory'", c.data_dir, ref)) {
      return;
    }
    std::optional<std::string> text;
    if (opts_.read_file) {
      text = opts_.read_file(ref);
    } else {
      std::ifstream f(ref.path, std::ios::binary);
      std::error_code ec;
      if (f && fs::is_regular_file(ref.path, ec)) {
        std::stringstream ss;
        ss << f.rdbuf();
        text = ss.str();
      }
    }
    if (!text) {
      error(ref.line, "'audit.staff_directory': cannot read file " + ref.path);
      return;
    }
    std::vector<Diagnostic> problems;
    c.audit.staff_directory = parse_staff_directory(*text, ref.path, problems);
    for (auto& d : problems) {
      errors.push_back(std::move(d));
    }
  }

  /** read_mappings: the mappings directory, relative to the config file like every path. */
  /** asid: a Spine ASID (accredited system id): digits only, at most 20. */
  bool asid(const YAML::Node& parent, std::string& out) {
    if (!string(parent, "asid", out, true)) {
      return false;
    }
    if (out.size() > 20 ||
        !std::all_of(out.begin(), out.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      error(line_of(parent["asid"]),
            "'asid' must be a Spine ASID (digits only, at most 20), got '" + out + "'");
      return false;
    }
    return true;
  }

  /** https_url: `key` holds an https URL with a host (https://host[:port]/path). */
  bool https_url(const YAML::Node& parent, const char* key, std::string& out, bool required) {
    if (!string(parent, key, out, required)) {
      return false;
    }
    if (out.rfind("https://", 0) != 0 || out.size() <= 8 || out[8] == '/') {
      error(line_of(parent[key]), std::string("'") + key +
                                      "' must be an https URL (https://host[:port]/path), got '" +
                                      out + "'");
      return false;
    }
    return true;
  }

  /** read_gpconnect_provider: an organisation's `gpconnect: {endpoint, asid}`, if it has one. */
  std::optional<GpConnectProvider> read_gpconnect_provider(const YAML::Node& org) {
    const YAML::Node n = org["gpconnect"];
    if (!n || !keys(n, "an organisation's 'gpconnect'", {"endpoint", "asid"})) {
      return std::nullopt;
    }
    GpConnectProvider p;
    p.line = line_of(n);
    const bool url_ok = https_url(n, "endpoint", p.endpoint, true);
    const bool asid_ok = asid(n, p.asid);  // both checked, so both are reported
    if (!url_ok || !asid_ok) {
      return std::nullopt;
    }
    while (p.endpoint.size() > 9 && p.endpoint.back() == '/') {
      p.endpoint.pop_back();  // the FHIR base; operations are appended as /Patient/$...
    }
    return p;
  }

  /**
   * read_gpconnect: the gateway as a GP Connect consumer (`gpconnect: {asid, ods, name,
   * system_url, timeout_ms}`), and the checks that tie it to the practices' endpoints: a
   * practice endpoint needs the gateway's ASID and ODS code and a client certificate
   * (`delivery:`), since GP Connect is called over mutual TLS.
   */
  void read_gpconnect(const YAML::Node& root, Config& c) {
    const YAML::Node n = root["gpconnect"];
    auto& g = c.gpconnect;
    if (n && keys(n, "'gpconnect'", {"asid", "ods", "name", "system_url", "timeout_ms"})) {
      g.line = line_of(n);
      (void)asid(n, g.asid);
      if (string(n, "ods", g.ods, true)) {
        if (auto ods = OdsCode::parse(g.ods); !ods) {
          error(line_of(n["ods"]), ods.error().detail + " ('" + g.ods + "')");
        } else {
          g.ods = ods->str();
        }
      }
      string(n, "name", g.name, false);
      https_url(n, "system_url", g.system_url, false);
      millis(n, "timeout_ms", g.timeout);
    }
    if (g.system_url.empty()) {
      g.system_url = "https://caregw.invalid/" + c.node_id;
    }
    for (const auto& o : c.organisations) {
      if (!o.gpconnect) {
        continue;
      }
      if (o.kind != OrgKind::kGp) {
        error(o.gpconnect->line, "'gpconnect' is for GP practices (kind gp); organisation " +
                                     o.ods.str() + " is " + std::string(org_kind_name(o.kind)));
      }
      if (g.asid.empty() || g.ods.empty()) {
        error(o.gpconnect->line,
              "querying a practice over GP Connect needs the gateway's own ASID and ODS code: "
              "add a top-level 'gpconnect:' section with 'asid' and 'ods'");
      }
      if (c.delivery.client_certificate.value.empty()) {
        error(o.gpconnect->line,
              "GP Connect is called over mutual TLS: set delivery.client_certificate and "
              "delivery.client_key (the gateway's client certificate)");
      }
    }
  }

  void read_mappings(const YAML::Node& root, Config& c) {
    std::string raw;
    if (string(root, "mappings", raw, false)) {
      c.mappings = {path(raw, c.data_dir), line_of(root["mappings"])};
    } else {
      c.mappings = {path("mappings", c.data_dir), 0};
    }
  }

  void read_tls(const YAML::Node& root, Config& c) {
    const YAML::Node t = root["tls"];
    if (!t) {
      error(line_of(root), "missing required key 'tls' (certificate, private_key, client_ca)");
      return;
    }
    if (!keys(t, "tls", {"certificate", "private_key", "client_ca"})) {
      return;
    }
    file(t, "certificate", c.tls.certificate, c.data_dir);
    file(t, "private_key", c.tls.private_key, c.data_dir);
    file(t, "client_ca", c.tls.client_ca, c.data_dir);
  }

  void read_listeners(const YAML::Node& root, Config& c) {
    const YAML::Node ls = root["listeners"];
    if (!ls || !ls.IsSequence() || ls.size() == 0) {
      error(line_of(ls ? ls : root), "'listeners' must be a list with at least one listener");
      return;
    }
    std::set<std::string> names;
    std::set<std::uint16_t> ports;
    for (const auto& n : ls) {
      if (!keys(n, "a listener", {"name", "address", "port", "client_certificate", "protocol"})) {
        continue;
      }
      Listener l;
      l.line = line_of(n);
      string(n, "name", l.name, true);
      if (!l.name.empty() && !names.insert(l.name).second) {
        error(line_of(n["name"]), "listener name '" + l.name + "' is used twice");
      }
      if (string(n, "address", l.address, false)) {
        unsigned char buf[16];
        if (inet_pton(AF_INET, l.address.c_str(), buf) != 1 &&
            inet_pton(AF_INET6, l.address.c_str(), buf) != 1) {
          error(line_of(n["address"]), "'address' must be an IP address, got '" + l.address + "'");
        }
      }
      if (!n["port"]) {
        error(l.line, "missing required key 'port'");
      } else if (number(n, "port", l.port, 0, 65535) && l.port != 0 &&
                 !ports.insert(l.port).second) {
        error(line_of(n["port"]), "port " + std::to_string(l.port) + " is used by two listeners");
      }
      std::string cc;
      if (string(n, "client_certificate", cc, false)) {
        if (cc == "required") {
          l.client_certificate = ClientCert::kRequired;
        } else if (cc == "optional") {
          l.client_certificate = ClientCert::kOptional;
        } else {
          error(line_of(n["client_certificate"]),
                "'client_certificate' must be required or optional, got '" + cc + "'");
        }
      }
      std::string protocol;
      if (string(n, "protocol", protocol, false)) {
        if (protocol == "https") {
          l.protocol = ListenerProtocol::kHttps;
        } else if (protocol == "mllp") {
          l.protocol = ListenerProtocol::kMllp;
          if (l.client_certificate != ClientCert::kRequired) {
            error(line_of(n["client_certificate"]),
                  "an mllp listener must require client certificates: the sending system is "
                  "known only by its certificate");
          }
        } else {
          error(line_of(n["protocol"]), "'protocol' must be https or mllp, got '" + protocol + "'");
        }
      }
      c.listeners.push_back(std::move(l));
    }
  }

  void read_limits(const YAML::Node& root, Config& c) {
    const YAML::Node n = root["limits"];
    if (!n) {
      return;
    }
    if (!keys(n, "limits",
              {"max_header_bytes", "max_body_bytes", "max_requests_per_connection",
               "max_connections", "handshake_timeout_ms", "header_timeout_ms", "body_timeout_ms",
               "idle_timeout_ms", "write_timeout_ms", "shutdown_grace_ms"})) {
      return;
    }
    Limits& l = c.limits;
    number(n, "max_header_bytes", l.max_header_bytes, 1024, 1024 * 1024);
    number(n, "max_body_bytes", l.max_body_bytes, 1024, std::uint64_t{1} << 32U);
    number(n, "max_requests_per_connection", l.max_requests_per_connection, 1, 1'000'000);
    number(n, "max_connections", l.max_connections, 1, 1'000'000);
    millis(n, "handshake_timeout_ms", l.handshake_timeout);
    millis(n, "header_timeout_ms", l.header_timeout);
    millis(n, "body_timeout_ms", l.body_timeout);
    millis(n, "idle_timeout_ms", l.idle_timeout);
    millis(n, "write_timeout_ms", l.write_timeout);
    millis(n, "shutdown_grace_ms", l.shutdown_grace);
  }

  void read_organisations(const YAML::Node& root, Config& c) {
    const YAML::Node os = root["organisations"];
    if (!os) {
      return;
    }
    if (!os.IsSequence()) {
      error(line_of(os), "'organisations' must be a list");
      return;
    }
    std::set<std::string> seen;
    for (const auto& n : os) {
      if (!keys(n, "an organisation",
                {"ods", "name", "kind", "certificate_subject", "gpconnect"})) {
        continue;
      }
      std::string ods_text, name, kind, subject;
      const bool has_ods = string(n, "ods", ods_text, true);
      string(n, "name", name, true);
      string(n, "kind", kind, true);
      string(n, "certificate_subject", subject, false);
      auto k = parse_kind(kind);
      if (!kind.empty() && !k) {
        error(line_of(n["kind"]),
              "unknown organisation kind '" + kind +
                  "' (expected gp, acute, mental-health, social-care or ambulance)");
      }
      if (!has_ods) {
        continue;
      }
      auto ods = OdsCode::parse(ods_text);
      if (!ods) {
        error(line_of(n["ods"]), ods.error().detail + " ('" + ods_text + "')");
        continue;
      }
      if (!seen.insert(ods->str()).second) {
        error(line_of(n["ods"]), "organisation " + ods->str() + " is configured twice");
        continue;
      }
      c.organisations.push_back(Organisation{*ods, std::move(name), k.value_or(OrgKind::kGp),
                                             std::move(subject), line_of(n),
                                             read_gpconnect_provider(n)});
    }
  }

  void read_delivery(const YAML::Node& root, Config& c) {
    const YAML::Node n = root["delivery"];
    if (!n || !keys(n, "'delivery'",
                    {"max_attempts", "max_age_s", "initial_backoff_ms", "max_backoff_ms",
                     "timeout_ms", "workers", "client_certificate", "client_key", "ca"})) {
      return;
    }
    auto& d = c.delivery;
    number(n, "max_attempts", d.max_attempts, 1, 1000);
    std::uint64_t age = 0;
    if (number(n, "max_age_s", age, 1, std::uint64_t{30} * 24 * 3600)) {
      d.max_age = std::chrono::seconds(age);
    }
    millis(n, "initial_backoff_ms", d.initial_backoff);
    millis(n, "max_backoff_ms", d.max_backoff);
    millis(n, "timeout_ms", d.timeout);
    number(n, "workers", d.workers, 1, 64);
    if (d.max_backoff < d.initial_backoff) {
      error(line_of(n), "'max_backoff_ms' must not be less than 'initial_backoff_ms'");
    }
    const bool has_cert = static_cast<bool>(n["client_certificate"]);
    if (has_cert != static_cast<bool>(n["client_key"])) {
      error(line_of(n), "'client_certificate' and 'client_key' come together");
    }
    if (has_cert) {
      file(n, "client_certificate", d.client_certificate, c.data_dir);
      file(n, "client_key", d.client_key, c.data_dir);
    }
    if (n["ca"]) {
      file(n, "ca", d.ca, c.data_dir);
    }
  }

  /** read_retention: `retention:` (journal bytes and finished outbound messages). */
  void read_retention(const YAML::Node& root, Config& c) {
    const YAML::Node n = root["retention"];
    if (!n || !keys(n, "'retention'", {"journal_days", "delivered_days", "interval_s"})) {
      return;
    }
    number(n, "journal_days", c.retention.journal_days, 0, 36'500);
    number(n, "delivered_days", c.retention.delivered_days, 0, 36'500);
    std::uint64_t interval = 0;
    if (number(n, "interval_s", interval, 1, std::uint64_t{7} * 24 * 3600)) {
      c.retention.interval = std::chrono::seconds(interval);
    }
  }

  /** list: a list of non-empty text values (or one value) into `out`. */
  void list(const YAML::Node& parent, const char* key, std::vector<std::string>& out) {
    const YAML::Node n = parent[key];
    if (!n) {
      return;
    }
    if (n.IsScalar() && !n.Scalar().empty()) {
      out.push_back(n.Scalar());
      return;
    }
    if (!n.IsSequence() || n.size() == 0) {
      error(line_of(n), std::string("'") + key + "' must be a non-empty list of text values");
      return;
    }
    for (const auto& v : n) {
      if (!v.IsScalar() || v.Scalar().empty()) {
        error(line_of(v), std::string("'") + key + "' entries must be non-empty text values");
        continue;
      }
      out.push_back(v.Scalar());
    }
  }

  void read_subscriptions(const YAML::Node& root, Config& c) {
    const YAML::Node subs = root["subscriptions"];
    if (!subs) {
      return;
    }
    if (!subs.IsSequence()) {
      error(line_of(subs), "'subscriptions' must be a list");
      return;
    }
    std::set<std::string> names;
    for (const auto& n : subs) {
      if (!keys(n, "a subscription",
                {"name", "recipient", "message_kinds", "events", "resource_types", "patients",
                 "transport", "endpoint", "format"})) {
        continue;
      }
      auto s = read_subscription(n, c);
      if (!s) {
        continue;
      }
      if (!names.insert(s->name).second) {
        error(line_of(n["name"]), "subscription name '" + s->name + "' is used twice");
        continue;
      }
      c.subscriptions.push_back(std::move(*s));
    }
  }

  std::optional<Subscription> read_subscription(const YAML::Node& n, const Config& c) {
    // OdsCode has no empty value: the recipient is parsed first and "X00" stands in
    // while the other keys are still checked (and reported) when it is bad.
    Subscription s{.name = {},
                   .recipient = *OdsCode::parse("X00"),
                   .message_kinds = {},
                   .events = {},
                   .resource_types = {},
                   .patients = PatientScope::kAll,
                   .transport = SubscriptionTransport::kHttps,
                   .endpoint = {},
                   .format = {},
                   .line = 0};
    s.line = line_of(n);
    std::string recipient, patients = "all", transport, format;
    const bool ok_name = string(n, "name", s.name, true);
    const bool ok_recipient = string(n, "recipient", recipient, true);
    const bool ok_transport = string(n, "transport", transport, true);
    const bool ok_format = string(n, "format", format, true);
    string(n, "patients", patients, false);
    string(n, "endpoint", s.endpoint, false);
    list(n, "message_kinds", s.message_kinds);
    list(n, "events", s.events);
    list(n, "resource_types", s.resource_types);
    if (s.message_kinds.empty() && s.events.empty() && s.resource_types.empty()) {
      error(s.line, "a subscription must name message_kinds, events or resource_types");
    }
    if (!ok_name || !ok_recipient || !ok_transport || !ok_format) {
      return std::nullopt;
    }
    auto ods = OdsCode::parse(recipient);
    if (!ods) {
      error(line_of(n["recipient"]), ods.error().detail + " ('" + recipient + "')");
      return std::nullopt;
    }
    if (c.find_organisation(*ods) == nullptr) {
      error(line_of(n["recipient"]),
            "recipient " + ods->str() + " is not one of the configured organisations");
    }
    s.recipient = *ods;
    if (patients == "all") {
      s.patients = PatientScope::kAll;
    } else if (patients == "registered-practice") {
      s.patients = PatientScope::kRegisteredPractice;
    } else if (patients == "open-case") {
      s.patients = PatientScope::kOpenCase;
    } else {
      error(line_of(n["patients"]), "'patients' must be all, registered-practice or open-case");
    }
    read_transport(n, transport, s);
    static constexpr std::string_view kFormats[] = {
        "fhir-r4", "fhir-r4-xml", "fhir-stu3", "fhir-stu3-xml", "hl7v2",
        "itk",     "emis-xml",    "mh-json",   "las-json",      "ambulance-json"};
    if (std::find(std::begin(kFormats), std::end(kFormats), format) == std::end(kFormats)) {
      error(line_of(n["format"]), "unknown format '" + format +
                                      "' (expected one of the translate kinds: fhir-r4, "
                                      "fhir-r4-xml, fhir-stu3, fhir-stu3-xml, hl7v2, itk, "
                                      "emis-xml, mh-json, las-json, ambulance-json)");
    }
    s.format = std::move(format);
    return s;
  }

  void read_transport(const YAML::Node& n, const std::string& transport, Subscription& s) {
    const int line = line_of(n["transport"]);
    if (transport == "mailbox") {
      s.transport = SubscriptionTransport::kMailbox;
      if (!s.endpoint.empty()) {
        error(line_of(n["endpoint"]), "a mailbox subscription has no 'endpoint'");
      }
      return;
    }
    if (transport == "https") {
      s.transport = SubscriptionTransport::kHttps;
      if (s.endpoint.empty()) {
        error(line, "an https subscription needs an 'endpoint' (https://host[:port]/path)");
      } else if (s.endpoint.rfind("https://", 0) != 0 || s.endpoint.size() <= 8 ||
                 s.endpoint[8] == '/') {
        error(
            line_of(n["endpoint"]),
            "'endpoint' must be an https URL (https://host[:port]/path), got '" + s.endpoint + "'");
      }
      return;
    }
    if (transport == "mllp") {
      s.transport = SubscriptionTransport::kMllp;
      const auto colon = s.endpoint.rfind(':');
      std::uint64_t port = 0;
      const std::string port_text = colon == std::string::npos ? "" : s.endpoint.substr(colon + 1);
      const bool digits = !port_text.empty() && port_text.size() <= 5 &&
                          std::all_of(port_text.begin(), port_text.end(),
                                      [](char ch) { return ch >= '0' && ch <= '9'; });
      if (digits) {
        port = std::stoull(port_text);
      }
      if (colon == std::string::npos || colon == 0 || port == 0 || port > 65535) {
        error(s.endpoint.empty() ? line : line_of(n["endpoint"]),
              "an mllp subscription needs an 'endpoint' of host:port");
      }
      return;
    }
    error(line, "'transport' must be https, mllp or mailbox, got '" + transport + "'");
  }

  static std::optional<OrgKind> parse_kind(std::string_view s) {
    for (auto k : {OrgKind::kGp, OrgKind::kAcute, OrgKind::kMentalHealth, OrgKind::kSocialCare,
                   OrgKind::kAmbulance}) {
      if (org_kind_name(k) == s) {
        return k;
      }
    }
    return std::nullopt;
  }

private:
  std::string name_;
  std::string base_dir_;
  const LoadOptions& opts_;
};

}  // namespace

LoadResult load_text(std::string_view text, const std::string& name, const std::string& base_dir,
                     const LoadOptions& opts) {
  LoadResult out;
  Reader r(name, base_dir, opts);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    r.error(e.mark.line >= 0 ? e.mark.line + 1 : 0, "not valid YAML: " + e.msg);
    out.errors = std::move(r.errors);
    return out;
  }
  auto c = std::make_shared<Config>();
  c->source = name;
  try {
    r.read(root, *c);
  } catch (const YAML::Exception& e) {
    r.error(e.mark.line >= 0 ? e.mark.line + 1 : 0, e.msg);
  }
  out.errors = std::move(r.errors);
  if (out.errors.empty()) {
    out.config = std::move(c);
  }
  return out;
}

LoadResult load_file(const std::string& path, const LoadOptions& opts) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    LoadResult out;
    out.errors.push_back({path, 0, "cannot open the config file"});
    return out;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  const auto base = fs::absolute(fs::path(path)).parent_path().string();
  return load_text(ss.str(), path, base, opts);
}

}  // namespace gw::config
