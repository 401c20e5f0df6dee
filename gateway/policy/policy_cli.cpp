// The `caregw policy` command.
#include "gateway/policy/policy_cli.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>

#include <CLI/CLI.hpp>

#include "gateway/config/loader.hpp"
#include "gateway/policy/agreement.hpp"
#include "gateway/policy/explain.hpp"
#include "gateway/policy/recorded_input.hpp"

namespace gw::policy {

namespace {

void print(const std::vector<config::Diagnostic>& errors, std::ostream& err) {
  for (const auto& d : errors) {
    err << d.str() << '\n';
  }
}

/** agreement_files: each path, or the *.yaml and *.yml files of a folder (sorted, not nested). */
std::vector<std::string> agreement_files(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (!std::filesystem::is_directory(p, ec)) {
      out.push_back(p);
      continue;
    }
    std::vector<std::string> in_folder;
    for (const auto& e : std::filesystem::directory_iterator(p, ec)) {
      const auto ext = e.path().extension();
      if (e.is_regular_file(ec) && (ext == ".yaml" || ext == ".yml")) {
        in_folder.push_back(e.path().string());
      }
    }
    std::sort(in_folder.begin(), in_folder.end());
    out.insert(out.end(), in_folder.begin(), in_folder.end());
  }
  return out;
}

/** parse_since: an instant "YYYY-MM-DDThh:mm:ssZ" or a date "YYYY-MM-DD" (its midnight, UTC). */
std::optional<TimePoint> parse_since(const std::string& text) {
  if (text.size() == 10) {
    return parse_instant(text + "T00:00:00Z");
  }
  return parse_instant(text);
}

}  // namespace

CLI::App* add_policy_command(CLI::App& app, PolicyCliOptions& options) {
  auto* policy = app.add_subcommand("policy", "Data-sharing policy tools");
  policy->require_subcommand(1);
  options.dry_run = policy->add_subcommand(
      "dry-run",
      "Replay recorded requests under a proposed change of agreements; print what would change");
  options.dry_run
      ->add_option("--config", options.config, "Config file naming the current agreements")
      ->required();
  options.dry_run
      ->add_option("--proposed,--agreements", options.proposed,
                   "Agreement files, or folders of them (*.yaml): each replaces the current "
                   "agreement with its id, or is added")
      ->required();
  options.dry_run
      ->add_option("--inputs", options.inputs, "Recorded decision inputs, one JSON object per line")
      ->required();
  options.dry_run->add_option(
      "--since", options.since,
      "Only requests recorded at or after this UTC instant (YYYY-MM-DDThh:mm:ssZ) or date");
  return policy;
}

int run_policy_command(const PolicyCliOptions& options, std::ostream& out, std::ostream& err) {
  config::LoadOptions lo;
  lo.check_files = false;  // a dry run needs the organisations and agreements, not the TLS files
  const auto lr = config::load_file(options.config, lo);
  if (!lr.errors.empty()) {
    print(lr.errors, err);
    return 1;
  }
  const auto now = std::chrono::system_clock::now();
  auto current = load_agreements(*lr.config, read_from_disk, now);
  if (!current.errors.empty()) {
    print(current.errors, err);
    return 1;
  }
  std::vector<Agreement> proposed = current.agreements;
  std::vector<config::Diagnostic> errors;
  const auto files = agreement_files(options.proposed);
  if (files.empty()) {
    err << "--proposed: no agreement files (*.yaml) found\n";
    return 1;
  }
  std::optional<TimePoint> since;
  if (!options.since.empty()) {
    since = parse_since(options.since);
    if (!since) {
      err << "--since: not a UTC instant (YYYY-MM-DDThh:mm:ssZ) or date (YYYY-MM-DD)\n";
      return 1;
    }
  }
  for (const auto& file : files) {
    const config::FileRef ref{file, std::filesystem::absolute(file).lexically_normal().string(), 0};
    const auto text = read_from_disk(ref);
    if (!text) {
      errors.push_back({file, 0, "cannot read agreement file"});
      continue;
    }
    auto one = parse_agreement(*text, file);
    errors.insert(errors.end(), one.errors.begin(), one.errors.end());
    for (auto& a : one.agreements) {
      std::erase_if(proposed, [&](const Agreement& x) { return x.id == a.id; });
      proposed.push_back(std::move(a));
    }
  }
  if (errors.empty()) {
    check_agreements(proposed, *lr.config, now, errors);
  }
  if (!errors.empty()) {
    print(errors, err);
    return 1;
  }
  std::vector<RecordedInput> inputs;
  std::ifstream in(options.inputs, std::ios::binary);
  if (!in) {
    err << options.inputs << ": cannot read the recorded inputs\n";
    return 1;
  }
  std::string line;
  int n = 0;
  std::size_t earlier = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      continue;
    }
    auto r = parse_recorded_input(line);
    if (!r) {
      err << options.inputs << ":" << n << ": " << r.error().detail << '\n';
      return 1;
    }
    if (since && r->at < *since) {
      ++earlier;
      continue;
    }
    inputs.push_back(std::move(*r));
  }
  const auto rules = RelationshipRules::from_config(lr.config->policy);
  const PolicyIndex before(std::move(current.agreements), lr.config->organisations, rules);
  const PolicyIndex after(std::move(proposed), lr.config->organisations, rules);
  const auto changes = dry_run(before, after, inputs);
  out << dry_run_json(changes) << '\n';
  err << inputs.size() << " recorded requests, " << changes.size() << " would change\n";
  if (since) {
    err << earlier << " recorded before " << format_instant(*since) << " left out\n";
  }
  return 0;
}

}  // namespace gw::policy
