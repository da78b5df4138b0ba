#include "inlet/run_main.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "metrics_server.h"

ABSL_FLAG(int, workers, 1, "Worker threads");
ABSL_FLAG(absl::Duration, epoch_interval, absl::Seconds(10),
          "Time between epoch closes (snapshots of every partition)");
ABSL_FLAG(absl::Duration, flush_interval, absl::Milliseconds(100),
          "Output is written out when a worker goes idle and at least this often");
ABSL_FLAG(absl::Duration, slow_poll_threshold, absl::Milliseconds(100),
          "A NextBatch call longer than this is reported once per partition");
ABSL_FLAG(std::string, output, "-",
          "Where to write the items as JSON lines; with --recovery-db a file receives every "
          "item exactly once");
ABSL_FLAG(std::string, recovery_db, "",
          "SQLite file that keeps each partition's position at every epoch; a run with it "
          "resumes where the last one stopped");
ABSL_FLAG(int, recovery_epochs_kept, 3, "How many of the latest epochs the recovery file keeps");
ABSL_FLAG(std::string, progress, "auto", "Live progress line on stderr");
ABSL_FLAG(int, max_open_partitions, 0,
          "Partitions each worker keeps open at once; the others wait and open as earlier ones "
          "end (0: derived from the open-file limit, (limit - 64) / 2 / workers)");
ABSL_FLAG(absl::Duration, relist_interval, absl::ZeroDuration(),
          "List the partitions again this often and read new ones (0: only at the start); the "
          "run then ends only when stopped");
ABSL_FLAG(std::string, metrics_address, "",
          "Serve per-partition metrics at http://HOST:PORT/metrics in the Prometheus text format");

namespace inlet::internal {
namespace {

// The basename of argv[0], for messages; set by ParseMainFlags.
std::string& ProgramName() {
  static std::string* name = new std::string("inlet");
  return *name;
}

// inlet's own flags, in the order --help lists them, with what they allow.
struct StandardFlag {
  const char* name;  // As Abseil registers it, with underscores.
  const char* value_name;
  std::string allowed;
};

const std::vector<StandardFlag>& StandardFlags() {
  static const auto* flags = new std::vector<StandardFlag>{
      {"workers", "N", absl::StrCat("an integer from 1 to ", RunOptions::kMaxWorkers)},
      {"epoch_interval", "DURATION", "a positive duration, e.g. 500ms or 10s"},
      {"flush_interval", "DURATION", "a positive duration, e.g. 100ms"},
      {"slow_poll_threshold", "DURATION", "a duration of zero or more, e.g. 100ms"},
      {"output", "PATH", "a file path, or - for standard output"},
      {"recovery_db", "PATH", "an SQLite file path, or empty for no recovery"},
      {"recovery_epochs_kept", "N",
       absl::StrCat("an integer from 1 to ", std::numeric_limits<int>::max())},
      {"progress", "MODE", "auto (shown when stderr is a terminal), always or never"},
      {"max_open_partitions", "N",
       absl::StrCat("an integer from 0 to ", std::numeric_limits<int>::max())},
      {"relist_interval", "DURATION", "a duration of zero or more, e.g. 30s"},
      {"metrics_address", "HOST:PORT",
       "a local host and a port from 0 (any free one) to 65535, e.g. 127.0.0.1:9100, or empty for "
       "none"},
  };
  return *flags;
}

const StandardFlag* FindStandardFlag(absl::string_view name) {
  for (const StandardFlag& flag : StandardFlags()) {
    if (name == flag.name) return &flag;
  }
  return nullptr;
}

// How people type a flag: `--epoch-interval`.
std::string Spelling(absl::string_view name) {
  return absl::StrCat("--", absl::StrReplaceAll(name, {{"_", "-"}}));
}

// What a flag of the program's own accepts, from its type.
std::string AllowedByType(const absl::CommandLineFlag& flag) {
  if (flag.IsOfType<bool>()) return "true or false";
  if (flag.IsOfType<int32_t>()) {
    return absl::StrCat("an integer from ", std::numeric_limits<int32_t>::min(), " to ",
                        std::numeric_limits<int32_t>::max());
  }
  if (flag.IsOfType<int64_t>()) {
    return absl::StrCat("an integer from ", std::numeric_limits<int64_t>::min(), " to ",
                        std::numeric_limits<int64_t>::max());
  }
  if (flag.IsOfType<uint32_t>() || flag.IsOfType<uint64_t>()) return "a non-negative integer";
  if (flag.IsOfType<double>() || flag.IsOfType<float>()) return "a number";
  if (flag.IsOfType<absl::Duration>()) return "a duration, e.g. 500ms or 10s";
  if (flag.IsOfType<std::string>()) return "any text";
  return "a value of the flag's type";
}

std::string Allowed(const absl::CommandLineFlag& flag) {
  const StandardFlag* standard = FindStandardFlag(flag.Name());
  return standard != nullptr ? standard->allowed : AllowedByType(flag);
}

// The program's own flags (not inlet's, not Abseil's), by name.
std::vector<absl::CommandLineFlag*> ProgramFlags() {
  std::vector<absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (FindStandardFlag(name) != nullptr || flag->IsRetired()) continue;
    if (absl::StrContains(flag->Filename(), "absl/")) continue;
    flags.push_back(flag);
  }
  std::sort(flags.begin(), flags.end(),
            [](const absl::CommandLineFlag* a, const absl::CommandLineFlag* b) {
              return a->Name() < b->Name();
            });
  return flags;
}

absl::CommandLineFlag* FindFlag(absl::string_view name) {
  absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
  if (flag == nullptr || flag->IsRetired()) return nullptr;
  if (FindStandardFlag(name) == nullptr && absl::StrContains(flag->Filename(), "absl/")) {
    return nullptr;
  }
  return flag;
}

// One entry of --help: the flag as typed, then its description wrapped
// in a column.
void AppendHelpLine(std::string& out, const std::string& usage, const std::string& text) {
  constexpr size_t kColumn = 34;
  constexpr size_t kWidth = 100;
  absl::StrAppend(&out, "  ", usage);
  size_t at = usage.size() + 2;
  if (at >= kColumn) {
    out += '\n';
    at = 0;
  }
  out.append(kColumn - at, ' ');
  at = kColumn;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (at > kColumn && at + 1 + word.size() > kWidth) {
      absl::StrAppend(&out, "\n", std::string(kColumn, ' '));
      at = kColumn;
    } else if (at > kColumn) {
      out += ' ';
      ++at;
    }
    absl::StrAppend(&out, word);
    at += word.size();
  }
  out += '\n';
}

