// `RunMain` is the standard command line of a connector program: it parses
// the flags below, runs the input on the embedded runtime into a JSON-lines
// sink, shows live progress and returns the process exit status.
//
//   int main(int argc, char** argv) {
//     MyInput input;
//     return inlet::RunMain(argc, argv, input);
//   }
//
// Flags (--name=VALUE or --name VALUE; dashes and underscores are
// interchangeable; every value is checked, see `RunOptions::Validate`):
//   --workers=N                worker threads, 1 to 4096 (default 1)
//   --epoch-interval=DURATION  positive, e.g. 500ms, 10s (default 10s)
//   --slow-poll-threshold=DURATION  zero or more (default 100ms)
//   --flush-interval=DURATION  positive; output is written out when a worker
//                              goes idle and at least this often (default 100ms)
//   --output=PATH              JSON lines to PATH; "-" is stdout (default -)
//   --recovery-db=PATH         resume from / commit epochs to this SQLite file;
//                              with a file --output, output is exactly-once
//   --recovery-epochs-kept=N   epochs the recovery file keeps, at least 1
//                              (default 3)
//   --progress=auto|always|never  live progress line on stderr; "auto" shows
//                              it when stderr is a terminal (default auto)
//   --metrics-address=HOST:PORT  serve the run's per-partition metrics
//                              (inlet/metrics.h) at http://HOST:PORT/metrics in
//                              the Prometheus text format; port 0 picks a free
//                              port, and the URL is printed on stderr. A bad
//                              address or a busy port is a command-line error
//                              (default empty: none)
//   --help                     the flags (inlet's, then the program's own)
//                              on stdout, then exit with status 0
// Positional arguments go to the input factory, when one is given; after
// "--" every argument is positional. A bad command line (an unknown flag, a
// malformed or out-of-range value) prints one line naming the flag, the
// value and what is allowed, and exits with status 2.
//
// Warnings of the run (`RunReport::warnings`, `inlet::Warn`) are printed
// on stderr as they happen, as `<program>: warning: ...`.
//
// SIGINT and SIGTERM stop the run in order: the current epoch is closed and
// committed, every partition is closed, and the exit status is 0; the next
// run with the same --recovery-db re-reads nothing. A second signal exits
// at once. Exit status: 0 success, 1 the run failed, 2 bad command line.
// A one-line summary is printed on stderr at the end.
//
// Flags are Abseil flags: a program may define its own with ABSL_FLAG and
// read them in its input factory, which runs after parsing; --help lists
// them with their help text and default. Abseil's own flags (--flagfile...)
// are not accepted.

#ifndef INLET_RUN_MAIN_H_
#define INLET_RUN_MAIN_H_

#include <concepts>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "inlet/internal/main_session.h"

namespace inlet {

// Runs `input` (a PartitionedInput or a DynamicInput) with the standard
// command line. Positional arguments are rejected.
template <class Input>
  requires requires { typename Input::Item; }
int RunMain(int argc, char** argv, Input& input) {
  absl::StatusOr<internal::MainConfig> config = internal::ParseMainFlags(argc, argv);
  if (!config.ok()) return internal::ReportMainError(config.status(), 2);
  if (!config->args.empty()) {
    return internal::ReportMainError(
        absl::InvalidArgumentError("unexpected argument \"" + config->args.front() + "\""), 2);
  }
  return internal::RunMainWithConfig(*std::move(config), input);
}

// Runs the input made by `make_input(args)` with the standard command line;
// `args` are the positional arguments. `make_input` returns
// `absl::StatusOr<std::unique_ptr<Input>>`; an error is reported as a bad
// command line (exit status 2).
template <class MakeInput>
  requires std::invocable<MakeInput&, const std::vector<std::string>&>
int RunMain(int argc, char** argv, MakeInput make_input) {
  absl::StatusOr<internal::MainConfig> config = internal::ParseMainFlags(argc, argv);
  if (!config.ok()) return internal::ReportMainError(config.status(), 2);
  auto input = make_input(config->args);
  if (!input.ok()) return internal::ReportMainError(input.status(), 2);
  return internal::RunMainWithConfig(*std::move(config), **input);
}

}  // namespace inlet

#endif  // INLET_RUN_MAIN_H_
