// What `RunMain` (inlet/run_main.h) is made of: the parsed command line, the
// session that owns signals, progress and the summary, and the step that
// opens the output and runs. Connector authors never use this file directly.

#ifndef INLET_INTERNAL_MAIN_SESSION_H_
#define INLET_INTERNAL_MAIN_SESSION_H_

#include <csignal>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "inlet/json_lines_sink.h"
#include "inlet/run.h"
#include "inlet/run_options.h"
#include "inlet/sink.h"

namespace inlet::internal {

class MetricsServer;  // sdk/src/main/metrics_server.h

struct MainConfig {
  RunOptions run;
  std::string output;
  bool show_progress = false;
  std::vector<std::string> args;  // Positional arguments.
  // Bound to --metrics-address; serves once the session starts. Null
  // without the flag.
  std::shared_ptr<MetricsServer> metrics_server;
};

// Parses the command line and validates what it sets (through
// `RunOptions::Validate`). Prints --help on stdout and exits with status 0;
// any other problem is an error naming the flag, the value and what is
// allowed, which the caller reports with exit status 2.
absl::StatusOr<MainConfig> ParseMainFlags(int argc, char** argv);

// Prints `status` as "<program>: error: ..." and returns the exit status.
int ReportMainError(const absl::Status& status, int exit_status);

// INVALID_ARGUMENT naming both paths when --output is the recovery file or
// one of SQLite's files beside it (-wal, -shm, -journal): the output would
// overwrite the store and the store the output.
absl::Status CheckOutputApartFromRecoveryFile(const MainConfig& config);

// One run of RunMain: turns SIGINT/SIGTERM into an orderly stop, shows the
// progress line and prints the summary.
class MainSession {
 public:
  explicit MainSession(MainConfig config);
  ~MainSession();
  MainSession(const MainSession&) = delete;
  MainSession& operator=(const MainSession&) = delete;

  const RunOptions& options() const { return config_.run; }
  const std::string& output() const { return config_.output; }
  // Prints the summary or the error; returns the exit status.
  int Finish(const absl::StatusOr<RunReport>& report);

 private:
  struct Impl;
  MainConfig config_;
  std::unique_ptr<Impl> impl_;
};

template <class Input>
int RunMainWithConfig(MainConfig config, Input& input) {
  using T = typename Input::Item;
  if (absl::Status apart = CheckOutputApartFromRecoveryFile(config); !apart.ok()) {
    return ReportMainError(apart, 2);
  }
  // A write past the file size limit (ulimit -f) fails with EFBIG, an error
  // naming the file, instead of killing the process.
  std::signal(SIGXFSZ, SIG_IGN);
  std::unique_ptr<Sink<T>> sink;
  if (config.output == "-") {
    sink = std::make_unique<JsonLinesSink<T>>();
  } else {
    absl::StatusOr<std::unique_ptr<JsonLinesSink<T>>> file = JsonLinesSink<T>::Open(config.output);
    if (!file.ok()) return ReportMainError(file.status(), 2);
    sink = *std::move(file);
  }
  MainSession session(std::move(config));
  return session.Finish(Run(input, *sink, session.options()));
}

}  // namespace inlet::internal

#endif  // INLET_INTERNAL_MAIN_SESSION_H_