std::string HelpText() {
  std::string out;
  const std::string usage(absl::ProgramUsageMessage());
  if (!absl::StartsWith(usage, "Warning: SetProgramUsageMessage")) {
    absl::StrAppend(&out, usage, "\n\n");
  } else {
    absl::StrAppend(&out, "Usage: ", ProgramName(),
                    " [FLAG...] [ARG...]\n"
                    "Runs a connector on the inlet embedded runtime and writes what it reads as "
                    "JSON lines.\n\n");
  }
  absl::StrAppend(&out, "Flags (--name=VALUE or --name VALUE):\n");
  for (const StandardFlag& standard : StandardFlags()) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(standard.name);
    AppendHelpLine(
        out, absl::StrCat(Spelling(standard.name), "=", standard.value_name),
        absl::StrCat(flag->Help(), ": ", standard.allowed, ". Default: ",
                     flag->DefaultValue().empty() ? "empty" : flag->DefaultValue(), "."));
  }
  AppendHelpLine(out, "--help", "Show this help and exit.");
  const std::vector<absl::CommandLineFlag*> own = ProgramFlags();
  if (!own.empty()) {
    absl::StrAppend(&out, "\nFlags of ", ProgramName(), ":\n");
    for (const absl::CommandLineFlag* flag : own) {
      const std::string name = Spelling(flag->Name());
      AppendHelpLine(
          out, flag->IsOfType<bool>() ? name : absl::StrCat(name, "=VALUE"),
          absl::StrCat(absl::StripSuffix(flag->Help(), "."), ": ", AllowedByType(*flag),
                       ". Default: ", flag->DefaultValue().empty() ? "empty" : flag->DefaultValue(),
                       "."));
    }
  }
  absl::StrAppend(&out,
                  "\nExit status: 0 success (also after SIGINT or SIGTERM), 1 the run failed, "
                  "2 bad command line.\n");
  return out;
}

// `unknown flag "--x"; the flags are --workers, ... and --help`.
absl::Status UnknownFlag(absl::string_view typed) {
  std::vector<std::string> names;
  for (const StandardFlag& flag : StandardFlags()) names.push_back(Spelling(flag.name));
  for (const absl::CommandLineFlag* flag : ProgramFlags()) names.push_back(Spelling(flag->Name()));
  return absl::InvalidArgumentError(absl::StrCat("unknown flag \"", typed, "\"; the flags are ",
                                                 absl::StrJoin(names, ", "), " and --help"));
}

