// `caregw policy dry-run`: replays recorded decision inputs under the config's agreements and
// under a proposed change, and prints what would be decided differently.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace gw::policy {

/** PolicyCliOptions: the parsed `caregw policy ...` command line. */
struct PolicyCliOptions {
  std::string config;  // the config whose agreements are current
  /** proposed: agreement files or folders of them (*.yaml, *.yml): each agreement replaces the
   * current one with its id, or is added. */
  std::vector<std::string> proposed;
  std::string inputs;         // recorded inputs, one JSON object per line; empty: the gateway's own
  std::string data_dir;       // overrides the config's data_dir (where the gateway records them)
  std::size_t limit = 10000;  // without --inputs: the most recent this many recorded requests
  std::string since;  // only inputs recorded at or after this instant or date (UTC); empty: all
  CLI::App* dry_run = nullptr;
};

/** add_policy_command: registers `policy dry-run --config FILE --proposed|--agreements DSA...
 * [--inputs FILE | --data-dir DIR --limit N] [--since WHEN]`. Without --inputs the inputs
 * `caregw serve` recorded under <data_dir>/policy are read, newest first (policy/recorder.hpp). */
CLI::App* add_policy_command(CLI::App& app, PolicyCliOptions& options);

/**
 * run_policy_command: prints the changes as a JSON array on `out` and a summary line on `err`.
 * Exit codes per CONTRACT.md: 0 ok, 1 a config, agreement or input is bad.
 */
[[nodiscard]] int run_policy_command(const PolicyCliOptions& options, std::ostream& out,
                                     std::ostream& err);

}  // namespace gw::policy
