#include "inlet/run_options.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace inlet {

absl::Status RunOptions::Validate() const {
  auto invalid = [](const char* field, auto&&... rest) {
    return absl::InvalidArgumentError(absl::StrCat("RunOptions.", field, " must ", rest...));
  };
  if (step_id.empty()) return invalid("step_id", "not be empty");
  if (workers < 1) return invalid("workers", "be at least 1, got ", workers);
  if (workers > kMaxWorkers) {
    return invalid("workers", "be at most ", kMaxWorkers, ", got ", workers);
  }
  if (epoch_interval <= absl::ZeroDuration()) {
    return invalid("epoch_interval", "be positive, got ", absl::FormatDuration(epoch_interval));
  }
  if (flush_interval <= absl::ZeroDuration()) {
    return invalid("flush_interval", "be positive, got ", absl::FormatDuration(flush_interval));
  }
  if (slow_poll_threshold < absl::ZeroDuration()) {
    return invalid("slow_poll_threshold", "not be negative, got ",
                   absl::FormatDuration(slow_poll_threshold));
  }
  if (recovery_epochs_kept < 1) {
    return invalid("recovery_epochs_kept", "be at least 1, got ", recovery_epochs_kept);
  }
  if (max_open_partitions < 0) {
    return invalid("max_open_partitions", "not be negative, got ", max_open_partitions);
  }
  if (relist_interval < absl::ZeroDuration()) {
    return invalid("relist_interval", "not be negative, got ",
                   absl::FormatDuration(relist_interval));
  }
  if (progress_interval <= absl::ZeroDuration()) {
    return invalid("progress_interval", "be positive, got ",
                   absl::FormatDuration(progress_interval));
  }
  if (metrics_interval <= absl::ZeroDuration()) {
    return invalid("metrics_interval", "be positive, got ", absl::FormatDuration(metrics_interval));
  }
  if (on_metrics && !collect_metrics) {
    return invalid("on_metrics", "be empty unless RunOptions.collect_metrics is true");
  }
  return absl::OkStatus();
}

}  // namespace inlet
