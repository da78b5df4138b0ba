// Decorators that record every call a runtime makes on the sources of an
// input, so the conformance kit can check the order of `NextBatch`,
// `NextAwake`, `Snapshot`, `Committed` and `Close` as a connector sees it,
// and which items each `Committed` acknowledged.

#ifndef INLET_TESTING_INTERNAL_CONFORMANCE_RECORDING_H_
#define INLET_TESTING_INTERNAL_CONFORMANCE_RECORDING_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "inlet/dynamic_input.h"
#include "inlet/partitioned_input.h"
#include "inlet/source.h"
#include "inlet/waker.h"
#include "nlohmann/json.hpp"

namespace inlet::internal::conformance {

struct RecordedCall {
  std::string method = {};  // "NextBatch", "NextAwake", "Snapshot" or "Close".
  absl::Time at = {};       // When the call started.
  std::optional<absl::Time> awake = std::nullopt;  // What `NextAwake` answered.
  // "Committed": how many of the source's first items it acknowledges (those
  // handed out before the acknowledged snapshot, or before the call for a
  // stateless source).
  int64_t acknowledged = 0;
};

// The calls made on every source built during a run. Thread-safe.
class CallLog {
 public:
  struct SourceCalls {
    std::string name = {};  // The partition, or "worker-N".
    std::vector<RecordedCall> calls = {};
    std::vector<std::string> items = {};  // The JSON text of every item handed out.
  };

  // Registers a source; returns its index for `Add`.
  size_t AddSource(std::string name);
  void Add(size_t source, RecordedCall call);
  void AddItems(size_t source, std::vector<std::string> items);
  std::vector<SourceCalls> sources() const;

 private:
  mutable std::mutex mutex_;
  std::vector<SourceCalls> sources_;
};

// Every source must be closed exactly once, with no call after `Close` (a
// wake from another thread may still come: it is no call on the source).
::testing::AssertionResult ClosedOnceAndLast(const CallLog& log);

// No `NextBatch` may start before the time the preceding `NextAwake` named,
// unless the source woke itself since.
::testing::AssertionResult PolledOnlyWhenDue(const CallLog& log);

// The JSON text of every item some `Committed` call acknowledged.
std::vector<std::string> AcknowledgedItems(const CallLog& log);

// Records a wake in `log` (method "Wake"), then wakes `inner`.
class RecordingWake final : public WakeTarget {
 public:
  RecordingWake(Waker inner, CallLog& log, size_t source)
      : inner_(std::move(inner)), log_(log), source_(source) {}
  void Wake() override {
    log_.Add(source_, RecordedCall{.method = "Wake", .at = absl::Now()});
    inner_.Wake();
  }

 private:
  const Waker inner_;
  CallLog& log_;
  const size_t source_;
};

// Forwards every call to `inner` and records it in `log`.
template <class Base>
class RecordedSource : public Base {
 public:
  using Item = typename Base::Item;

  RecordedSource(std::unique_ptr<Base> inner, CallLog& log, size_t id)
      : inner_(std::move(inner)), log_(log), id_(id) {}

  absl::StatusOr<Poll> NextBatch(std::vector<Item>& out) override {
    Record("NextBatch");
    const size_t before = out.size();
    absl::StatusOr<Poll> poll = inner_->NextBatch(out);
    std::vector<std::string> shown;
    for (size_t i = before; i < out.size(); ++i) shown.push_back(nlohmann::json(out[i]).dump());
    handed_out_ += static_cast<int64_t>(shown.size());
    if (!shown.empty()) log_.AddItems(id_, std::move(shown));
    return poll;
  }
  std::optional<absl::Time> NextAwake() override {
    const absl::Time at = absl::Now();
    std::optional<absl::Time> awake = inner_->NextAwake();
    log_.Add(id_, RecordedCall{.method = "NextAwake", .at = at, .awake = awake});
    return awake;
  }
  void Close() override {
    Record("Close");
    inner_->Close();
  }
  // The inner source gets a waker that records each wake, then wakes.
  void BindWaker(Waker waker) override {
    inner_->BindWaker(Waker(std::make_shared<RecordingWake>(std::move(waker), log_, id_)));
  }

