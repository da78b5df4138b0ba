// The embedded runtime: worker threads that poll their partitions when due,
// and a coordinating thread (the caller of `Run`) that closes epochs,
// reports progress and handles stop requests and errors.
//
// Epoch close is a short barrier: the coordinator asks for it, every running
// worker snapshots its live partitions between two polls and waits, the
// coordinator commits the sink and the snapshots, then releases the workers,
// which tell their sources what became durable (`Committed`) before polling
// again. So every committed snapshot set matches exactly what the sink holds,
// and no acknowledgement runs ahead of the store.
//
// Delivery is apart from epochs: a worker flushes the sink before it sleeps
// and at least every `flush_interval` while it keeps writing. A worker sleeps
// on a signal of its own until its earliest due partition, a wake from a
// source (waker.h), an epoch request or an error.
//
// A worker keeps at most `max_open_partitions` partitions built; the others
// wait in order (open_partition_limit.h) and are built on the worker as
// closed ones make room. A partition that ended holds its room until its
// final state is committed, so a worker that could open a waiting partition
// but for them asks for an epoch close at once. With `relist_interval`, the
// coordinator lists the partitions again and hands new ones to the workers'
// waiting lists (partition_discovery.h).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "inlet/internal/erased_input.h"
#include "inlet/internal/guarded_call.h"
#include "inlet/metrics.h"
#include "inlet/run_options.h"
#include "open_partition_limit.h"
#include "partition_assignment.h"
#include "partition_discovery.h"
#include "recovery_store.h"
#include "wake_target.h"
#include "warning_route.h"

namespace inlet::internal {
namespace {

constexpr absl::Duration kEmptyBatchCooldown = absl::Milliseconds(1);

std::chrono::system_clock::time_point ToChrono(absl::Time t) {
  if (t == absl::InfiniteFuture()) return std::chrono::system_clock::time_point::max();
  return absl::ToChronoTime(t);
}

// One partition (or dynamic source) owned by a worker. Aligned so slots of
// different workers never share a cache line.
struct alignas(64) Slot {
  std::string name = {};
  Place place = {};
  std::unique_ptr<ErasedSource> source = nullptr;
  std::shared_ptr<PartitionWake> wake = nullptr;
  absl::Time due = {};
  bool ended = false;
  bool closed = false;
  bool warned_slow = false;
  int64_t items = 0;
  int64_t batches = 0;
  // Kept only when the run collects metrics.
  DurationHistogram next_batch_duration = {};
  absl::Time last_item = absl::InfinitePast();
  std::optional<Backlog> backlog = std::nullopt;
  // Taken when the partition ended; committed at the next epoch close,
  // after which the partition learns it (`Committed`) and is closed.
  std::optional<nlohmann::json> final_state = std::nullopt;
  bool end_handed_over = false;
};

// The guarded calls the runtime makes in more than one place.
absl::StatusOr<std::optional<nlohmann::json>> SnapshotOf(Slot& slot) {
  return GuardedCall(slot.place, "Snapshot", [&] { return slot.source->Snapshot(); });
}

absl::StatusOr<std::optional<absl::Time>> NextAwakeOf(Slot& slot) {
  return GuardedCall(slot.place, "NextAwake", [&] { return slot.source->NextAwake(); });
}

absl::StatusOr<std::optional<Backlog>> BacklogOf(Slot& slot) {
  return GuardedCall(slot.place, "EstimateBacklog", [&] { return slot.source->EstimateBacklog(); });
}

PartitionMetrics MetricsOf(const Slot& slot, int worker) {
  return PartitionMetrics{.partition = slot.name,
                          .worker = worker,
                          .items = slot.items,
                          .batches = slot.batches,
                          .next_batch_duration = slot.next_batch_duration,
                          .last_item = slot.last_item,
                          .backlog = slot.backlog,
                          .ended = slot.ended};
}

// The recovery store's files on disk: the database and its write-ahead log.
int64_t StoreBytes(const std::filesystem::path& db) {
  int64_t bytes = 0;
  for (const std::filesystem::path& file : {db, std::filesystem::path(db.string() + "-wal")}) {
    std::error_code error;
    const std::uintmax_t size = std::filesystem::file_size(file, error);
    if (!error) bytes += static_cast<int64_t>(size);
  }
  return bytes;
}

absl::Status CloseOf(Slot& slot) {
  return GuardedCall(slot.place, "Close", [&] { slot.source->Close(); }).status();
}

// Appends the final states of partitions that ended since they were last
// handed to the coordinator, and marks them handed over.
void TakeFinalStates(std::vector<Slot>& slots,
                     std::vector<std::pair<std::string, nlohmann::json>>& states) {
  for (Slot& slot : slots) {
    if (!slot.ended || slot.end_handed_over) continue;
    if (slot.final_state.has_value()) states.emplace_back(slot.name, *slot.final_state);
    slot.end_handed_over = true;
  }
}

struct alignas(64) WorkerCounters {
  std::atomic<int64_t> items{0};
  std::atomic<int> live{0};
  // Partitions found by a relisting wait in the runtime's `found_`.
  std::atomic<bool> found{false};
};

// A worker's metrics as it last handed them over; read by the coordinator.
struct alignas(64) HandedMetrics {
  std::mutex mu;
  std::vector<PartitionMetrics> partitions;  // Guarded by `mu`.
};

// What one worker owns besides its slots; touched only by it, except the
// signal.
struct Worker {
  std::shared_ptr<WorkerSignal> signal = std::make_shared<WorkerSignal>();
  bool unflushed = false;  // Wrote since the sink was last flushed.
  // When a busy worker flushes next: the last flush plus the flush interval,
  // kept as a time so the check after every round is a comparison.
  absl::Time flush_due = absl::InfinitePast();
  // Partitions assigned to the worker and not built yet, in building order.
  std::deque<PlannedPart> waiting;
  // The epoch for which the worker last asked for an early close.
  int64_t asked_epoch = 0;
  // Items and batches of the partitions closed and dropped from its slots.
  std::vector<std::pair<std::string, int64_t>> closed_items;
  int64_t closed_batches = 0;
  // With metrics on, the last metrics of those partitions.
  std::vector<PartitionMetrics> closed_metrics;
  int64_t metrics_handed = 0;  // The last metrics request it answered.
};

// A reading of the clock, as a time for due times and in nanoseconds for
// the slow-poll check, which then needs no Duration arithmetic per poll.
struct Clock {
  absl::Time time;
  int64_t nanos;
};

Clock ReadClock() {
  const int64_t nanos = absl::GetCurrentTimeNanos();
  return {absl::FromUnixNanos(nanos), nanos};
}

void Bind(Slot& slot, Worker& worker) {
  slot.wake = std::make_shared<PartitionWake>(worker.signal);
  slot.source->Bind(slot.wake);
}

class Runtime final : public WarningReceiver {
 public:
  Runtime(ErasedSink& sink, const RunOptions& options)
      : sink_(sink),
        options_(options),
        collect_metrics_(options.collect_metrics),
        step_(Place::Step(options.step_id)),
        slow_poll_threshold_nanos_(absl::ToInt64Nanoseconds(options.slow_poll_threshold)) {}
  // Sources are destroyed first: a subject's thread may still warn.
  ~Runtime() { slots_.clear(); }
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  absl::StatusOr<RunReport> Run(ErasedInput& input);

