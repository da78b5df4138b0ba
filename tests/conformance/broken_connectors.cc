// Connectors with one deliberate bug each, run through the conformance kit.
// Their failing cases are the point: conformance_catches_bugs_test runs this
// binary and checks that each bug fails the case named for it. `Correct` is
// the same connector without a bug, and passes every case, as does
// `AtLeastOnce`, whose repeats its capabilities allow.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "inlet/partitioned_input.h"
#include "inlet/source.h"
#include "inlet/testing/conformance.h"

namespace {

enum class Bug {
  kNone,
  // Snapshot returns the position of the last item handed out instead of
  // the one after it, so a resumed partition repeats an item.
  kOffByOneSnapshot,
  // NextBatch waits for data when there is none, instead of returning.
  kBlockingNextBatch,
  // ListParts names the partitions differently in every input object.
  kUnstableListParts,
  // The position is only recorded in Close, as if the snapshot were taken
  // after it: every snapshot the runtime takes is stale.
  kSnapshotAfterClose,
  // A partition ends one item early.
  kDropsLastItem,
  // Items are acknowledged to the system when their snapshot is taken,
  // before the epoch is durable, instead of in `Committed`.
  kAcksOnSnapshot,
};

// The items the connector has told its system are durable, as an ack-based
// system (a queue deleting what was acknowledged) would keep them.
class AckLog {
 public:
  void Add(const std::vector<std::string>& items, int64_t from, int64_t to) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (int64_t i = from; i < to; ++i) acknowledged_.push_back(items[i]);
  }
  std::vector<std::string> acknowledged() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return acknowledged_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> acknowledged_;
};

using Partitions = std::vector<std::vector<std::string>>;

// Partition i holds the items of `(*partitions)[i]`, handed out two at a
// time; the state is the index of the next item.
class MemoryInput final : public inlet::PartitionedInput<std::string, int64_t> {
 public:
  MemoryInput(std::shared_ptr<const Partitions> partitions, std::shared_ptr<AckLog> acks, Bug bug)
      : partitions_(std::move(partitions)), acks_(std::move(acks)), bug_(bug) {
    static std::atomic<int> instances{0};
    const int instance = instances++;
    for (size_t p = 0; p < partitions_->size(); ++p) {
      std::string name = absl::StrCat("part-", p);
      if (bug_ == Bug::kUnstableListParts) absl::StrAppend(&name, "@", instance);
      names_.emplace(std::move(name), p);
    }
  }

  absl::StatusOr<std::vector<std::string>> ListParts() override {
    std::vector<std::string> names;
    for (const auto& [name, index] : names_) names.push_back(name);
    return names;
  }

  absl::StatusOr<std::unique_ptr<Source>> BuildPart(std::string_view, std::string_view for_part,
                                                    std::optional<int64_t> resume) override {
    auto found = names_.find(std::string(for_part));
    if (found == names_.end()) {
      return absl::NotFoundError(absl::StrCat(
          "no partition \"", absl::string_view(for_part.data(), for_part.size()), "\""));
    }
    return std::make_unique<Partition>((*partitions_)[found->second], *acks_, bug_,
                                       resume.value_or(0));
  }

 private:
  class Partition final : public inlet::StatefulSource<std::string, int64_t> {
   public:
    Partition(const std::vector<std::string>& items, AckLog& acks, Bug bug, int64_t next)
        : items_(items),
          acks_(acks),
          bug_(bug),
          next_(next),
          acknowledged_(next),
          recorded_at_close_(next) {}

    absl::StatusOr<inlet::Poll> NextBatch(std::vector<std::string>& out) override {
      int64_t end = static_cast<int64_t>(items_.size());
      if (bug_ == Bug::kDropsLastItem) end = std::max<int64_t>(end - 1, 0);
      if (next_ >= end && bug_ == Bug::kBlockingNextBatch) absl::SleepFor(absl::Milliseconds(250));
      while (next_ < end && out.size() < 2) out.push_back(items_[next_++]);
      return next_ < end ? inlet::Poll::kMore : inlet::Poll::kEnd;
    }

    int64_t Snapshot() override {
      if (bug_ == Bug::kAcksOnSnapshot) Acknowledge(next_);
      if (bug_ == Bug::kOffByOneSnapshot) return std::max<int64_t>(next_ - 1, 0);
      if (bug_ == Bug::kSnapshotAfterClose) return recorded_at_close_;
      return next_;
    }

    void Committed(const int64_t& state) override { Acknowledge(state); }

    void Close() override { recorded_at_close_ = next_; }

   private:
    void Acknowledge(int64_t up_to) {
      if (up_to <= acknowledged_) return;
      acks_.Add(items_, acknowledged_, up_to);
      acknowledged_ = up_to;
    }

    const std::vector<std::string>& items_;
    AckLog& acks_;
    const Bug bug_;
    int64_t next_;
    int64_t acknowledged_;  // Items before it were acknowledged.
    int64_t recorded_at_close_;
  };

  std::shared_ptr<const Partitions> partitions_;
  std::shared_ptr<AckLog> acks_;
  const Bug bug_;
  std::map<std::string, size_t> names_;
};

template <Bug kBug,
          inlet::conformance::Delivery kDelivery = inlet::conformance::Delivery::kExactlyOnce>
class MemoryHarness {
 public:
  using Input = MemoryInput;
  static constexpr inlet::conformance::Capabilities kCapabilities = {.delivery = kDelivery};

  absl::Status CreateDataSet(const std::filesystem::path&, int partitions) {
    partitions_ = std::make_shared<Partitions>(partitions);
    return absl::OkStatus();
  }
  std::string MakeItem(int partition, int64_t index) {
    return absl::StrCat("p", partition, "-", index);
  }
  absl::Status Write(int partition, const std::vector<std::string>& items) {
    std::vector<std::string>& part = partitions_->at(partition);
    part.insert(part.end(), items.begin(), items.end());
    return absl::OkStatus();
  }
  std::unique_ptr<Input> NewInput() { return std::make_unique<Input>(partitions_, acks_, kBug); }
  std::vector<std::string> Acknowledged() { return acks_->acknowledged(); }

 private:
  std::shared_ptr<Partitions> partitions_ = std::make_shared<Partitions>();
  std::shared_ptr<AckLog> acks_ = std::make_shared<AckLog>();
};

}  // namespace

INLET_CONFORMANCE_TEST(Correct, MemoryHarness<Bug::kNone>);
INLET_CONFORMANCE_TEST(OffByOneSnapshot, MemoryHarness<Bug::kOffByOneSnapshot>);
INLET_CONFORMANCE_TEST(BlockingNextBatch, MemoryHarness<Bug::kBlockingNextBatch>);
INLET_CONFORMANCE_TEST(UnstableListParts, MemoryHarness<Bug::kUnstableListParts>);
INLET_CONFORMANCE_TEST(SnapshotAfterClose, MemoryHarness<Bug::kSnapshotAfterClose>);
INLET_CONFORMANCE_TEST(DropsLastItem, MemoryHarness<Bug::kDropsLastItem>);
INLET_CONFORMANCE_TEST(AcksOnSnapshot, MemoryHarness<Bug::kAcksOnSnapshot>);
// A snapshot one item behind is a repeat, which an at-least-once connector
// may make.
INLET_CONFORMANCE_TEST(
    AtLeastOnce, MemoryHarness<Bug::kOffByOneSnapshot, inlet::conformance::Delivery::kAtLeastOnce>);
