// Type erasure between the typed contract (templates, in the public headers)
// and the runtime, which is compiled once in the library. Connector authors
// never use this file directly.

#ifndef INLET_INTERNAL_ERASED_INPUT_H_
#define INLET_INTERNAL_ERASED_INPUT_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "inlet/backlog.h"
#include "inlet/dynamic_input.h"
#include "inlet/internal/guarded_call.h"
#include "inlet/partitioned_input.h"
#include "inlet/run_options.h"
#include "inlet/sink.h"
#include "inlet/source.h"
#include "inlet/waker.h"
#include "nlohmann/json.hpp"

namespace inlet::internal {

// One live source and the batch its last `NextBatch` appended to. Each
// method forwards to exactly one user method, so the runtime can name the
// method when it fails or throws.
class ErasedSource {
 public:
  virtual ~ErasedSource() = default;
  // Calls the source's `NextBatch` into the batch buffer.
  virtual absl::StatusOr<Poll> NextBatch() = 0;
  // Items in the batch buffer (emptied by `ErasedSink::Write`).
  virtual size_t buffered() const = 0;
  virtual std::optional<absl::Time> NextAwake() = 0;
  // The snapshot as JSON; `std::nullopt` for a stateless source.
  virtual std::optional<nlohmann::json> Snapshot() = 0;
  // Tells the source that its latest snapshot (for a stateless source,
  // everything it handed out) is durable.
  virtual void Committed() = 0;
  virtual std::optional<Backlog> EstimateBacklog() = 0;
  virtual void Bind(std::shared_ptr<WakeTarget> target) = 0;
  virtual void Close() = 0;
};

// The batch buffer of a source of `T` items.
template <class T>
class BufferedSource : public ErasedSource {
 public:
  size_t buffered() const final { return buffer_.size(); }
  std::vector<T>& buffer() { return buffer_; }

 protected:
  std::vector<T> buffer_;
};

// One part of a run's plan: a partition of a partitioned input, or the
// source a dynamic input builds for one worker (`worker-N`, pinned to
// worker N). Either way the runtime lists, assigns and builds the same way.
struct PlannedPart {
  // The key of its resume state and of `RunReport::partition_items`.
  std::string name;
  // Where its calls happen, for messages.
  Place place;
  // The user method that builds it, for messages.
  std::string_view build_method;
  // The worker it must run on; none: assigned by the balanced rule.
  std::optional<int> worker;
};

class ErasedInput {
 public:
  virtual ~ErasedInput() = default;
  // The parts of a run of step `step_id` on `worker_count` workers. Calls
  // the input's `ListParts`, if it has one.
  virtual absl::StatusOr<std::vector<PlannedPart>> ListParts(std::string_view step_id,
                                                             int worker_count) = 0;
  // Builds `part` (one of `ListParts`) through the input's build method.
  virtual absl::StatusOr<std::unique_ptr<ErasedSource>> BuildPart(
      std::string_view step_id, const PlannedPart& part, int worker_count,
      std::optional<nlohmann::json> resume) = 0;
};

class ErasedSink {
 public:
  virtual ~ErasedSink() = default;
  virtual absl::Status Restore(const nlohmann::json& marker) = 0;
  // Hands `source`'s batch to the sink's `Write` and empties the batch.
  // REQUIRES: `source` was built by an input of the sink's item type.
  virtual absl::Status Write(ErasedSource& source) = 0;
  virtual absl::Status Flush() = 0;
  virtual absl::StatusOr<nlohmann::json> Commit() = 0;
  virtual absl::Status Close() = 0;
};

template <class T>
class TypedSink final : public ErasedSink {
 public:
  explicit TypedSink(Sink<T>& sink) : sink_(sink) {}
  absl::Status Restore(const nlohmann::json& marker) override { return sink_.Restore(marker); }
  absl::Status Write(ErasedSource& source) override {
    std::vector<T>& batch = static_cast<BufferedSource<T>&>(source).buffer();
    absl::Status status = sink_.Write(std::span<const T>(batch));
    batch.clear();
    return status;
  }
  absl::Status Flush() override { return sink_.Flush(); }
  absl::StatusOr<nlohmann::json> Commit() override { return sink_.Commit(); }
  absl::Status Close() override { return sink_.Close(); }

 private:
  Sink<T>& sink_;
};

// The last snapshot a source returned, kept typed for `Committed`; nothing
// for a stateless source.
template <class Source>
struct LastSnapshotOf {
  struct type {};
};
template <class Source>
  requires requires { typename Source::StateType; }
struct LastSnapshotOf<Source> {
  using type = std::optional<typename Source::StateType>;
};

// Cache-line aligned: sources of different workers are built one after the
// other, and the batch buffer they append to must not share a line.
template <class T, class Source>
class alignas(64) TypedSource final : public BufferedSource<T> {
 public:
  explicit TypedSource(std::unique_ptr<Source> source) : source_(std::move(source)) {}