 private:
  // Opens the recovery store (if any), restores the sink and loads the
  // states the partitions resume from.
  absl::Status Recover();
  absl::Status Build();
  // Builds `part` for `worker` with its stored state, if any, and unless
  // `now` is none asks when it is due. Called before the workers start (then
  // `Run` asks every partition once all are built) and then on `worker` only.
  absl::Status BuildSlot(int worker, const PlannedPart& part, std::optional<absl::Time> now);
  // On a worker: takes the partitions a relisting found for it, then builds
  // waiting partitions while it has room; false after an error.
  bool OpenWaiting(int worker, absl::Time now);
  // On the coordinator, without `mu_`: lists the partitions again and hands
  // new ones to their workers.
  absl::Status Relist();
  void Work(int worker);
  // Polls `slot` once and sets `now` to when the poll finished; false when
  // the run must stop because of an error.
  bool PollOnce(Slot& slot, Worker& worker, WorkerCounters& counters, Clock& now);
  // Snapshots live partitions and waits for the coordinator to commit epoch
  // `epoch`, then tells the sources what became durable and closes the
  // partitions that ended. Returns false when the run failed meanwhile.
  bool CloseEpochOnWorker(int worker, int64_t epoch);
  // Takes `worker`'s metrics (asking live sources for their backlog) and
  // hands them to the coordinator; false after an error.
  bool HandOverMetrics(int worker);
  // Flushes the sink for what `worker` wrote; false after an error.
  bool FlushFor(Worker& worker, absl::Time now);
  void CloseAll(int worker);
  // Drops the closed partitions from the worker's slots, keeping their counts.
  void DropClosed(int worker);
  // Wakes every worker (an epoch request, an error).
  void NotifyWorkers();
  void Fail(absl::Status status);
  void ReceiveWarning(std::string message) override;
  // Starts the worker threads; an error when the system refuses one.
  absl::Status StartWorkers(std::vector<std::thread>& threads);
  bool failed() const { return failed_.load(std::memory_order_acquire); }

  // Coordinator side. Called with `mu_` held.
  void CloseEpoch(std::unique_lock<std::mutex>& lock);
  RunProgress Progress(absl::Time now);
  // The metrics as workers last handed them over, with the coordinator's.
  RunMetrics GatherMetrics();
  // Asks every worker to hand its metrics over.
  void RequestMetrics();

