// The metrics of a run of the embedded runtime, per partition (step,
// partition and worker): items and batches read, how long `NextBatch` takes,
// how long since the last item, the backlog where the source can estimate it
// (`EstimateBacklog`, source.h); and per run: how long epoch commits take and
// how large the recovery store is.
//
// A run collects them when `RunOptions::collect_metrics` is set. Each worker
// counts for its own partitions, in memory no other thread writes, and hands
// a copy over once per `RunOptions::metrics_interval`; the counting itself
// takes no lock and no atomic operation. They reach the program through
// `RunOptions::on_metrics` while the run lasts and `RunReport::metrics` at
// its end; `PrometheusText` renders them in the Prometheus text format (what
// `RunMain --metrics-address` serves).
//
// These are plain values: a `RunMetrics` handed out is a copy its receiver
// owns.

#ifndef INLET_METRICS_H_
#define INLET_METRICS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "inlet/backlog.h"

namespace inlet {

// A histogram of durations over fixed buckets, one per decade from 1 µs to
// 10 s (Prometheus's `le` bounds 1e-06 ... 10, then +Inf). Fixed so that
// recording is a few comparisons and an increment, and so that histograms
// of different partitions and runs add up.
struct DurationHistogram {
  static constexpr size_t kBounds = 8;
  // The upper bound of each bucket but the last, in nanoseconds; a duration
  // equal to a bound falls in that bound's bucket.
  static constexpr std::array<int64_t, kBounds> kUpperBoundsNanos = {
      1'000, 10'000, 100'000, 1'000'000, 10'000'000, 100'000'000, 1'000'000'000, 10'000'000'000};

  // Durations in each bucket (not cumulative); the last holds those above
  // every bound.
  std::array<int64_t, kBounds + 1> buckets = {};
  int64_t sum_nanos = 0;  // Their sum.

  // Durations recorded.
  int64_t count() const {
    int64_t total = 0;
    for (int64_t n : buckets) total += n;
    return total;
  }

  // Runs on every `NextBatch`: one comparison per bound the duration
  // exceeds, and no call or table load. Most polls take under a
  // microsecond, so one predicted comparison decides. A negative duration
  // (the wall clock stepped back) counts as zero.
  void Record(absl::Duration duration) { RecordNanos(NonNegativeNanos(duration)); }

  // `Record` for a duration already in whole nanoseconds, as the runtime
  // reads its clock; a negative one counts as zero.
  void RecordNanos(int64_t nanos) {
    nanos = nanos < 0 ? 0 : nanos;
    size_t bucket = 0;
    while (bucket < kBounds && nanos > kUpperBoundsNanos[bucket]) ++bucket;
    ++buckets[bucket];
    sum_nanos += nanos;
  }

 private:
  // `absl::ToInt64Nanoseconds`'s fast path, inline: the library's function is
  // not inlined where Abseil is a shared library (Debian), and a call costs
  // more than the rest of `Record`. Zero for a negative duration; durations
  // of 2^33 s or more (none a poll takes) are clamped there.
  static int64_t NonNegativeNanos(absl::Duration duration) {
    constexpr int64_t kLargest = int64_t{1} << 33;
    const int64_t seconds = absl::time_internal::GetRepHi(duration);
    // One comparison for both ends: a negative count of seconds is a huge
    // unsigned one.
    if (static_cast<uint64_t>(seconds) >= static_cast<uint64_t>(kLargest)) [[unlikely]] {
      return seconds < 0 ? 0 : kLargest * 1'000'000'000;
    }
    return seconds * 1'000'000'000 +
           absl::time_internal::GetRepLo(duration) / absl::time_internal::kTicksPerNanosecond;
  }
};

// One partition (or the source of a dynamic input on one worker).
struct PartitionMetrics {
  std::string partition = {};  // As in `RunReport::partition_items`.
  int worker = 0;              // The worker that owns it, from 0.
  int64_t items = 0;           // Items its `NextBatch` calls appended.
  int64_t batches = 0;         // `NextBatch` calls that appended at least one item.
  // Every `NextBatch` call, empty or not.
  DurationHistogram next_batch_duration = {};
  // When its last item was read; `absl::InfinitePast()` before the first.
  absl::Time last_item = absl::InfinitePast();
  // What `EstimateBacklog` said when the worker last took its metrics;
  // nullopt when the source cannot tell. Zero, in the same unit, once the
  // partition has ended.
  std::optional<Backlog> backlog = std::nullopt;
  bool ended = false;  // `NextBatch` returned `kEnd`.
};

struct RunMetrics {
  std::string step = {};  // `RunOptions::step_id`.
  // Every partition of the run, in the order of the workers that own them.
  std::vector<PartitionMetrics> partitions = {};
  // Each epoch commit: the sink's `Commit` and, with a recovery store, its
  // transaction (the fsync included); the barrier's wait is not counted.
  DurationHistogram epoch_commit_duration = {};
  // The recovery store's files on disk (the database and its write-ahead
  // log) after the last commit; nullopt without a recovery store.
  std::optional<int64_t> recovery_store_bytes = std::nullopt;
  // When the coordinator gathered these; each worker's part was taken by
  // the worker at most one `metrics_interval` earlier.
  absl::Time taken = absl::InfinitePast();
};

// `metrics` in the Prometheus text exposition format (version 0.0.4), one
// family per metric with its HELP and TYPE lines, labels `step`,
// `partition` and `worker`:
//   inlet_items_total                    counter   items read
//   inlet_batches_total                  counter   non-empty batches read
//   inlet_next_batch_duration_seconds    histogram every NextBatch call
//   inlet_last_item_age_seconds          gauge     `now` - last item (partitions with one)
//   inlet_backlog_items, _bytes          gauge     EstimateBacklog, by its unit
//   inlet_partition_ended                gauge     1 once NextBatch returned kEnd
//   inlet_epoch_commit_duration_seconds  histogram (label step)
//   inlet_recovery_store_size_bytes      gauge     (label step; with a store)
// Label values are escaped as the format requires (backslash, quote,
// newline), so any partition name is safe.
std::string PrometheusText(const RunMetrics& metrics, absl::Time now);

}  // namespace inlet

#endif  // INLET_METRICS_H_
