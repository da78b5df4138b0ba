// Type erasure between the typed contract (templates, in the public headers)
// and the runtime, which is compiled once in the library. Connector authors
// never use this file directly.

#ifndef INLET_INTERNAL_ERASED_INPUT_H_
#define INLET_INTERNAL_ERASED_INPUT_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "inlet/dynamic_input.h"
#include "inlet/partitioned_input.h"
#include "inlet/run_options.h"
#include "inlet/sink.h"
#include "inlet/source.h"
#include "inlet/waker.h"
#include "nlohmann/json.hpp"

namespace inlet::internal {

// One live source with its batch buffer. Each method forwards to exactly one
// user method, so the runtime can name the method when it fails or throws.
class ErasedSource {
 public:
  virtual ~ErasedSource() = default;
  // Calls the source's `NextBatch` into the internal buffer.
  virtual absl::StatusOr<Poll> NextBatch() = 0;
  virtual size_t buffered() const = 0;
  // Hands the buffer to the sink's `Write` and empties it.
  virtual absl::Status WriteBuffered() = 0;
  virtual std::optional<absl::Time> NextAwake() = 0;
  // The snapshot as JSON; `std::nullopt` for a stateless source.
  virtual std::optional<nlohmann::json> Snapshot() = 0;
  // Tells the source that its latest snapshot (for a stateless source,
  // everything it handed out) is durable.
  virtual void Committed() = 0;
  virtual void Bind(std::shared_ptr<WakeTarget> target) = 0;
  virtual void Close() = 0;
};

class ErasedInput {
 public:
  virtual ~ErasedInput() = default;
  virtual bool partitioned() const = 0;
  virtual absl::StatusOr<std::vector<std::string>> ListParts() = 0;
  virtual absl::StatusOr<std::unique_ptr<ErasedSource>> BuildPart(
      std::string_view step_id, std::string_view part, std::optional<nlohmann::json> resume) = 0;
  virtual absl::StatusOr<std::unique_ptr<ErasedSource>> BuildWorker(std::string_view step_id,
                                                                    int worker_index,
                                                                    int worker_count) = 0;
};

class ErasedSink {
 public:
  virtual ~ErasedSink() = default;
  virtual absl::Status Restore(const nlohmann::json& marker) = 0;
  virtual absl::Status Flush() = 0;
  virtual absl::StatusOr<nlohmann::json> Commit() = 0;
  virtual absl::Status Close() = 0;
};

template <class T>
class TypedSink final : public ErasedSink {
 public:
  explicit TypedSink(Sink<T>& sink) : sink_(sink) {}
  absl::Status Restore(const nlohmann::json& marker) override { return sink_.Restore(marker); }
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
class alignas(64) TypedSource final : public ErasedSource {
 public:
  TypedSource(std::unique_ptr<Source> source, Sink<T>& sink)
      : source_(std::move(source)), sink_(sink) {}

  absl::StatusOr<Poll> NextBatch() override { return source_->NextBatch(buffer_); }
  size_t buffered() const override { return buffer_.size(); }
  absl::Status WriteBuffered() override {
    absl::Status status = sink_.Write(std::span<const T>(buffer_));
    buffer_.clear();
    return status;
  }
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
  void Bind(std::shared_ptr<WakeTarget> target) override {
    source_->BindWaker(Waker(std::move(target)));
  }
  void Close() override { source_->Close(); }

 private:
  static constexpr bool kStateful = requires { typename Source::StateType; };
  using LastSnapshot = typename LastSnapshotOf<Source>::type;

  std::unique_ptr<Source> source_;
  Sink<T>& sink_;
  std::vector<T> buffer_;
  LastSnapshot last_snapshot_;
};

template <class T, class State>
class TypedPartitionedInput final : public ErasedInput {
 public:
  TypedPartitionedInput(PartitionedInput<T, State>& input, Sink<T>& sink)
      : input_(input), sink_(sink) {}

  bool partitioned() const override { return true; }
  absl::StatusOr<std::vector<std::string>> ListParts() override { return input_.ListParts(); }
  absl::StatusOr<std::unique_ptr<ErasedSource>> BuildPart(
      std::string_view step_id, std::string_view part,
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
        input_.BuildPart(step_id, part, std::move(state));
    if (!source.ok()) return source.status();
    if (*source == nullptr) return absl::InternalError("returned a null source");
    return std::make_unique<TypedSource<T, StatefulSource<T, State>>>(*std::move(source), sink_);
  }
  absl::StatusOr<std::unique_ptr<ErasedSource>> BuildWorker(std::string_view, int, int) override {
    return absl::InternalError("BuildWorker called on a partitioned input");
  }

 private:
  PartitionedInput<T, State>& input_;
  Sink<T>& sink_;
};

template <class T>
class TypedDynamicInput final : public ErasedInput {
 public:
  TypedDynamicInput(DynamicInput<T>& input, Sink<T>& sink) : input_(input), sink_(sink) {}

  bool partitioned() const override { return false; }
  absl::StatusOr<std::vector<std::string>> ListParts() override {
    return absl::InternalError("ListParts called on a dynamic input");
  }
  absl::StatusOr<std::unique_ptr<ErasedSource>> BuildPart(std::string_view, std::string_view,
                                                          std::optional<nlohmann::json>) override {
    return absl::InternalError("BuildPart called on a dynamic input");
  }
  absl::StatusOr<std::unique_ptr<ErasedSource>> BuildWorker(std::string_view step_id,
                                                            int worker_index,
                                                            int worker_count) override {
    absl::StatusOr<std::unique_ptr<StatelessSource<T>>> source =
        input_.Build(step_id, worker_index, worker_count);
    if (!source.ok()) return source.status();
    if (*source == nullptr) return absl::InternalError("returned a null source");
    return std::make_unique<TypedSource<T, StatelessSource<T>>>(*std::move(source), sink_);
  }

 private:
  DynamicInput<T>& input_;
  Sink<T>& sink_;
};

// The runtime proper, compiled in the library.
absl::StatusOr<RunReport> RunErased(ErasedInput& input, ErasedSink& sink,
                                    const RunOptions& options);

}  // namespace inlet::internal

#endif  // INLET_INTERNAL_ERASED_INPUT_H_