  ErasedSink& sink_;
  const RunOptions& options_;
  // `options_.collect_metrics`, read on every poll without an indirection.
  const bool collect_metrics_;
  const Place step_;
  // `options_.slow_poll_threshold`, truncated to whole nanoseconds (an
  // infinite one saturates).
  const int64_t slow_poll_threshold_nanos_;
  ErasedInput* input_ = nullptr;
  int open_limit_ = 1;  // Built partitions per worker.
  absl::Time start_;
  // Serializes the input's `ListParts` and `BuildPart` calls.
  std::mutex input_mu_;
  std::unique_ptr<PartitionDiscovery> discovery_;  // With relisting; coordinator only.
  std::vector<std::vector<Slot>> slots_;           // Per worker; touched only by it.
  std::vector<Worker> workers_;
  std::unique_ptr<WorkerCounters[]> counters_;
  std::atomic<bool> failed_{false};
  // The epoch the coordinator asks workers to close; 0 when none is asked.
  std::atomic<int64_t> closing_epoch_{0};
  // With `collect_metrics`: raised to ask workers to hand metrics over.
  std::atomic<int64_t> metrics_requested_{0};
  std::unique_ptr<HandedMetrics[]> handed_;

  std::mutex mu_;
  std::condition_variable cv_;
  // Guarded by `mu_`:
  absl::Status error_;
  bool stop_requested_ = false;
  bool stopping_ = false;  // Workers close their partitions after the epoch.
  int running_ = 0;        // Workers that have not exited.
  int active_ = 0;         // Workers with a partition that has not ended.
  int arrived_ = 0;        // Workers waiting at the current epoch barrier.
  int64_t epoch_ = 1;      // The epoch in progress.
  int64_t committed_epoch_ = 0;
  DurationHistogram commit_duration_;
  std::optional<int64_t> store_bytes_;
  std::map<std::string, nlohmann::json> pending_states_;
  bool early_epoch_ = false;  // A worker waits for room (see `Worker::asked_epoch`).
  std::vector<std::vector<PlannedPart>> found_;  // Per worker, from relisting.
  RunReport report_;
  std::unique_ptr<RecoveryStore> store_;

