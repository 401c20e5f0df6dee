// `caregw gpconnect fetch`: the GP Connect query from the command line, for integrators and
// scheduled jobs. Opens the gateway's data directory as `serve` does (the stores may be in use by
// a running gateway: SQLite and the audit log take more than one writer) and files the answer
// through the same ingest path. CLI11 stays in cli.cpp (library gw_gpconnect_cli).
#pragma once

#include <iosfwd>
#include <string>

#include "gateway/ingest/adapter_set.hpp"

namespace CLI {
class App;
}

namespace gw::gpconnect {

/** FetchCliOptions: what `caregw gpconnect fetch` was given. */
struct FetchCliOptions {
  std::string config;      // --config FILE (required)
  std::string data_dir;    // --data-dir DIR (default: the config's data_dir)
  std::string nhs_number;  // --nhs-number N (required)
  std::string practice;    // --practice ODS (default: the registered practice on record)
};

/** add_gpconnect_command: adds `gpconnect fetch` to `app`; returns the `fetch` subcommand. */
CLI::App* add_gpconnect_command(CLI::App& app, FetchCliOptions& options);

/**
 * run_fetch_cli: loads the config, opens the data directory's stores and audit log, asks the
 * practice for the patient's structured record and files it (gateway/gpconnect/README.md).
 * Prints one summary line on `out`; errors on `err`. One audit record (user `caregw-cli`, the
 * patient, the practice, the outcome) is durable before the summary is printed.
 * @param adapters the gateway's adapters (the `gpconnect` one reads the answer)
 * @return 0 filed; 1 bad input, a refused query (the practice's error, timeout), or no data dir
 */
[[nodiscard]] int run_fetch_cli(const FetchCliOptions& options, const ingest::AdapterSet& adapters,
                                std::ostream& out, std::ostream& err);

}  // namespace gw::gpconnect
