// Runs the caregw binary as a child process for tests of the command line and of signals.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <sys/types.h>

namespace gw::test {

/** RunResult: what a finished command printed and how it exited. */
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/** run_command: runs `args` (args[0] is the program) to completion and captures both streams. */
RunResult run_command(const std::vector<std::string>& args);

/** Child: a long-running caregw; its stdout is read for the "listening NAME URL" lines. */
class Child {
public:
  explicit Child(const std::vector<std::string>& args);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  /** wait_listening: reads stdout until every listener has printed its port; false on timeout. */
  bool wait_listening(std::size_t listeners, std::chrono::milliseconds within);
  /** port: the port a listener printed ("provider", "browser"). 0 if unknown. */
  [[nodiscard]] std::uint16_t port(const std::string& listener) const;
  /** output: what it printed on stdout so far (as read by wait_listening). */
  [[nodiscard]] const std::string& output() const { return out_; }
  void signal(int sig) const;
  /** wait_exit: the exit code, or -1 if it had not exited within the time (then it is killed). */
  int wait_exit(std::chrono::milliseconds within);

private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string out_;
  std::map<std::string, std::uint16_t> ports_;
};

}  // namespace gw::test