  // Serializes `on_warning` and guards `warnings_`. Apart from `mu_`: a
  // sink's `Flush` may warn while the coordinator holds `mu_`.
  std::mutex warnings_mu_;
  std::vector<std::string> warnings_;
};

absl::Status Runtime::Recover() {
  nlohmann::json marker;
  if (!options_.recovery_db.empty()) {
    absl::StatusOr<std::unique_ptr<RecoveryStore>> store =
        RecoveryStore::Open(options_.recovery_db, options_.recovery_epochs_kept);
    if (!store.ok()) return store.status();
    store_ = *std::move(store);
    absl::StatusOr<std::optional<StoredEpoch>> latest = store_->Latest(options_.step_id);
    if (!latest.ok()) return latest.status();
    if (latest->has_value()) {
      StoredEpoch& stored = **latest;
      epoch_ = stored.epoch + 1;
      report_.resumed_epoch = stored.epoch;
      report_.last_epoch = stored.epoch;
      // Every stored state is carried into the epochs this run commits, so a
      // partition that is not listed this time keeps its state.
      report_.snapshots = std::move(stored.states);
      marker = std::move(stored.sink_marker);
    }
  }
  return GuardedCall(step_, "sink Restore", [&] { return sink_.Restore(marker); });
}

absl::Status Runtime::Build() {
  const int workers = options_.workers;
  absl::StatusOr<std::vector<PlannedPart>> parts =
      GuardedCall(step_, "ListParts", [&] { return input_->ListParts(options_.step_id, workers); });
  if (!parts.ok()) return parts.status();
  std::map<std::string_view, const PlannedPart*> by_name;
  std::vector<std::string> unpinned;
  for (const PlannedPart& part : *parts) {
    if (!by_name.emplace(part.name, &part).second) {
      return absl::InvalidArgumentError(
          step_.Prefix("ListParts", absl::StrCat("partition \"", part.name, "\" is listed twice")));
    }
    if (!part.worker.has_value()) unpinned.push_back(part.name);
  }
  for (const auto& [name, state] : report_.snapshots) {
    if (!by_name.contains(name)) {
      ReceiveWarning(step_.Prefix(
          "", absl::StrCat("partition \"", name,
                           "\" has a stored state but ListParts no longer returns it; its state "
                           "is kept for a later run")));
    }
  }
  // In one process every worker reaches every partition.
  absl::StatusOr<std::vector<std::vector<std::string>>> owned =
      AssignPartitions(std::vector<std::vector<std::string>>(workers, unpinned));
  if (!owned.ok()) return owned.status();
  std::vector<std::vector<std::string>> plan(workers);
  for (const PlannedPart& part : *parts) {
    if (part.worker.has_value()) plan[*part.worker].push_back(part.name);
  }
  for (int w = 0; w < workers; ++w) {
    plan[w].insert(plan[w].end(), (*owned)[w].begin(), (*owned)[w].end());
  }
  if (options_.relist_interval > absl::ZeroDuration()) {
    discovery_ = std::make_unique<PartitionDiscovery>(plan);
  }
  for (int w = 0; w < workers; ++w) {
    for (const std::string& name : plan[w]) {
      const PlannedPart& part = *by_name.at(name);
      if (static_cast<int>(slots_[w].size()) < open_limit_) {
        if (absl::Status built = BuildSlot(w, part, std::nullopt); !built.ok()) return built;
      } else {
        workers_[w].waiting.push_back(part);
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Runtime::BuildSlot(int worker, const PlannedPart& part,
                                std::optional<absl::Time> now) {
  std::optional<nlohmann::json> resume;
  {
    // The coordinator replaces the snapshots only while every worker waits
    // at the epoch barrier; the lock orders this read after that.
    std::lock_guard<std::mutex> lock(mu_);
    auto stored = report_.snapshots.find(part.name);
    if (stored != report_.snapshots.end()) resume = stored->second;
  }
  absl::StatusOr<std::unique_ptr<ErasedSource>> source;
  {
    std::lock_guard<std::mutex> lock(input_mu_);
    source = GuardedCall(part.place, part.build_method, [&] {
      return input_->BuildPart(options_.step_id, part, options_.workers, std::move(resume));
    });
  }
  if (!source.ok()) return source.status();
  Slot slot{.name = part.name, .place = part.place, .source = *std::move(source)};
  Bind(slot, workers_[worker]);
  slots_[worker].push_back(std::move(slot));
  counters_[worker].live.fetch_add(1, std::memory_order_relaxed);
  if (!now.has_value()) return absl::OkStatus();
  absl::StatusOr<std::optional<absl::Time>> awake = NextAwakeOf(slots_[worker].back());
  if (!awake.ok()) return awake.status();
  slots_[worker].back().due = awake->value_or(*now);
  return absl::OkStatus();
}

bool Runtime::OpenWaiting(int index, absl::Time now) {
  Worker& worker = workers_[index];
  if (counters_[index].found.exchange(false, std::memory_order_acq_rel)) {
    std::lock_guard<std::mutex> lock(mu_);
    for (PlannedPart& part : found_[index]) worker.waiting.push_back(std::move(part));
    found_[index].clear();
  }
  while (!worker.waiting.empty() && static_cast<int>(slots_[index].size()) < open_limit_) {
    const PlannedPart part = std::move(worker.waiting.front());
    worker.waiting.pop_front();
    if (absl::Status built = BuildSlot(index, part, now); !built.ok()) {
      Fail(std::move(built));
      return false;
    }
  }
  return true;
}

absl::Status Runtime::Relist() {
  absl::StatusOr<std::vector<PlannedPart>> parts;
  {
    std::lock_guard<std::mutex> lock(input_mu_);
    parts = GuardedCall(step_, "ListParts",
                        [&] { return input_->ListParts(options_.step_id, options_.workers); });
  }
  if (!parts.ok()) return parts.status();
  std::map<std::string_view, const PlannedPart*> by_name;
  std::vector<std::string> names;
  names.reserve(parts->size());
  for (const PlannedPart& part : *parts) {
    if (!by_name.emplace(part.name, &part).second) {
      return absl::InvalidArgumentError(
          step_.Prefix("ListParts", absl::StrCat("partition \"", part.name, "\" is listed twice")));
    }
    // A pinned part (a dynamic input's) is never new.
    if (!part.worker.has_value()) names.push_back(part.name);
  }
  PartitionDiscovery::Found found = discovery_->Update(names);
  for (const std::string& name : found.vanished) {
    ReceiveWarning(step_.Prefix(
        "", absl::StrCat("partition \"", name,
                         "\" is no longer returned by ListParts; it keeps running until it "
                         "ends")));
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (int w = 0; w < options_.workers; ++w) {
    if (found.assigned[w].empty()) continue;
    for (const std::string& name : found.assigned[w]) found_[w].push_back(*by_name.at(name));
    counters_[w].found.store(true, std::memory_order_release);
    workers_[w].signal->Notify();
  }
  return absl::OkStatus();
}

void Runtime::Fail(absl::Status status) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (error_.ok()) error_ = std::move(status);
    failed_.store(true, std::memory_order_release);
    cv_.notify_all();
  }
  NotifyWorkers();
}

void Runtime::NotifyWorkers() {
  for (Worker& worker : workers_) worker.signal->Notify();
}

bool Runtime::FlushFor(Worker& worker, absl::Time now) {
  absl::Status flushed = GuardedCall(step_, "sink Flush", [&] { return sink_.Flush(); });
  worker.unflushed = false;
  worker.flush_due = now + options_.flush_interval;
  if (!flushed.ok()) {
    Fail(std::move(flushed));
    return false;
  }
  return true;
}

void Runtime::ReceiveWarning(std::string message) {
  std::lock_guard<std::mutex> lock(warnings_mu_);
  if (options_.on_warning) options_.on_warning(message);
  warnings_.push_back(std::move(message));
}

bool Runtime::PollOnce(Slot& slot, Worker& worker, WorkerCounters& counters, Clock& now) {
  const Clock started = now;
  absl::StatusOr<Poll> poll =
      GuardedCall(slot.place, "NextBatch", [&] { return slot.source->NextBatch(); });
  now = ReadClock();
  const absl::Time finished = now.time;
  // Whole nanoseconds on both sides: the same test as comparing Durations.
  if (now.nanos - started.nanos > slow_poll_threshold_nanos_ && !slot.warned_slow) {
    slot.warned_slow = true;
    ReceiveWarning(slot.place.Prefix(
        "",
        absl::StrCat("NextBatch took ", absl::FormatDuration(finished - started.time),
                     " (slow-poll threshold ", absl::FormatDuration(options_.slow_poll_threshold),
                     "); a source must never block: return an empty batch and use NextAwake")));
  }
  if (!poll.ok()) {
    Fail(poll.status());
    return false;
  }
  const size_t count = slot.source->buffered();
  if (collect_metrics_) {
    slot.next_batch_duration.RecordNanos(now.nanos - started.nanos);
    if (count > 0) slot.last_item = finished;
  }
  if (count > 0) {
    absl::Status written =
        GuardedCall(slot.place, "sink Write", [&] { return sink_.Write(*slot.source); });
    if (!written.ok()) {
      Fail(written);
      return false;
    }
    slot.items += static_cast<int64_t>(count);
    ++slot.batches;
    worker.unflushed = true;
    counters.items.fetch_add(static_cast<int64_t>(count), std::memory_order_relaxed);
  }
  if (*poll == Poll::kEnd) {
    absl::StatusOr<std::optional<nlohmann::json>> state = SnapshotOf(slot);
    if (!state.ok()) {
      Fail(state.status());
      return false;
    }
    // Closed once its final state is committed (`CloseEpochOnWorker`).
    slot.final_state = *std::move(state);
    slot.ended = true;
    if (slot.backlog.has_value()) slot.backlog->amount = 0;
    counters.live.fetch_sub(1, std::memory_order_relaxed);
    return true;
  }
  absl::StatusOr<std::optional<absl::Time>> awake = NextAwakeOf(slot);
  if (!awake.ok()) {
    Fail(awake.status());
    return false;
  }
  if (awake->has_value()) {
    slot.due = **awake;
  } else {
    slot.due = count > 0 ? finished : finished + kEmptyBatchCooldown;
  }
  return true;
}

void Runtime::DropClosed(int index) {
  Worker& worker = workers_[index];
  std::erase_if(slots_[index], [&](const Slot& slot) {
    if (!slot.closed) return false;
    worker.closed_items.emplace_back(slot.name, slot.items);
    worker.closed_batches += slot.batches;
    if (collect_metrics_) worker.closed_metrics.push_back(MetricsOf(slot, index));
    return true;
  });
}

bool Runtime::HandOverMetrics(int worker) {
  std::vector<PartitionMetrics> partitions;
  partitions.reserve(slots_[worker].size());
  for (Slot& slot : slots_[worker]) {
    if (!slot.ended && !slot.closed) {
      absl::StatusOr<std::optional<Backlog>> backlog = BacklogOf(slot);
      if (!backlog.ok()) {
        Fail(backlog.status());
        return false;
      }
      slot.backlog = *backlog;
    }
    partitions.push_back(MetricsOf(slot, worker));
  }
  const std::vector<PartitionMetrics>& closed = workers_[worker].closed_metrics;
  partitions.insert(partitions.end(), closed.begin(), closed.end());
  std::lock_guard<std::mutex> lock(handed_[worker].mu);
  handed_[worker].partitions.swap(partitions);
  return true;
}

void Runtime::CloseAll(int worker) {
  for (Slot& slot : slots_[worker]) {
    if (slot.closed) continue;
    slot.closed = true;
    if (!slot.ended) counters_[worker].live.fetch_sub(1, std::memory_order_relaxed);
    absl::Status closed = CloseOf(slot);
    if (!closed.ok()) {
      if (failed()) {
        ReceiveWarning(std::string(closed.message()));
      } else {
        Fail(closed);
      }
    }
  }
}

bool Runtime::CloseEpochOnWorker(int worker, int64_t epoch) {
  std::vector<std::pair<std::string, nlohmann::json>> states;
  for (Slot& slot : slots_[worker]) {
    if (slot.ended) continue;
    absl::StatusOr<std::optional<nlohmann::json>> state = SnapshotOf(slot);
    if (!state.ok()) {
      Fail(state.status());
      return false;
    }
    if (state->has_value()) states.emplace_back(slot.name, **state);
  }
  TakeFinalStates(slots_[worker], states);
  {
    std::unique_lock<std::mutex> lock(mu_);
    for (auto& [name, state] : states) pending_states_[name] = std::move(state);
    ++arrived_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return committed_epoch_ >= epoch || !error_.ok(); });
    if (!error_.ok()) return false;
  }
  // The epoch is durable and no partition was polled since its snapshot.
  for (Slot& slot : slots_[worker]) {
    if (slot.closed || (slot.ended && !slot.end_handed_over)) continue;
    absl::Status acknowledged =
        GuardedCall(slot.place, "Committed", [&] { slot.source->Committed(); }).status();
    if (!acknowledged.ok()) {
      Fail(std::move(acknowledged));
      return false;
    }
    if (!slot.ended) continue;
    slot.closed = true;
    absl::Status closed = CloseOf(slot);
    if (!closed.ok()) {
      Fail(std::move(closed));
      return false;
    }
  }
  DropClosed(worker);
  return true;
}

void Runtime::Work(int index) {
  WarningRoute warnings(this);
  std::vector<Slot>& slots = slots_[index];
  Worker& worker = workers_[index];
  WorkerCounters& counters = counters_[index];
  int64_t closed_epoch = 0;
  bool finished = false;  // None of this worker's partitions is live.
  // The clock is read after every poll and after every wait, never twice in
  // a row: reading it is a measurable part of a small batch's cost.
  Clock now = ReadClock();
  while (!failed()) {
    if (collect_metrics_) {
      const int64_t requested = metrics_requested_.load(std::memory_order_relaxed);
      if (requested != worker.metrics_handed) {
        if (!HandOverMetrics(index)) break;
        worker.metrics_handed = requested;
      }
    }
    const int64_t closing = closing_epoch_.load(std::memory_order_acquire);
    if (closing > closed_epoch) {
      if (!CloseEpochOnWorker(index, closing)) break;
      closed_epoch = closing;
      now = ReadClock();
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) break;
      continue;
    }
    if (!OpenWaiting(index, now.time)) break;
    absl::Time next_due = absl::InfiniteFuture();
    bool live = false;
    bool epoch_requested = false;
    bool poll_failed = false;
    for (Slot& slot : slots) {
      if (slot.ended) continue;
      if (slot.wake->TakeWoken()) slot.due = now.time;
      if (slot.due <= now.time) {
        if (!PollOnce(slot, worker, counters, now)) {
          poll_failed = true;
          break;
        }
        // An epoch close waits for no more than the poll in progress.
        if (closing_epoch_.load(std::memory_order_acquire) > closed_epoch) {
          epoch_requested = true;
          break;
        }
      }
      if (!slot.ended) {
        live = true;
        next_due = std::min(next_due, slot.due);
      }
    }
    if (poll_failed) break;
    // Output is made visible before the worker sleeps, and at least every
    // flush interval while it stays busy.
    if (worker.unflushed && (next_due > now.time || now.time >= worker.flush_due)) {
      if (!FlushFor(worker, now.time)) break;
    }
    if (epoch_requested) continue;
    // Ended partitions hold the room waiting ones need until their final
    // states are committed: ask for that commit now rather than at the next
    // interval.
    if (!worker.waiting.empty() && static_cast<int>(slots.size()) >= open_limit_ &&
        worker.asked_epoch <= closed_epoch &&
        std::any_of(slots.begin(), slots.end(), [](const Slot& slot) { return slot.ended; })) {
      worker.asked_epoch = closed_epoch + 1;
      std::lock_guard<std::mutex> lock(mu_);
      early_epoch_ = true;
      cv_.notify_all();
    }
    if (!live && !finished && worker.waiting.empty() &&
        !counters.found.load(std::memory_order_acquire)) {
      finished = true;
      std::lock_guard<std::mutex> lock(mu_);
      --active_;
      cv_.notify_all();
    }
    if (next_due > now.time) {
      worker.signal->WaitUntil(next_due);
      now = ReadClock();
    }
  }
  CloseAll(index);
  std::lock_guard<std::mutex> lock(mu_);
  if (!finished) --active_;
  --running_;
  cv_.notify_all();
}

void Runtime::CloseEpoch(std::unique_lock<std::mutex>& lock) {
  const int64_t epoch = epoch_;
  arrived_ = 0;
  early_epoch_ = false;
  closing_epoch_.store(epoch, std::memory_order_release);
  NotifyWorkers();
  cv_.wait(lock, [&] { return arrived_ >= running_ || !error_.ok(); });
  if (!error_.ok()) return;
  // Workers are parked at the barrier (or gone): the sink is quiescent.
  const absl::Time commit_started = absl::Now();
  absl::StatusOr<nlohmann::json> marker =
      GuardedCall(step_, "sink Commit", [&] { return sink_.Commit(); });
  StoredEpoch committed{
      .epoch = epoch, .states = report_.snapshots, .worker_count = options_.workers};
  for (auto& [name, state] : pending_states_) committed.states[name] = std::move(state);
  pending_states_.clear();
  absl::Status status = marker.status();
  if (status.ok() && store_ != nullptr) {
    committed.sink_marker = *std::move(marker);
    status = store_->Commit(options_.step_id, committed);
    if (!status.ok()) {
      status = absl::Status(status.code(), step_.Prefix("", absl::StrCat("committing epoch ", epoch,
                                                                         ": ", status.message())));
    }
  }
  if (!status.ok()) {
    error_ = status;
    failed_.store(true, std::memory_order_release);
    cv_.notify_all();
    return;
  }
  if (collect_metrics_) {
    commit_duration_.Record(absl::Now() - commit_started);
    if (store_ != nullptr) store_bytes_ = StoreBytes(options_.recovery_db);
  }
  report_.snapshots = std::move(committed.states);
  ++report_.epochs;
  report_.last_epoch = epoch;
  committed_epoch_ = epoch;
  epoch_ = epoch + 1;
  cv_.notify_all();
}

RunProgress Runtime::Progress(absl::Time now) {
  RunProgress progress{.epoch = epoch_, .elapsed = now - start_};
  for (int w = 0; w < options_.workers; ++w) {
    progress.items += counters_[w].items.load(std::memory_order_relaxed);
    progress.live_partitions += counters_[w].live.load(std::memory_order_relaxed);
  }
  return progress;
}

RunMetrics Runtime::GatherMetrics() {
  RunMetrics metrics{.step = options_.step_id,
                     .epoch_commit_duration = commit_duration_,
                     .recovery_store_bytes = store_bytes_,
                     .taken = absl::Now()};
  for (int w = 0; w < options_.workers; ++w) {
    std::lock_guard<std::mutex> lock(handed_[w].mu);
    metrics.partitions.insert(metrics.partitions.end(), handed_[w].partitions.begin(),
                              handed_[w].partitions.end());
  }
  return metrics;
}

void Runtime::RequestMetrics() {
  metrics_requested_.fetch_add(1, std::memory_order_relaxed);
  NotifyWorkers();
}

absl::Status Runtime::StartWorkers(std::vector<std::thread>& threads) {
  threads.reserve(options_.workers);
  for (int w = 0; w < options_.workers; ++w) {
    try {
      threads.emplace_back([this, w] { Work(w); });
    } catch (const std::system_error& e) {
      return absl::ResourceExhaustedError(absl::StrCat(step_.label, ": starting worker thread ",
                                                       w + 1, " of ", options_.workers, ": ",
                                                       e.what()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<RunReport> Runtime::Run(ErasedInput& input) {
  if (absl::Status valid = options_.Validate(); !valid.ok()) return valid;
  start_ = absl::Now();
  WarningRoute warnings(this);
  counters_ = std::make_unique<WorkerCounters[]>(options_.workers);
  handed_ = std::make_unique<HandedMetrics[]>(options_.workers);
  // Workers hand their first metrics over as they start.
  if (options_.collect_metrics) metrics_requested_.store(1, std::memory_order_relaxed);
  slots_.resize(options_.workers);
  workers_.resize(options_.workers);
  found_.resize(options_.workers);
  input_ = &input;
  open_limit_ = OpenPartitionsPerWorker(options_.max_open_partitions, options_.workers);
  absl::Status built = Recover();
  // The store's size before this run commits anything.
  if (built.ok() && collect_metrics_ && store_ != nullptr) {
    store_bytes_ = StoreBytes(options_.recovery_db);
  }
  if (built.ok()) built = Build();
  for (int w = 0; w < options_.workers && built.ok(); ++w) {
    for (Slot& slot : slots_[w]) {
      absl::StatusOr<std::optional<absl::Time>> awake = NextAwakeOf(slot);
      if (!awake.ok()) {
        built = awake.status();
        break;
      }
      slot.due = awake->value_or(start_);
    }
  }
  if (!built.ok()) {
    // Nothing was polled, so there is nothing to commit: close what was built.
    failed_.store(true, std::memory_order_release);
    for (int w = 0; w < options_.workers; ++w) CloseAll(w);
    (void)GuardedCall(step_, "sink Close", [&] { return sink_.Close(); });
    return built;
  }

  if (options_.collect_metrics) {
    // Every partition is in the metrics from the first call on, before its
    // worker hands anything over (no thread runs yet).
    for (int w = 0; w < options_.workers; ++w) {
      for (const Slot& slot : slots_[w]) handed_[w].partitions.push_back(MetricsOf(slot, w));
    }
  }
  std::stop_callback on_stop(options_.stop, [this] {
    std::lock_guard<std::mutex> lock(mu_);
    stop_requested_ = true;
    cv_.notify_all();
  });
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_ = options_.workers;
    active_ = options_.workers;
  }
  if (absl::Status started = StartWorkers(threads); !started.ok()) {
    // The workers that did start stop at once and close their partitions;
    // those no thread owns are closed here. Nothing is committed.
    Fail(started);
    for (std::thread& thread : threads) thread.join();
    for (size_t w = threads.size(); w < slots_.size(); ++w) CloseAll(static_cast<int>(w));
    (void)GuardedCall(step_, "sink Close", [&] { return sink_.Close(); });
    return started;
  }

  {
    std::unique_lock<std::mutex> lock(mu_);
    absl::Time next_epoch = start_ + options_.epoch_interval;
    absl::Time next_progress = start_ + options_.progress_interval;
    // With relisting, partitions may still come: only a stop ends the run.
    const bool relisting = discovery_ != nullptr;
    absl::Time next_relist = relisting ? start_ + options_.relist_interval : absl::InfiniteFuture();
    absl::Time next_metrics = start_ + options_.metrics_interval;
    const bool report_metrics = options_.collect_metrics && options_.on_metrics != nullptr;
    while (true) {
      absl::Time wake = std::min(next_epoch, next_relist);
      if (options_.on_progress) wake = std::min(wake, next_progress);
      if (report_metrics) wake = std::min(wake, next_metrics);
      cv_.wait_until(lock, ToChrono(wake), [&] {
        return (active_ == 0 && !relisting) || !error_.ok() || stop_requested_ || early_epoch_;
      });
      if (!error_.ok()) break;
      absl::Time now = absl::Now();
      if ((active_ == 0 && !relisting) || stop_requested_) {
        // The final epoch: workers commit, acknowledge, close and exit.
        stopping_ = true;
        report_.stopped = stop_requested_;
        CloseEpoch(lock);
        break;
      }
      if (now >= next_relist) {
        lock.unlock();
        absl::Status relisted = Relist();
        if (!relisted.ok()) Fail(std::move(relisted));
        lock.lock();
        if (!error_.ok()) break;
        now = absl::Now();
        next_relist = now + options_.relist_interval;
      }
      if (now >= next_epoch || early_epoch_) {
        CloseEpoch(lock);
        if (!error_.ok()) break;
        next_epoch = absl::Now() + options_.epoch_interval;
      }
      if (options_.on_progress && now >= next_progress) {
        RunProgress progress = Progress(now);
        lock.unlock();
        options_.on_progress(progress);
        lock.lock();
        next_progress = now + options_.progress_interval;
      }
      if (report_metrics && now >= next_metrics) {
        RunMetrics metrics = GatherMetrics();
        RequestMetrics();
        lock.unlock();
        options_.on_metrics(metrics);
        lock.lock();
        next_metrics = now + options_.metrics_interval;
      }
    }
  }
  for (std::thread& thread : threads) thread.join();

  absl::Status closed = GuardedCall(step_, "sink Close", [&] { return sink_.Close(); });
  std::lock_guard<std::mutex> lock(mu_);
  if (!error_.ok()) return error_;
  if (!closed.ok()) return closed;
  if (options_.on_progress) options_.on_progress(Progress(absl::Now()));
  if (options_.collect_metrics) {
    report_.metrics = RunMetrics{.step = options_.step_id,
                                 .epoch_commit_duration = commit_duration_,
                                 .recovery_store_bytes = store_bytes_,
                                 .taken = absl::Now()};
  }
  for (int w = 0; w < options_.workers; ++w) {
    for (const Slot& slot : slots_[w]) {
      report_.partition_items[slot.name] = slot.items;
      report_.items += slot.items;
      report_.batches += slot.batches;
      if (options_.collect_metrics) report_.metrics.partitions.push_back(MetricsOf(slot, w));
    }
    for (const auto& [name, items] : workers_[w].closed_items) {
      report_.partition_items[name] = items;
      report_.items += items;
    }
    report_.batches += workers_[w].closed_batches;
    if (options_.collect_metrics) {
      const std::vector<PartitionMetrics>& ended = workers_[w].closed_metrics;
      report_.metrics.partitions.insert(report_.metrics.partitions.end(), ended.begin(),
                                        ended.end());
    }
  }
  if (options_.on_metrics) options_.on_metrics(report_.metrics);
  report_.wall_time = absl::Now() - start_;
  {
    std::lock_guard<std::mutex> warnings_lock(warnings_mu_);
    report_.warnings = std::move(warnings_);
    warnings_.clear();
  }
  return std::move(report_);
}

}  // namespace

absl::StatusOr<RunReport> RunErased(ErasedInput& input, ErasedSink& sink,
                                    const RunOptions& options) {
  Runtime runtime(sink, options);
  return runtime.Run(input);
}

}  // namespace inlet::internal
