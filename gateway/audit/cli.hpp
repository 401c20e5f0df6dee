// `caregw audit ...`: the IG lead's command-line verbs over the audit log (verify, query,
// checkpoints, purge, reports). main.cpp registers them and runs the one chosen.
#pragma once

#include <memory>

namespace CLI {
class App;
}  // namespace CLI

namespace gw::audit {

struct CliOptions;

/**
 * AuditCommands: the `audit` command group. Construct it on the CLI::App before parsing;
 * after parsing, if selected(), run() executes the chosen verb and returns the exit code
 * (0 ok, 1 bad data or a broken log, 2 usage). Not thread-safe; one per process.
 */
class AuditCommands {
public:
  explicit AuditCommands(CLI::App& app);
  AuditCommands(const AuditCommands&) = delete;
  AuditCommands& operator=(const AuditCommands&) = delete;
  ~AuditCommands();

  /** selected: whether `audit` was given on the command line. */
  [[nodiscard]] bool selected() const;
  /** run: executes the chosen verb; prints results on stdout, problems on stderr. */
  [[nodiscard]] int run();

private:
  std::unique_ptr<CliOptions> o_;
};

}  // namespace gw::audit