  absl::StatusOr<Poll> NextBatch() override { return source_->NextBatch(this->buffer_); }
  std::optional<absl::Time> NextAwake() override { return source_->NextAwake(); }
  std::optional<nlohmann::json> Snapshot() override {
    if constexpr (kStateful) {
      last_snapshot_ = source_->Snapshot();
      return nlohmann::json(*last_snapshot_);
    } else {
      return std::nullopt;
    }
  }
  void Committed() override {
    if constexpr (kStateful) {
      if (last_snapshot_.has_value()) source_->Committed(*last_snapshot_);
    } else {
      source_->Committed();
    }
  }
  std::optional<Backlog> EstimateBacklog() override { return source_->EstimateBacklog(); }
  void Bind(std::shared_ptr<WakeTarget> target) override {
    source_->BindWaker(Waker(std::move(target)));
  }
  void Close() override { source_->Close(); }

 private:
  static constexpr bool kStateful = requires { typename Source::StateType; };
  using LastSnapshot = typename LastSnapshotOf<Source>::type;

  std::unique_ptr<Source> source_;
  LastSnapshot last_snapshot_;
};

template <class T, class State>
class TypedPartitionedInput final : public ErasedInput {
 public:
  explicit TypedPartitionedInput(PartitionedInput<T, State>& input) : input_(input) {}

  absl::StatusOr<std::vector<PlannedPart>> ListParts(std::string_view step_id, int) override {
    absl::StatusOr<std::vector<std::string>> names = input_.ListParts();
    if (!names.ok()) return names.status();
    std::vector<PlannedPart> parts;
    parts.reserve(names->size());
    for (std::string& name : *names) {
      Place place = Place::Partition(step_id, name);
      parts.push_back(PlannedPart{.name = std::move(name),
                                  .place = std::move(place),
                                  .build_method = "BuildPart",
                                  .worker = std::nullopt});
    }
    return parts;
  }
  absl::StatusOr<std::unique_ptr<ErasedSource>> BuildPart(
      std::string_view step_id, const PlannedPart& part, int,
      std::optional<nlohmann::json> resume) override {
    std::optional<State> state;
    if (resume.has_value()) {
      try {
        state = resume->template get<State>();
      } catch (const nlohmann::json::exception& e) {
        return absl::InvalidArgumentError(
            absl::StrCat("resume state ", resume->dump(), " does not convert: ", e.what()));
      }
    }
    absl::StatusOr<std::unique_ptr<StatefulSource<T, State>>> source =
        input_.BuildPart(step_id, part.name, std::move(state));
    if (!source.ok()) return source.status();
    if (*source == nullptr) return absl::InternalError("returned a null source");
    return std::make_unique<TypedSource<T, StatefulSource<T, State>>>(*std::move(source));
  }

 private:
  PartitionedInput<T, State>& input_;
};

template <class T>
class TypedDynamicInput final : public ErasedInput {
 public:
  explicit TypedDynamicInput(DynamicInput<T>& input) : input_(input) {}

  absl::StatusOr<std::vector<PlannedPart>> ListParts(std::string_view step_id,
                                                     int worker_count) override {
    std::vector<PlannedPart> parts;
    parts.reserve(static_cast<size_t>(worker_count));
    for (int w = 0; w < worker_count; ++w) {
      Place place = Place::Worker(step_id, w);
      std::string name = *place.partition;
      parts.push_back(PlannedPart{.name = std::move(name),
                                  .place = std::move(place),
                                  .build_method = "Build",
                                  .worker = w});
    }
    return parts;
  }
  absl::StatusOr<std::unique_ptr<ErasedSource>> BuildPart(std::string_view step_id,
                                                          const PlannedPart& part, int worker_count,
                                                          std::optional<nlohmann::json>) override {
    absl::StatusOr<std::unique_ptr<StatelessSource<T>>> source =
        input_.Build(step_id, *part.worker, worker_count);
    if (!source.ok()) return source.status();
    if (*source == nullptr) return absl::InternalError("returned a null source");
    return std::make_unique<TypedSource<T, StatelessSource<T>>>(*std::move(source));
  }

 private:
  DynamicInput<T>& input_;
};

// The runtime proper, compiled in the library.
absl::StatusOr<RunReport> RunErased(ErasedInput& input, ErasedSink& sink,
                                    const RunOptions& options);

}  // namespace inlet::internal

#endif  // INLET_INTERNAL_ERASED_INPUT_H_
