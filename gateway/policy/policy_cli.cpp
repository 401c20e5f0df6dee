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
#include "gateway/policy/recorder.hpp"

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

/** InputsRead: the inputs to replay, and how many were left out as earlier than --since. */
struct InputsRead {
  std::vector<RecordedInput> inputs;
  std::size_t earlier = 0;
};

/**
 * read_inputs_file: --inputs, every line (a bad line is an error naming file and line). A file
 * `caregw serve` recorded reads too: its definition lines give the lists its references name.
 */
std::optional<InputsRead> read_inputs_file(const std::string& file,
                                           const std::optional<TimePoint>& since,
                                           std::ostream& err) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    err << file << ": cannot read the recorded inputs\n";
    return std::nullopt;
  }
  std::vector<std::string> lines;
  std::vector<int> numbers;  // each kept line's number in the file
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) {
      lines.push_back(std::move(line));
      numbers.push_back(n);
    }
  }
  RecordedLines recorded(std::move(lines));
  InputsRead out;
  for (std::size_t i = 0; i < recorded.size(); ++i) {
    if (recorded.is_definition(i)) {
      if (auto d = recorded.check_definition(i); !d) {
        err << file << ":" << numbers[i] << ": " << d.error().detail << '\n';
        return std::nullopt;
      }
      continue;
    }
    auto r = recorded.input(i);
    if (!r) {
      err << file << ":" << numbers[i] << ": " << r.error().detail << '\n';
      return std::nullopt;
    }
    if (since && r->at < *since) {
      ++out.earlier;
      continue;
    }
    out.inputs.push_back(std::move(*r));
  }
  return out;
}

/** read_recorded_inputs: what `caregw serve` recorded under <data_dir>/policy, newest first. */
std::optional<InputsRead> read_recorded_inputs(const std::string& data_dir, std::size_t limit,
                                               const std::optional<TimePoint>& since,
                                               std::ostream& err) {
  const auto dir = std::filesystem::path(data_dir) / "policy";
  auto r = read_recorded(dir, limit, since);
  if (!r) {
    err << r.error().detail << '\n';
    return std::nullopt;
  }
  err << "read " << r->inputs.size() << " recorded requests from " << r->files << " file(s) in "
      << dir.string() << '\n';
  if (r->unreadable > 0) {
    err << r->unreadable << " recorded line(s) could not be read and were skipped\n";
  }
  return InputsRead{std::move(r->inputs), r->earlier};
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
  options.dry_run->add_option("--inputs", options.inputs,
                              "Recorded decision inputs, one JSON object per line (default: the "
                              "ones the gateway recorded under <data_dir>/policy)");
  options.dry_run->add_option("--data-dir", options.data_dir,
                              "Without --inputs: the gateway's data directory (default: the "
                              "config's data_dir)");
  options.dry_run
      ->add_option("--limit", options.limit,
                   "Without --inputs: replay at most this many of the most recent recorded "
                   "requests (default 10000)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10000000}));
  options.dry_run->add_option(
      "--since", options.since,
      "Only requests recorded at or after this UTC instant (YYYY-MM-DDThh:mm:ssZ) or date");
  return policy;
}

int run_policy_command(const PolicyCliOptions& options, std::ostream& out, std::ostream& err) {
  config::LoadOptions lo;
  lo.check_files = false;  // a dry run needs the organisations and agreements, not the TLS files
  if (!options.data_dir.empty()) {
    lo.data_dir = options.data_dir;
  }
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
  auto read = options.inputs.empty()
                  ? read_recorded_inputs(lr.config->data_dir, options.limit, since, err)
                  : read_inputs_file(options.inputs, since, err);
  if (!read) {
    return 1;
  }
  const auto& inputs = read->inputs;
  const std::size_t earlier = read->earlier;
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