// Sets the flags from the command line; returns the positional arguments.
// Exits with status 0 after printing --help.
absl::StatusOr<std::vector<std::string>> SetFlags(int argc, char** argv) {
  std::vector<std::string> positional;
  bool flags_done = false;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (flags_done || arg.size() < 2 || arg[0] != '-') {
      positional.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    absl::string_view body = arg;
    absl::ConsumePrefix(&body, "-");
    absl::ConsumePrefix(&body, "-");
    const size_t equals = body.find('=');
    const absl::string_view typed_name = body.substr(0, equals);
    std::optional<std::string> value;
    if (equals != absl::string_view::npos) value = std::string(body.substr(equals + 1));
    const std::string name = absl::StrReplaceAll(typed_name, {{"-", "_"}});
    if (name == "help" || name == "h") {
      const std::string help = HelpText();
      std::fwrite(help.data(), 1, help.size(), stdout);
      std::fflush(stdout);
      std::exit(0);
    }
    absl::CommandLineFlag* flag = FindFlag(name);
    if (flag == nullptr && absl::StartsWith(name, "no") && !value.has_value()) {
      flag = FindFlag(name.substr(2));
      if (flag != nullptr && flag->IsOfType<bool>()) {
        value = "false";
      } else {
        flag = nullptr;
      }
    }
    if (flag == nullptr) return UnknownFlag(absl::StrCat("--", typed_name));
    const std::string spelling = Spelling(flag->Name());
    if (!value.has_value()) {
      if (flag->IsOfType<bool>()) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat(spelling, " needs a value: ", Allowed(*flag)));
      }
    }
    std::string error;
    if (!flag->ParseFrom(*value, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat(spelling, "=\"", *value, "\" is not allowed: expected ", Allowed(*flag)));
    }
  }
  return positional;
}

// `RunOptions.epoch_interval must ...` as the command line spells it:
// `--epoch-interval must ...`.
absl::Status AsFlagError(const absl::Status& status) {
  absl::string_view message = status.message();
  if (!absl::ConsumePrefix(&message, "RunOptions.")) return status;
  const size_t field_end = message.find(' ');
  return absl::Status(status.code(), absl::StrCat(Spelling(message.substr(0, field_end)),
                                                  message.substr(field_end)));
}

std::string WithThousands(int64_t n) {
  std::string digits = absl::StrCat(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

}  // namespace

absl::StatusOr<MainConfig> ParseMainFlags(int argc, char** argv) {
  if (argc > 0 && argv[0] != nullptr && *argv[0] != '\0') {
    ProgramName() = std::filesystem::path(argv[0]).filename().string();
  }
  absl::StatusOr<std::vector<std::string>> positional = SetFlags(argc, argv);
  if (!positional.ok()) return positional.status();

  MainConfig config;
  config.run.workers = absl::GetFlag(FLAGS_workers);
  config.run.epoch_interval = absl::GetFlag(FLAGS_epoch_interval);
  config.run.flush_interval = absl::GetFlag(FLAGS_flush_interval);
  config.run.slow_poll_threshold = absl::GetFlag(FLAGS_slow_poll_threshold);
  config.output = absl::GetFlag(FLAGS_output);
  config.run.recovery_db = absl::GetFlag(FLAGS_recovery_db);
  config.run.recovery_epochs_kept = absl::GetFlag(FLAGS_recovery_epochs_kept);
  config.run.max_open_partitions = absl::GetFlag(FLAGS_max_open_partitions);
  config.run.relist_interval = absl::GetFlag(FLAGS_relist_interval);
  config.args = *std::move(positional);

  if (absl::Status valid = config.run.Validate(); !valid.ok()) return AsFlagError(valid);
  const std::string progress = absl::GetFlag(FLAGS_progress);
  if (progress == "auto") {
    config.show_progress = isatty(STDERR_FILENO) == 1;
  } else if (progress == "always" || progress == "never") {
    config.show_progress = progress == "always";
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--progress must be auto, always or never, got \"", progress, "\""));
  }
  if (config.output.empty()) {
    return absl::InvalidArgumentError("--output must be a path or - for standard output");
  }
  // Bound now, so a busy port is a command-line error before anything runs.
  if (const std::string address = absl::GetFlag(FLAGS_metrics_address); !address.empty()) {
    absl::StatusOr<std::shared_ptr<MetricsServer>> server = MetricsServer::Listen(address);
    if (!server.ok()) return server.status();
    config.metrics_server = *std::move(server);
  }
  return config;
}

int ReportMainError(const absl::Status& status, int exit_status) {
  std::fprintf(stderr, "%s: error: %s\n", ProgramName().c_str(),
               std::string(status.message()).c_str());
  return exit_status;
}

struct MainSession::Impl {
  std::stop_source stop;
  std::atomic<bool> done{false};
  std::atomic<int> signals{0};
  sigset_t blocked;
  sigset_t previous;
  std::thread signal_waiter;
  bool show_progress = false;
  // Guards stderr between the progress line (coordinating thread) and
  // warnings (any thread).
  std::mutex print_mu;
  bool progress_shown = false;
  int64_t last_items = 0;
  absl::Duration last_elapsed;

