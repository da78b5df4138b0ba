// The testing kit, after `bytewax.testing`: `TestingSource` replays a fixed
// list of items as a resumable one-partition input, with markers that make a
// run end, fail or pause at a chosen point; `TestingSink` collects what a run
// wrote. Both are for tests and examples, not for production data.

#ifndef INLET_TESTING_TESTING_H_
#define INLET_TESTING_TESTING_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "inlet/partitioned_input.h"
#include "inlet/sink.h"
#include "inlet/source.h"

namespace inlet {

// A one-partition input (partition "iterable") over `entries`. The resume
// state is the index of the next entry, so a run resumed from any snapshot
// continues exactly where that snapshot was taken.
template <class T>
class TestingSource final : public PartitionedInput<T, int64_t> {
 public:
  // Ends the partition here, as if the data ran out. A run resumed from the
  // final snapshot continues after the marker.
  struct Eof {};
  // Fails the run here with an ABORTED status, once per `TestingSource`
  // object: a second run with the same object passes the marker. Simulates a
  // crash between epochs.
  struct Abort {};
  // Makes the partition wait `duration` (through `NextAwake`) before the
  // next entry.
  struct Pause {
    absl::Duration duration;
  };
  using Entry = std::variant<T, Eof, Abort, Pause>;

  // Each `NextBatch` returns at most `batch_size` items (default 1, as in
  // Bytewax).
  explicit TestingSource(std::vector<Entry> entries, size_t batch_size = 1)
      : entries_(std::move(entries)),
        aborted_(std::make_unique<bool[]>(entries_.size())),
        batch_size_(batch_size == 0 ? 1 : batch_size) {}

  // Convenience for a list of plain items.
  static TestingSource FromItems(const std::vector<T>& items, size_t batch_size = 1) {
    return TestingSource(std::vector<Entry>(items.begin(), items.end()), batch_size);
  }

  absl::StatusOr<std::vector<std::string>> ListParts() override {
    return std::vector<std::string>{"iterable"};
  }

  absl::StatusOr<std::unique_ptr<StatefulSource<T, int64_t>>> BuildPart(
      std::string_view, std::string_view for_part, std::optional<int64_t> resume) override {
    if (for_part != "iterable") {
      return absl::NotFoundError(absl::StrCat("TestingSource has no partition \"",
                                              absl::string_view(for_part.data(), for_part.size()),
                                              "\"; its only partition is \"iterable\""));
    }
    int64_t next = resume.value_or(0);
    if (next < 0 || next > static_cast<int64_t>(entries_.size())) {
      return absl::InvalidArgumentError(absl::StrCat("TestingSource resume index ", next,
                                                     " is outside [0, ", entries_.size(), "]"));
    }
    return std::make_unique<Partition>(*this, next);
  }

 private:
  class Partition final : public StatefulSource<T, int64_t> {
   public:
    Partition(TestingSource& input, int64_t next) : input_(input), next_(next) {}

    absl::StatusOr<Poll> NextBatch(std::vector<T>& out) override {
      awake_.reset();
      const std::vector<Entry>& entries = input_.entries_;
      const size_t limit = out.size() + input_.batch_size_;
      while (next_ < static_cast<int64_t>(entries.size()) && out.size() < limit) {
        const Entry& entry = entries[next_];
        if (const T* item = std::get_if<T>(&entry)) {
          out.push_back(*item);
          ++next_;
        } else if (std::holds_alternative<Eof>(entry)) {
          ++next_;
          return Poll::kEnd;
        } else if (std::holds_alternative<Abort>(entry)) {
          bool& aborted = input_.aborted_[next_];
          if (!aborted) {
            aborted = true;
            return absl::AbortedError(absl::StrCat("TestingSource ABORT marker at entry ", next_));
          }
          ++next_;
        } else {
          awake_ = absl::Now() + std::get<Pause>(entry).duration;
          ++next_;
          return Poll::kMore;
        }
      }
      return next_ < static_cast<int64_t>(entries.size()) ? Poll::kMore : Poll::kEnd;
    }

    std::optional<absl::Time> NextAwake() override { return awake_; }
    int64_t Snapshot() override { return next_; }

   private:
    TestingSource& input_;
    int64_t next_;
    std::optional<absl::Time> awake_;
  };

  std::vector<Entry> entries_;
  std::unique_ptr<bool[]> aborted_;
  size_t batch_size_;
};

// Collects every item written to it, in arrival order. Thread-safe.
template <class T>
class TestingSink final : public Sink<T> {
 public:
  absl::Status Write(std::span<const T> items) override {
    std::lock_guard<std::mutex> lock(mutex_);
    items_.insert(items_.end(), items.begin(), items.end());
    return absl::OkStatus();
  }

  // A copy of everything written so far.
  std::vector<T> items() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return items_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<T> items_;
};

}  // namespace inlet

#endif  // INLET_TESTING_TESTING_H_