 protected:
  void Record(std::string method, int64_t acknowledged = 0) {
    log_.Add(
        id_,
        RecordedCall{.method = std::move(method), .at = absl::Now(), .acknowledged = acknowledged});
  }

  std::unique_ptr<Base> inner_;
  int64_t handed_out_ = 0;  // Items `NextBatch` returned so far.

 private:
  CallLog& log_;
  const size_t id_;
};

template <class T, class State>
class RecordedStatefulSource final : public RecordedSource<StatefulSource<T, State>> {
 public:
  using RecordedSource<StatefulSource<T, State>>::RecordedSource;

  State Snapshot() override {
    this->Record("Snapshot");
    snapshot_at_ = this->handed_out_;
    return this->inner_->Snapshot();
  }
  // `state` is the latest snapshot's (see source.h).
  void Committed(const State& state) override {
    this->Record("Committed", snapshot_at_);
    this->inner_->Committed(state);
  }

 private:
  int64_t snapshot_at_ = 0;
};

template <class T>
class RecordedStatelessSource final : public RecordedSource<StatelessSource<T>> {
 public:
  using RecordedSource<StatelessSource<T>>::RecordedSource;

  void Committed() override {
    this->Record("Committed", this->handed_out_);
    this->inner_->Committed();
  }
};

template <class T, class State>
class RecordedPartitionedInput final : public PartitionedInput<T, State> {
 public:
  using Source = StatefulSource<T, State>;

  RecordedPartitionedInput(PartitionedInput<T, State>& inner, CallLog& log)
      : inner_(inner), log_(log) {}

  absl::StatusOr<std::vector<std::string>> ListParts() override { return inner_.ListParts(); }

  absl::StatusOr<std::unique_ptr<Source>> BuildPart(std::string_view step_id,
                                                    std::string_view for_part,
                                                    std::optional<State> resume) override {
    absl::StatusOr<std::unique_ptr<Source>> source =
        inner_.BuildPart(step_id, for_part, std::move(resume));
    if (!source.ok()) return source.status();
    const size_t id = log_.AddSource(std::string(for_part));
    return std::make_unique<RecordedStatefulSource<T, State>>(*std::move(source), log_, id);
  }

 private:
  PartitionedInput<T, State>& inner_;
  CallLog& log_;
};

template <class T>
class RecordedDynamicInput final : public DynamicInput<T> {
 public:
  RecordedDynamicInput(DynamicInput<T>& inner, CallLog& log) : inner_(inner), log_(log) {}

  absl::StatusOr<std::unique_ptr<StatelessSource<T>>> Build(std::string_view step_id,
                                                            int worker_index,
                                                            int worker_count) override {
    absl::StatusOr<std::unique_ptr<StatelessSource<T>>> source =
        inner_.Build(step_id, worker_index, worker_count);
    if (!source.ok()) return source.status();
    const size_t id = log_.AddSource("worker-" + std::to_string(worker_index));
    return std::make_unique<RecordedStatelessSource<T>>(*std::move(source), log_, id);
  }

 private:
  DynamicInput<T>& inner_;
  CallLog& log_;
};

template <class T, class State>
RecordedPartitionedInput<T, State> Recorded(PartitionedInput<T, State>& input, CallLog& log) {
  return RecordedPartitionedInput<T, State>(input, log);
}

template <class T>
RecordedDynamicInput<T> Recorded(DynamicInput<T>& input, CallLog& log) {
  return RecordedDynamicInput<T>(input, log);
}

}  // namespace inlet::internal::conformance

#endif  // INLET_TESTING_INTERNAL_CONFORMANCE_RECORDING_H_
