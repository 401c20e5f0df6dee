// Config reload: staging, swapping and auditing the parts a new config puts in force.
#include "gateway/pipeline/reload.hpp"

#include <algorithm>

#include "gateway/core/log.hpp"

namespace gw::pipeline {
namespace {

/** kMaxReason, kMaxAgreements: audit text is bounded (audit::validate_record allows 4 KiB per
 * field); each part is cut on its own so a long reason never hides the agreements in force. */
constexpr std::size_t kMaxReason = 1000;
constexpr std::size_t kMaxAgreements = 2000;

/** safe_text: control characters as spaces, cut at `max` bytes on a UTF-8 boundary. */
std::string safe_text(std::string s, std::size_t max) {
  for (auto& c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      c = ' ';
    }
  }
  if (s.size() > max) {
    std::size_t cut = max - 3;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) {
      --cut;  // do not split a multi-byte character
    }
    s.resize(cut);
    s += "...";
  }
  return s;
}

/** agreements_in_force: "DSA-A v1.0, DSA-B v2" or "none". */
std::string agreements_in_force(const policy::PolicyIndex* index) {
  std::string out;
  if (index != nullptr) {
    for (const auto& a : index->agreements()) {
      out += (out.empty() ? "" : ", ") + a.id + " v" + a.version;
    }
  }
  return out.empty() ? "none" : safe_text(std::move(out), kMaxAgreements);
}

/** rejection: the first problem and how many more. */
std::string rejection(const std::vector<config::Diagnostic>& errors) {
  if (errors.empty()) {
    return "rejected";
  }
  std::string out = "rejected: " + safe_text(errors.front().str(), kMaxReason);
  if (errors.size() > 1) {
    out += " (and " + std::to_string(errors.size() - 1) + " more)";
  }
  return out;
}

}  // namespace

std::optional<StagedReload> stage_reload(const config::Config& next, const policy::FileReader& read,
                                         policy::TimePoint now,
                                         std::vector<config::Diagnostic>& errors) {
  const std::size_t before = errors.size();
  auto set = policy::load_policy_set(next, read, now, errors);
  auto tokens = auth::load_verifier(next, errors);
  if (errors.size() != before || !set || tokens == nullptr) {
    return std::nullopt;
  }
  return StagedReload{std::move(*set), std::move(tokens)};
}

void apply_reload(StagedReload&& staged, policy::PolicyHolder& policy,
                  auth::TokenVerifierHolder& tokens) {
  policy.replace(std::move(staged.policy));
  tokens.replace(std::move(staged.tokens));
}

std::vector<audit::AuditRecord> reload_audit_records(const ReloadOutcome& outcome) {
  const std::string agreements = agreements_in_force(outcome.in_force);
  audit::AuditRecord config;
  config.type = audit::EventType::kConfigReload;
  config.outcome = outcome.applied ? audit::Outcome::kSuccess : audit::Outcome::kMinorFailure;
  config.node_id = outcome.node_id;
  config.user_id = outcome.trigger;
  config.detail =
      outcome.applied
          ? "config reloaded: token issuers, agreements, mappings and TLS in force"
          : "config reload " + rejection(outcome.errors) + "; the running config stays in force";
  audit::AuditRecord dsa = config;
  dsa.type = audit::EventType::kDsaReload;
  dsa.detail = (outcome.applied ? std::string("agreements reloaded; in force: ")
                                : "agreements not reloaded (the config reload was " +
                                      rejection(outcome.errors) + "); still in force: ") +
               agreements;
  return {std::move(config), std::move(dsa)};
}

void audit_reload(audit::AuditLog& log, const ReloadOutcome& outcome) {
  for (auto& r : reload_audit_records(outcome)) {
    const std::string_view event = audit::event_type_name(r.type);
    log.append(std::move(r), [event](Result<std::uint64_t> written) {
      if (!written) {
        log::error("reload_audit_failed", {{"event", event}, {"error", written.error().detail}});
      }
    });
  }
}

}  // namespace gw::pipeline