  void PrintWarning(std::string_view warning) {
    std::lock_guard<std::mutex> lock(print_mu);
    // The progress line is redrawn at its next tick, below the warning.
    std::fprintf(stderr, "%s%s: warning: %.*s\n", progress_shown ? "\r\033[K" : "",
                 ProgramName().c_str(), static_cast<int>(warning.size()), warning.data());
  }

  // sigwait, not sigtimedwait (which macOS lacks): the destructor ends the
  // wait by sending SIGTERM to this thread after setting `done`.
  void WaitForSignals() {
    while (true) {
      int signal = 0;
      if (sigwait(&blocked, &signal) != 0) continue;
      if (done.load()) return;
      if (signals.fetch_add(1) > 0) std::_Exit(128 + signal);
      std::fprintf(stderr, "\n%s: %s received, stopping (again to exit at once)\n",
                   ProgramName().c_str(), signal == SIGINT ? "SIGINT" : "SIGTERM");
      stop.request_stop();
    }
  }

  void ShowProgress(const RunProgress& progress) {
    std::lock_guard<std::mutex> lock(print_mu);
    const absl::Duration window = progress.elapsed - last_elapsed;
    const double rate =
        window > absl::ZeroDuration()
            ? static_cast<double>(progress.items - last_items) / absl::ToDoubleSeconds(window)
            : 0.0;
    last_items = progress.items;
    last_elapsed = progress.elapsed;
    std::fprintf(stderr, "\r\033[K%s: %s items  %s items/s  %d live partitions  epoch %lld",
                 ProgramName().c_str(), WithThousands(progress.items).c_str(),
                 WithThousands(static_cast<int64_t>(rate)).c_str(), progress.live_partitions,
                 static_cast<long long>(progress.epoch));
    progress_shown = true;
  }
};

MainSession::MainSession(MainConfig config)
    : config_(std::move(config)), impl_(std::make_unique<Impl>()) {
  // Blocked before the workers start, so every thread inherits the mask and
  // only the waiter below ever sees these signals.
  sigemptyset(&impl_->blocked);
  sigaddset(&impl_->blocked, SIGINT);
  sigaddset(&impl_->blocked, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &impl_->blocked, &impl_->previous);
  impl_->signal_waiter = std::thread([impl = impl_.get()] { impl->WaitForSignals(); });
  config_.run.stop = impl_->stop.get_token();
  config_.run.on_warning = [impl = impl_.get()](std::string_view warning) {
    impl->PrintWarning(warning);
  };
  impl_->show_progress = config_.show_progress;
  if (config_.metrics_server != nullptr) {
    config_.run.collect_metrics = true;
    config_.run.on_metrics = [server = config_.metrics_server](const RunMetrics& metrics) {
      server->Publish(metrics);
    };
    config_.metrics_server->Start(config_.run.step_id);
    std::fprintf(stderr, "%s: metrics at %s\n", ProgramName().c_str(),
                 config_.metrics_server->url().c_str());
  }
  if (impl_->show_progress) {
    config_.run.on_progress = [impl = impl_.get()](const RunProgress& progress) {
      impl->ShowProgress(progress);
    };
  }
}

MainSession::~MainSession() {
  config_.metrics_server.reset();
  impl_->done.store(true);
  // Ends its sigwait: SIGTERM is blocked in every thread, so it is taken by
  // that wait and stops nothing.
  pthread_kill(impl_->signal_waiter.native_handle(),  // NOLINT(bugprone-bad-signal-to-kill-thread)
               SIGTERM);
  impl_->signal_waiter.join();
  pthread_sigmask(SIG_SETMASK, &impl_->previous, nullptr);
}

int MainSession::Finish(const absl::StatusOr<RunReport>& report) {
  if (impl_->progress_shown) std::fprintf(stderr, "\r\033[K");
  if (!report.ok()) return ReportMainError(report.status(), 1);
  const double seconds = absl::ToDoubleSeconds(report->wall_time);
  const double rate = seconds > 0 ? static_cast<double>(report->items) / seconds : 0.0;
  const std::string resumed = report->resumed_epoch > 0
                                  ? absl::StrCat(", resumed after epoch ", report->resumed_epoch)
                                  : "";
  std::fprintf(stderr, "%s: %s items from %zu partitions in %.2f s (%s items/s), %lld epochs%s%s\n",
               ProgramName().c_str(), WithThousands(report->items).c_str(),
               report->partition_items.size(), seconds,
               WithThousands(static_cast<int64_t>(rate)).c_str(),
               static_cast<long long>(report->epochs), resumed.c_str(),
               report->stopped ? ", stopped by signal" : "");
  return 0;
}

}  // namespace inlet::internal
