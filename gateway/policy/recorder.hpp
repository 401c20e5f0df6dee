// The inputs of the policy decisions `caregw serve` takes for record reads, kept as JSON lines
// (recorded_input.hpp) in one file per UTC day under <data_dir>/policy, so a dry run can replay
// recent requests under changed agreements. A long resource list is written once per file (a
// definition line, by its SHA-256) and referred to by the lines that use it. The files carry NHS
// numbers and resource facts (never clinical text): folder 0700, files 0600, removed after a
// retention in days.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "gateway/core/error.hpp"
#include "gateway/policy/explain.hpp"

namespace gw::policy {

/** RecorderOptions: where and how long recorded inputs are kept. */
struct RecorderOptions {
  std::filesystem::path dir;               // e.g. <data_dir>/policy
  std::uint32_t retention_days = 30;       // files older than this many days are removed
  std::size_t max_lines_per_request = 20;  // a request's decisions beyond this are not recorded
  /** A resource list whose JSON is at least this many bytes is written once per file (a
   * definition line) and referred to by its digest; a shorter one stays inline. */
  std::size_t inline_resources_below = 1024;
  /** How many lists the writer remembers as defined in the open file; at the cap it forgets
   * them all, and a list is simply defined again when next used. */
  std::size_t max_defined_lists = 65536;
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
   * dropped) to the file of the first input's UTC day, in one write. A resource list of at least
   * inline_resources_below bytes is written as {"resourcesRef":"<digest>", ...}, preceded in the
   * same write by its definition line when the file does not hold it yet. A new day also removes
   * the files past the retention.
   */
  void record(std::span<const RecordedInput> inputs);

  /** prune: removes the recorded files of days before now - retention_days. @return how many */
  std::size_t prune(TimePoint now);

  /** lines: input lines written. failures: records that could not be written. dropped: over the
   * cap. definitions: resource lists defined (definition lines written). */
  [[nodiscard]] std::uint64_t lines() const { return lines_.load(); }
  [[nodiscard]] std::uint64_t definitions() const { return definitions_.load(); }
  [[nodiscard]] std::uint64_t failures() const { return failures_.load(); }
  [[nodiscard]] std::uint64_t dropped() const { return dropped_.load(); }
  [[nodiscard]] const RecorderOptions& options() const { return options_; }

private:
  using Digest = std::array<char, 64>;
  /** DigestHash: hashes a digest's hex (already uniformly spread). */
  struct DigestHash {
    std::size_t operator()(const Digest& d) const noexcept;
  };

  Result<void> ensure_file(TimePoint at);
  Result<void> ensure_definitions_hold(TimePoint at);
  void start_file_state(std::uint64_t size);
  void close_file();
  [[nodiscard]] bool write_all(std::string_view bytes);

  RecorderOptions options_;
  std::mutex mu_;
  int fd_ = -1;
  std::string file_;  // the name of the open file (its day)
  // The open file's state (under mu_): the lists it defines, whether it ends in a torn line
  // (the next write starts on a new line), and the least size it has after our writes.
  std::unordered_set<Digest, DigestHash> defined_;
  bool newline_first_ = false;
  std::uint64_t known_end_ = 0;
  std::atomic<std::uint64_t> lines_{0};
  std::atomic<std::uint64_t> definitions_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::atomic<std::uint64_t> dropped_{0};
};

/**
 * RecordedLines: the lines of one recorded file and the resource lists it defines, so an input
 * line can be read with its list whatever order the lines are visited in. A "resourcesRef"
 * resolves only to a definition before it in the file whose resources match its digest (checked
 * once, when first needed). Not thread-safe.
 */
class RecordedLines {
public:
  /** @param lines the file's non-blank lines, in file order */
  explicit RecordedLines(std::vector<std::string> lines);
  RecordedLines(const RecordedLines&) = delete;
  RecordedLines& operator=(const RecordedLines&) = delete;

  [[nodiscard]] std::size_t size() const { return lines_.size(); }

  /** is_definition: line i defines a resource list (it is never an input). */
  [[nodiscard]] bool is_definition(std::size_t i) const { return digests_[i].has_value(); }

  /**
   * check_definition: whether definition line i is whole and matches its digest.
   * @return kBadRequest saying what is wrong with it
   */
  [[nodiscard]] Result<void> check_definition(std::size_t i);

  /**
   * input: line i as a recorded input (precondition: !is_definition(i)).
   * @return kBadRequest naming the field that is wrong, or a reference to a list no good
   *   definition before it holds
   */
  [[nodiscard]] Result<RecordedInput> input(std::size_t i);

private:
  struct Checked {
    std::optional<Error> error;  // set when the definition is refused
    std::vector<RecordedResource> resources;
  };
  const Checked& checked(std::size_t i);
  const std::vector<RecordedResource>* list_before(std::string_view digest, std::size_t line);

  std::vector<std::string> lines_;
  std::vector<std::optional<std::string_view>> digests_;  // per line: the digest it defines
  std::unordered_map<std::string_view, std::vector<std::size_t>> definitions_;  // in file order
  std::unordered_map<std::size_t, Checked> checked_;
};

/** ReadRecorded: what read_recorded found. */
struct ReadRecorded {
  std::vector<RecordedInput> inputs;  // newest first
  std::size_t files = 0;              // files read
  /** unreadable: lines skipped: lines that did not parse (e.g. torn by a crash), definitions
   * that are torn or do not match their digest, and inputs whose list such a definition (or
   * none) was to give. */
  std::size_t unreadable = 0;
  std::size_t earlier = 0;  // lines recorded before `since`, left out
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
