#include "inlet/run_main.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

ABSL_FLAG(int, workers, 1, "Worker threads.");
ABSL_FLAG(absl::Duration, epoch_interval, absl::Seconds(10),
          "Time between epoch closes (snapshots of every partition), e.g. 500ms or 10s.");
ABSL_FLAG(absl::Duration, flush_interval, absl::Milliseconds(100),
          "Output is written out when a worker goes idle and at least this often while it is "
          "busy, whatever the epoch interval.");
ABSL_FLAG(absl::Duration, slow_poll_threshold, absl::Milliseconds(100),
          "A NextBatch call longer than this is reported once per partition.");
ABSL_FLAG(std::string, output, "-",
          "Where to write the items as JSON lines; - is stdout. With --recovery_db a file "
          "receives every item exactly once.");
ABSL_FLAG(std::string, recovery_db, "",
          "SQLite file that keeps each partition's position at every epoch; a run with it "
          "resumes where the last one stopped. Empty: no recovery.");
ABSL_FLAG(int, recovery_epochs_kept, 3, "How many of the latest epochs the recovery file keeps.");
ABSL_FLAG(std::string, progress, "auto",
          "Live progress line on stderr: auto (when stderr is a terminal), always or never.");

namespace inlet::internal {
namespace {

// The basename of argv[0], for messages; set by ParseMainFlags.
std::string& ProgramName() {
  static std::string* name = new std::string("inlet");
  return *name;
}

// Abseil spells flags with underscores; people type dashes. Rewrites
// "--epoch-interval=1s" to "--epoch_interval=1s", leaving values alone.
std::vector<std::string> NormalizeFlagNames(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  for (size_t i = 1; i < args.size(); ++i) {
    std::string& arg = args[i];
    if (arg == "--") break;
    if (!absl::StartsWith(arg, "--")) continue;
    const size_t name_end = std::min(arg.find('='), arg.size());
    for (size_t c = 2; c < name_end; ++c) {
      if (arg[c] == '-') arg[c] = '_';
    }
  }
  return args;
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
  absl::FlagsUsageConfig usage;
  // --help lists inlet's flags and the program's own, not Abseil's.
  usage.contains_help_flags = [](absl::string_view file) {
    return !absl::StrContains(file, "absl/");
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  absl::SetFlagsUsageConfig(usage);
  if (absl::StartsWith(absl::ProgramUsageMessage(), "Warning: SetProgramUsageMessage")) {
    absl::SetProgramUsageMessage(absl::StrCat(
        "runs a connector on the inlet embedded runtime and writes what it reads as JSON lines.\n"
        "Usage: ",
        ProgramName(),
        " [--workers=N] [--epoch-interval=10s] [--output=PATH] [--recovery-db=PATH] "
        "[--progress=auto|always|never] [ARGS...]"));
  }
  std::vector<std::string> normalized = NormalizeFlagNames(argc, argv);
  std::vector<char*> pointers;
  for (std::string& arg : normalized) pointers.push_back(arg.data());
  std::vector<char*> rest =
      absl::ParseCommandLine(static_cast<int>(pointers.size()), pointers.data());

  MainConfig config;
  config.run.workers = absl::GetFlag(FLAGS_workers);
  config.run.epoch_interval = absl::GetFlag(FLAGS_epoch_interval);
  config.run.flush_interval = absl::GetFlag(FLAGS_flush_interval);
  config.run.slow_poll_threshold = absl::GetFlag(FLAGS_slow_poll_threshold);
  config.output = absl::GetFlag(FLAGS_output);
  config.run.recovery_db = absl::GetFlag(FLAGS_recovery_db);
  config.run.recovery_epochs_kept = absl::GetFlag(FLAGS_recovery_epochs_kept);
  for (size_t i = 1; i < rest.size(); ++i) config.args.emplace_back(rest[i]);

  if (config.run.workers < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--workers must be at least 1, got ", config.run.workers));
  }
  if (config.run.epoch_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--epoch-interval must be positive, got ",
                     absl::FormatDuration(config.run.epoch_interval)));
  }
  if (config.run.flush_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--flush-interval must be positive, got ",
                     absl::FormatDuration(config.run.flush_interval)));
  }
  const std::string progress = absl::GetFlag(FLAGS_progress);
  if (progress == "auto") {
    config.show_progress = isatty(STDERR_FILENO) == 1;
  } else if (progress == "always" || progress == "never") {
    config.show_progress = progress == "always";
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--progress must be auto, always or never, got \"", progress, "\""));
  }
  if (config.run.recovery_epochs_kept < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--recovery-epochs-kept must be at least 1, got ", config.run.recovery_epochs_kept));
  }
  if (config.output.empty()) {
    return absl::InvalidArgumentError("--output must be a path or - for standard output");
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
  bool progress_shown = false;
  int64_t last_items = 0;
  absl::Duration last_elapsed;

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
  impl_->show_progress = config_.show_progress;
  if (impl_->show_progress) {
    config_.run.on_progress = [impl = impl_.get()](const RunProgress& progress) {
      impl->ShowProgress(progress);
    };
  }
}

MainSession::~MainSession() {
  impl_->done.store(true);
  pthread_kill(impl_->signal_waiter.native_handle(), SIGTERM);
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
