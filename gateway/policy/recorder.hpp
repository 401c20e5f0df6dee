// The inputs of the policy decisions `caregw serve` takes for record reads, kept as JSON lines
// (recorded_input.hpp) in one file per UTC day under <data_dir>/policy, so a dry run can replay
// recent requests under changed agreements. The files carry NHS numbers and resource facts
// (never clinical text): folder 0700, files 0600, removed after a retention in days.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gateway/core/error.hpp"
#include "gateway/policy/explain.hpp"

namespace gw::policy {

/** RecorderOptions: where and how long recorded inputs are kept. */
struct RecorderOptions {
  std::filesystem::path dir;               // e.g. <data_dir>/policy
  std::uint32_t retention_days = 30;       // files older than this many days are removed
  std::size_t max_lines_per_request = 20;  // a request's decisions beyond this are not recorded
};

/**
 * recorded_file_name: "recorded-YYYY-MM-DD.jsonl" for the UTC day of `t`.
 */
[[nodiscard]] std::string recorded_file_name(TimePoint t);

/**
 * InputRecorder: appends recorded inputs to the day's file. Recording never fails a request:
 * an I/O error is logged (file and reason only, never an NHS number) and counted.
 * Thread safety: every member may be called from any thread.
 */
class InputRecorder {
public:
  explicit InputRecorder(RecorderOptions options);
  ~InputRecorder();
  InputRecorder(const InputRecorder&) = delete;
  InputRecorder& operator=(const InputRecorder&) = delete;

  /**
   * open: makes the folder (0700, and makes an existing one 0700) and removes files past the
   * retention. @return kInternal naming the folder when it cannot be made
   */
  [[nodiscard]] Result<void> open(TimePoint now);

  /**
   * record: appends one line per input (at most max_lines_per_request; the rest are counted as
   * dropped) to the file of the first input's UTC day, in one write. A new day also removes the
   * files past the retention.
   */
  void record(std::span<const RecordedInput> inputs);

  /** prune: removes the recorded files of days before now - retention_days. @return how many */
  std::size_t prune(TimePoint now);

  /** lines: lines written. failures: records that could not be written. dropped: over the cap. */
  [[nodiscard]] std::uint64_t lines() const { return lines_.load(); }
  [[nodiscard]] std::uint64_t failures() const { return failures_.load(); }
  [[nodiscard]] std::uint64_t dropped() const { return dropped_.load(); }
  [[nodiscard]] const RecorderOptions& options() const { return options_; }

private:
  Result<void> ensure_file(TimePoint at);
  void close_file();

  RecorderOptions options_;
  std::mutex mu_;
  int fd_ = -1;
  std::string file_;  // the name of the open file (its day)
  std::atomic<std::uint64_t> lines_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::atomic<std::uint64_t> dropped_{0};
};

/** ReadRecorded: what read_recorded found. */
struct ReadRecorded {
  std::vector<RecordedInput> inputs;  // newest first
  std::size_t files = 0;              // files read
  std::size_t unreadable = 0;         // lines that did not parse (e.g. torn by a crash), skipped
  std::size_t earlier = 0;            // lines recorded before `since`, left out
};

/**
 * read_recorded: the most recent recorded inputs in `dir` (newest file first, last line first),
 * at most `limit`, recorded at or after `since` when given. A missing folder reads as none.
 * @return kInternal naming a file that cannot be read
 */
[[nodiscard]] Result<ReadRecorded> read_recorded(const std::filesystem::path& dir,
                                                 std::size_t limit,
                                                 std::optional<TimePoint> since = std::nullopt);

}  // namespace gw::policy
