// The `caregw policy` command.
#include "gateway/policy/policy_cli.hpp"

#include <filesystem>
#include <fstream>
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
      ->add_option("--proposed", options.proposed,
                   "Agreement files: each replaces the current agreement with its id, or is added")
      ->required();
  options.dry_run
      ->add_option("--inputs", options.inputs, "Recorded decision inputs, one JSON object per line")
      ->required();
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
  for (const auto& file : options.proposed) {
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
    inputs.push_back(std::move(*r));
  }
  const auto rules = RelationshipRules::from_config(lr.config->policy);
  const PolicyIndex before(std::move(current.agreements), lr.config->organisations, rules);
  const PolicyIndex after(std::move(proposed), lr.config->organisations, rules);
  const auto changes = dry_run(before, after, inputs);
  out << dry_run_json(changes) << '\n';
  err << inputs.size() << " recorded requests, " << changes.size() << " would change\n";
  return 0;
}

}  // namespace gw::policy
