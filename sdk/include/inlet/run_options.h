// Options and results of one run of the embedded runtime (`inlet::Run`).

#ifndef INLET_RUN_OPTIONS_H_
#define INLET_RUN_OPTIONS_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "inlet/metrics.h"
#include "nlohmann/json.hpp"

namespace inlet {

// A live view of a run, handed to `RunOptions::on_progress`.
struct RunProgress {
  int64_t items = 0;            // Items written to the sink so far.
  int live_partitions = 0;      // Partitions (or dynamic sources) not yet ended.
  int64_t epoch = 0;            // The epoch in progress; the first is 1.
  absl::Duration elapsed = {};  // Wall time since the run started.
};

struct RunOptions {
  // Names the input in messages and, with recovery, in the store.
  // Default: "input".
  std::string step_id = "input";

  // The most worker threads a run may have.
  static constexpr int kMaxWorkers = 4096;

  // Number of worker threads, 1 to `kMaxWorkers`. Partitions are spread over
  // them by a deterministic balanced rule; a dynamic input builds one source
  // each. Default: 1.
  int workers = 1;

  // Time between epoch closes; positive. At each close every live partition
  // is snapshotted, the sink commits (makes durable) what it holds, and with
  // a recovery store the snapshots are committed with the sink's marker;
  // then sources learn what is durable (`Committed`). It trades commit cost
  // against how much a crashed run replays; it does not delay output (see
  // `flush_interval`). Default: 10 seconds (as Bytewax).
  absl::Duration epoch_interval = absl::Seconds(10);

  // Delivery bound; positive: a worker flushes the sink (`Sink::Flush`:
  // visible, not durable) before it sleeps, and at least this often while it
  // keeps writing, so output reaches its destination promptly whatever the
  // epoch interval. Default: 100 ms.
  absl::Duration flush_interval = absl::Milliseconds(100);

  // A `NextBatch` call that runs longer than this (zero or more) is reported
  // once per partition as a warning. Default: 100 ms.
  absl::Duration slow_poll_threshold = absl::Milliseconds(100);

  // The recovery store: an SQLite file holding, for every closed epoch, the
  // resume state of each partition and the sink's marker, written in one
  // transaction. When set, a run resumes from the latest complete epoch in
  // it (partitions through `BuildPart(..., resume)`, the sink through
  // `Restore`), and the worker count may differ from the previous run's.
  // The file is created when missing; a file that is corrupt, belongs to
  // another program, has a newer schema or cannot be written is an error and
  // is left untouched. Default: empty (no recovery).
  std::filesystem::path recovery_db = {};

  // How many of the latest epochs the recovery store keeps, at least 1;
  // older ones are pruned so the file stays bounded. Default: 3.
  int recovery_epochs_kept = 3;

  // Requests an orderly stop: the current epoch is closed and committed,
  // every partition is closed and `Run` returns OK. Default: never.
  std::stop_token stop = {};

  // The most partitions a worker keeps built (open) at once; 0 or more. A
  // worker builds the partitions it owns in order up to this bound; the
  // others wait, keeping their stored state in every epoch committed
  // meanwhile, and are built as earlier ones end and are closed. A partition
  // that ended holds its room until its final state is committed, so a
  // worker with waiting partitions and no room asks for an epoch close at
  // once. Partitions that never end (a followed file) keep the ones after
  // them waiting for as long as they run.
  // Default: 0, derived from the process's soft RLIMIT_NOFILE at `Run`:
  // (limit - 64) / 2 / workers, at least 1 (64 descriptors are kept for the
  // sink, the recovery store and the program; half the rest leaves room for
  // partitions holding two descriptors). Unbounded when the limit is.
  int max_open_partitions = 0;

  // With a positive interval, `ListParts` is called again this often while
  // the run lasts, from the thread that called `Run`. Partitions not seen
  // before are dealt to the workers by the same balanced rule, continued
  // from what each worker owns (no running partition moves), and built with
  // their stored state if they have one. A partition no longer listed keeps
  // running until it ends, with one warning. The run then ends only when
  // `stop` is requested (or on an error), not when every partition ended,
  // since more may come. Zero or more. Default: zero (listed once, at the
  // start).
  absl::Duration relist_interval = absl::ZeroDuration();

  // Called from the coordinating thread every `progress_interval` while the
  // run lasts. Must return quickly. Default: none.
  std::function<void(const RunProgress&)> on_progress = nullptr;
  // Positive. Default: 250 ms.
  absl::Duration progress_interval = absl::Milliseconds(250);

  // Collects per-partition metrics (metrics.h): every `NextBatch` is timed
  // into a histogram, and each worker hands a copy of its partitions'
  // counters over every `metrics_interval`, asking each live source's
  // `EstimateBacklog`. They arrive through `on_metrics` and in
  // `RunReport::metrics`. Off, the runtime counts only items and batches.
  // Default: false.
  bool collect_metrics = false;

  // How often workers hand their metrics over and `on_metrics` is called;
  // positive. Default: 1 second.
  absl::Duration metrics_interval = absl::Seconds(1);

  // Called from the coordinating thread (the caller of `Run`) every
  // `metrics_interval` while the run lasts, and once more after it ends
  // with the values of `RunReport::metrics`; never two calls at once. Each
  // worker's part is at most one `metrics_interval` old. Must return
  // quickly: epochs wait for it. Requires `collect_metrics`. Default: none.
  std::function<void(const RunMetrics&)> on_metrics = nullptr;

  // Receives each warning of the run as it is raised (a slow `NextBatch`, a
  // stored partition no longer listed, a connector's `inlet::Warn`), one
  // line naming its place, e.g. `step "s" partition "p": NextBatch: ...`.
  // Called on the thread that raised the warning (a worker, the caller of
  // `Run`, a subject's thread), never two calls at once; must return
  // quickly and must not call `inlet::Warn`. Every warning is also kept in
  // `RunReport::warnings`. The library itself never prints. Default: none.
  std::function<void(std::string_view warning)> on_warning = nullptr;

  // OK when every field holds an allowed value; otherwise InvalidArgument
  // naming the first field that does not, its value and what is allowed,
  // e.g. `RunOptions.workers must be at least 1, got 0`. `inlet::Run`
  // calls it first and runs nothing when it fails.
  absl::Status Validate() const;
};

// What a finished run did.
struct RunReport {
  int64_t items = 0;    // Items written to the sink.
  int64_t batches = 0;  // Non-empty batches written to the sink.
  int64_t epochs = 0;   // Epochs closed in this run, including the final one.
  // The epoch the run resumed from (0 for a fresh start) and the last one it
  // committed.
  int64_t resumed_epoch = 0;
  int64_t last_epoch = 0;
  absl::Duration wall_time = {};
  // Items read from each partition, keyed by partition name ("worker-N"
  // for the sources of a dynamic input).
  std::map<std::string, int64_t> partition_items;
  // The resume state of every partition as of the last closed epoch,
  // including partitions that kept their state from an earlier run without
  // being listed in this one. Empty for a dynamic input.
  std::map<std::string, nlohmann::json> snapshots;
  // Warnings raised during the run, in the order they were raised (each also
  // went to `RunOptions::on_warning`): slow `NextBatch` calls, connectors'
  // `inlet::Warn`.
  std::vector<std::string> warnings;
  // True when the run ended because `RunOptions::stop` was requested.
  bool stopped = false;
  // The run's metrics at its end, when `RunOptions::collect_metrics` is set
  // (every partition's final counts); otherwise empty.
  RunMetrics metrics;
};

}  // namespace inlet

#endif  // INLET_RUN_OPTIONS_H_
