// `caregw policy dry-run`: replays recorded decision inputs under the config's agreements and
// under a proposed change, and prints what would be decided differently.
#pragma once

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
  std::vector<std::string>
      proposed;        // agreement files: each replaces the one with its id, or is added
  std::string inputs;  // recorded inputs, one JSON object per line
  CLI::App* dry_run = nullptr;
};

/** add_policy_command: registers `policy dry-run --config FILE --proposed DSA... --inputs FILE`. */
CLI::App* add_policy_command(CLI::App& app, PolicyCliOptions& options);

/**
 * run_policy_command: prints the changes as a JSON array on `out` and a summary line on `err`.
 * Exit codes per CONTRACT.md: 0 ok, 1 a config, agreement or input is bad.
 */
[[nodiscard]] int run_policy_command(const PolicyCliOptions& options, std::ostream& out,
                                     std::ostream& err);

}  // namespace gw::policy
