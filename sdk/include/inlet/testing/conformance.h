// The conformance kit: one GoogleTest suite, `InputConformance`, that checks
// a connector against the contract in source.h, partitioned_input.h and
// dynamic_input.h. A connector author writes one small harness (below) and
// gets every case:
//
//   class OrdersHarness { ... };              // At namespace scope.
//   INLET_CONFORMANCE_TEST(Orders, OrdersHarness);  // At global scope.
//
// Each case names what it checks, e.g.
// `Orders/InputConformance/0.SnapshotThenRebuildContinuesWithoutGapOrDuplicate`.
// A case the harness's capabilities exclude is reported as skipped, with the
// reason, never as passed. docs/conformance.md explains every case and how
// to read a failure.
//
// This is the only inlet header that needs GoogleTest: a test that includes
// it links `GTest::gtest` (and `GTest::gtest_main`) itself.
//
// The harness is a default-constructible class; the kit makes one per case.
//
//   class OrdersHarness {
//    public:
//     using Input = OrdersInput;  // A PartitionedInput or a DynamicInput.
//     static constexpr inlet::conformance::Capabilities kCapabilities = {
//         .bounded = true, .delivery = inlet::conformance::Delivery::kExactlyOnce};
//
//     // Creates a fresh, empty data set of `partitions` partitions under
//     // `dir` (an empty directory the kit owns), replacing any earlier one.
//     absl::Status CreateDataSet(const std::filesystem::path& dir, int partitions);
//     // Item `index` of partition `partition`: distinct for every pair.
//     Order MakeItem(int partition, int64_t index);
//     // Appends `items` to partition `partition` (0 <= partition < partitions).
//     absl::Status Write(int partition, const std::vector<Order>& items);
//     // A new input over the current data set.
//     std::unique_ptr<OrdersInput> NewInput();
//   };
//
// The kit writes all data before it creates the inputs of a case (except
// over a live input, below). The same
// calls with the same `dir` must give the same data set, partition names
// included, in another process: the crash case replays them in the child
// it kills. Items must convert to and from `nlohmann::json` (as
// `JsonLinesSink` needs); they are compared by their JSON text.
//
// Optionally, a harness whose connector acknowledges items to its system
// (commits offsets, deletes messages) says which ones it has acknowledged,
// as the system sees them, so the kit can check they were durable first:
//
//     // Every item the connector has told its system is durable so far, in
//     // this process. Called from any thread while a run goes on.
//     std::vector<Order> Acknowledged();
//
// A harness whose capabilities say `wakes` also has
//
//     // A new input over the current data set whose partitions stay open
//     // after what was written: items `Write` adds while it runs are
//     // handed out as they arrive.
//     std::unique_ptr<OrdersInput> NewLiveInput();
//
// For a dynamic input, partition i of the data set is the share of worker i:
// the kit runs it with at least as many workers as partitions, and a worker
// past the last partition must find nothing to read.

#ifndef INLET_TESTING_CONFORMANCE_H_
#define INLET_TESTING_CONFORMANCE_H_

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <concepts>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "inlet/json_lines_sink.h"
#include "inlet/run.h"
#include "inlet/run_options.h"
#include "inlet/testing/internal/conformance_delivery.h"
#include "inlet/testing/internal/conformance_driving.h"
#include "inlet/testing/internal/conformance_process.h"
#include "inlet/testing/internal/conformance_recording.h"
#include "nlohmann/json.hpp"

namespace inlet::conformance {

// What a resumed run may repeat.
enum class Delivery {
  // Resuming from a snapshot neither repeats nor skips an item.
  kExactlyOnce,
  // Resuming may repeat items already handed out (never skip one, never
  // invent one). For a dynamic input, which has no resume state, it says
  // more: a run after a crash or a finished run hands out everything not
  // yet committed (an ack-based source: what was never acknowledged).
  kAtLeastOnce,
};

// What the connector promises; cases outside it are skipped with the reason.
// Whether the input is partitioned or dynamic is read from `Input`.
struct Capabilities {
  // A partition ends (`NextBatch` returns `kEnd`) once it has handed out
  // what was written before the input was created. When false, the kit
  // stops each run itself once every written item has arrived.
  // Default: true.
  bool bounded = true;
  // A data set can have more than one partition. Default: true.
  bool many_partitions = true;
  // Partitioned inputs: a partition built from a snapshot continues from
  // it. Dynamic inputs never resume, whatever this says. Default: true.
  bool resumable = true;
  // What resuming may repeat (see `Delivery`). Default: kExactlyOnce.
  Delivery delivery = Delivery::kExactlyOnce;
  // Data that arrives while a run goes on wakes the runtime (waker.h), so it
  // reaches the sink within milliseconds, not at the next epoch or poll. The
  // harness then also has `NewLiveInput()` (see the top of this file).
  // Default: false.
  bool wakes = false;
};

// The harness contract described at the top of this file, checked when the
// suite is instantiated.

template <class H>
concept Harness = requires(H harness, const std::filesystem::path& dir, int partition,
                           int64_t index, const std::vector<typename H::Input::Item>& items) {
  { H::kCapabilities } -> std::convertible_to<Capabilities>;
  { harness.CreateDataSet(dir, partition) } -> std::same_as<absl::Status>;
  { harness.MakeItem(partition, index) } -> std::convertible_to<typename H::Input::Item>;
  { harness.Write(partition, items) } -> std::same_as<absl::Status>;
  { harness.NewInput() } -> std::same_as<std::unique_ptr<typename H::Input>>;
};

// The fixture of every case; `H` is the author's harness.
template <class H>
class InputConformance : public ::testing::Test {
  static_assert(Harness<H>,
                "the harness does not match the contract in inlet/testing/conformance.h");

 protected:
  using Input = typename H::Input;
  using Item = typename Input::Item;
  using Source = typename Input::Source;
  using Written = internal::conformance::WrittenData<Item>;

  static constexpr Capabilities kCapabilities = H::kCapabilities;
  static constexpr bool kPartitioned = requires { typename Input::StateType; };
  static constexpr bool kHasLiveInput = requires(H harness) {
    { harness.NewLiveInput() } -> std::same_as<std::unique_ptr<Input>>;
  };
  static_assert(!H::kCapabilities.wakes || kHasLiveInput,
                "a harness whose capabilities say `wakes` needs NewLiveInput() (see "
                "inlet/testing/conformance.h)");
  static constexpr bool kReportsAcknowledged = requires(H harness) {
    { harness.Acknowledged() } -> std::convertible_to<std::vector<Item>>;
  };
  static constexpr char kStep[] = "conformance";
  // How long any one run or read may take before the case fails (generous:
  // the kit also runs under sanitizers on loaded machines).
  static constexpr absl::Duration kTimeLimit = absl::Seconds(30);

  void SetUp() override {
    if (std::optional<std::filesystem::path> child = internal::conformance::ChildDirectory()) {
      dir_ = *child;
      crash_child_ = true;
      return;
    }
    std::string dir_template = ::testing::TempDir() + "inlet-conformance-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template.data()), nullptr) << dir_template;
    dir_ = dir_template;
  }

  void TearDown() override {
    if (crash_child_) return;
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Why the case does not apply, or nothing when it does.
  static std::optional<std::string> WithoutResume() {
    if (!kPartitioned) return "a dynamic input has no resume state";
    if (!kCapabilities.resumable) return "the connector is not resumable (Capabilities::resumable)";
    return std::nullopt;
  }
  // Why a run with the recovery store of an earlier run is not expected to
  // carry on where the committed part of that run stopped.
  static std::optional<std::string> WithoutRestart() {
    if (kPartitioned) return WithoutResume();
    if (kCapabilities.delivery == Delivery::kAtLeastOnce) return std::nullopt;
    return "a dynamic input has no resume state and does not say it delivers at least once "
           "through restarts (Capabilities::delivery)";
  }
  static std::optional<std::string> WithoutManyPartitions() {
    if (kCapabilities.many_partitions) return std::nullopt;
    return "the connector has a single partition (Capabilities::many_partitions)";
  }
  static bool exactly_once() { return kCapabilities.delivery == Delivery::kExactlyOnce; }
  static int ManyOrOne(int many) { return kCapabilities.many_partitions ? many : 1; }
  // A dynamic input needs a worker per partition (see the harness contract).
  static int Workers(int partitions, int wanted) {
    return kPartitioned ? wanted : std::max(partitions, wanted);
  }
  // What a run that should read `items` more items stops after: unbounded
  // inputs never end by themselves.
  static std::optional<int64_t> StopAfterAll(int64_t items) {
    if (kCapabilities.bounded) return std::nullopt;
    return items;
  }

  // Creates a data set of `partitions` partitions holding `items` items each.
  absl::StatusOr<Written> Populate(int partitions, int64_t items) {
    const std::filesystem::path data = dir_ / "data";
    std::filesystem::create_directories(data);
    if (absl::Status created = harness_.CreateDataSet(data, partitions); !created.ok()) {
      return absl::Status(created.code(), absl::StrCat("CreateDataSet: ", created.message()));
    }
    Written written;
    for (int p = 0; p < partitions; ++p) {
      std::vector<Item> part;
      for (int64_t i = 0; i < items; ++i) part.push_back(harness_.MakeItem(p, i));
      if (absl::Status status = harness_.Write(p, part); !status.ok()) {
        return absl::Status(status.code(), absl::StrCat("Write: ", status.message()));
      }
      written.partitions.push_back(std::move(part));
    }
    return written;
  }

  std::unique_ptr<Input> NewInput() {
    std::unique_ptr<Input> input = harness_.NewInput();
    EXPECT_NE(input, nullptr) << "the harness's NewInput returned null";
    return input;
  }

  struct Collected {
    internal::conformance::RunOutcome outcome = {};
    std::vector<Item> items = {};
  };

  // Runs `input` into a collecting sink, stopping once it holds `stop_after`
  // items (at once when 0, never when `std::nullopt`).
  template <class AnyInput>
  Collected RunCollecting(AnyInput& input, RunOptions options, std::optional<int64_t> stop_after) {
    std::stop_source stop;
    internal::conformance::CollectingSink<Item> sink(stop, stop_after);
    options.step_id = kStep;
    Collected collected;
    collected.outcome =
        internal::conformance::RunWithin(input, sink, std::move(options), stop, kTimeLimit);
    collected.items = sink.items();
    return collected;
  }

  // Writes `partitions` partitions of `items` items, runs a new input over
  // them on `workers` workers until everything is read, and checks what
  // arrived.
  void ExpectDeliveredByOneRun(int partitions, int64_t items, int workers) {
    absl::StatusOr<Written> written = Populate(partitions, items);
    ASSERT_TRUE(written.ok()) << written.status();
    std::unique_ptr<Input> input = NewInput();
    ASSERT_NE(input, nullptr);
    Collected run = RunCollecting(*input, {.workers = workers}, StopAfterAll(written->total()));
    ASSERT_TRUE(Finished(run.outcome));
    EXPECT_TRUE(internal::conformance::CheckDelivery(*written, run.items, exactly_once()));
  }

  static ::testing::AssertionResult Finished(const internal::conformance::RunOutcome& outcome) {
    if (outcome.timed_out) {
      return ::testing::AssertionFailure()
             << "the run did not finish within " << absl::FormatDuration(kTimeLimit)
             << (kCapabilities.bounded ? "; a bounded input must end every partition (kEnd) "
                                         "once its data is read"
                                       : "; not every written item arrived");
    }
    if (!outcome.report.ok()) {
      return ::testing::AssertionFailure() << "the run failed: " << outcome.report.status();
    }
    return ::testing::AssertionSuccess();
  }

  // Builds the only partition of a one-partition data set.
  template <class State>
  absl::StatusOr<std::unique_ptr<Source>> BuildOnlyPartition(Input& input,
                                                             std::optional<State> resume) {
    absl::StatusOr<std::vector<std::string>> parts = input.ListParts();
    if (!parts.ok()) return parts.status();
    if (parts->size() != 1) {
      return absl::FailedPreconditionError(absl::StrCat("ListParts returned ", parts->size(),
                                                        " names for a data set of one partition"));
    }
    return input.BuildPart(kStep, parts->front(), std::move(resume));
  }

  absl::StatusOr<std::unique_ptr<Source>> OpenOnlyPartition(Input& input) {
    if constexpr (kPartitioned) {
      return BuildOnlyPartition<typename Input::StateType>(input, std::nullopt);
    } else {
      return input.Build(kStep, 0, 1);
    }
  }

  // A data set of one partition, an input over it and that partition,
  // built fresh.
  struct OnePartition {
    Written written = {};
    std::unique_ptr<Input> input = nullptr;
    std::unique_ptr<Source> source = nullptr;
  };

  absl::StatusOr<OnePartition> OpenOnePartitionOf(int64_t items) {
    absl::StatusOr<Written> written = Populate(1, items);
    if (!written.ok()) return written.status();
    OnePartition opened{.written = *std::move(written), .input = harness_.NewInput()};
    if (opened.input == nullptr) return absl::InternalError("the harness's NewInput returned null");
    absl::StatusOr<std::unique_ptr<Source>> source = OpenOnlyPartition(*opened.input);
    if (!source.ok()) return source.status();
    opened.source = *std::move(source);
    return opened;
  }

  // Read limits that stop an unbounded source once `before` and what it
  // read hold every written item.
  static internal::conformance::DrainLimits<Item> UntilAllRead(const Written& written,
                                                               std::vector<Item> before) {
    internal::conformance::DrainLimits<Item> limits{.time_limit = kTimeLimit};
    if (!kCapabilities.bounded) {
      limits.enough = [&written, before = std::move(before)](const std::vector<Item>& read) {
        std::vector<Item> all = before;
        all.insert(all.end(), read.begin(), read.end());
        return written.CoveredBy(all);
      };
    }
    return limits;
  }

  // Builds the only partition from `state` on a new input and checks that
  // `before` followed by what it hands out is what was written.
  template <class State>
  ::testing::AssertionResult ResumesWithoutGap(const Written& written,
                                               const std::vector<Item>& before,
                                               const State& state) {
    const std::string shown = nlohmann::json(state).dump();
    std::unique_ptr<Input> input = NewInput();
    if (input == nullptr) return ::testing::AssertionFailure() << "no input";
    absl::StatusOr<std::unique_ptr<Source>> source = BuildOnlyPartition<State>(*input, state);
    if (!source.ok()) {
      return ::testing::AssertionFailure()
             << "BuildPart from the snapshot " << shown << " failed: " << source.status();
    }
    internal::conformance::Drained<Item> read =
        internal::conformance::Drain(**source, UntilAllRead(written, before));
    (*source)->Close();
    if (!read.status.ok()) {
      return ::testing::AssertionFailure()
             << "NextBatch failed after resuming from " << shown << ": " << read.status;
    }
    std::vector<Item> all = before;
    all.insert(all.end(), read.items.begin(), read.items.end());
    return internal::conformance::CheckDelivery(written, all, exactly_once())
           << "\n  (the partition was rebuilt from the snapshot " << shown << ", taken after "
           << before.size() << " items)";
  }

  // The crash case's child: runs into a JSON-lines file with a recovery
  // store, then stalls mid-stream (after an epoch with items was committed
  // and half the items were written) until its parent kills it.
  [[noreturn]] void RunAsCrashChild(const Written& written, int workers) {
    std::unique_ptr<Input> input = NewInput();
    absl::StatusOr<std::unique_ptr<JsonLinesSink<Item>>> file =
        JsonLinesSink<Item>::Open(dir_ / "out.jsonl");
    if (input == nullptr || !file.ok()) std::_Exit(3);
    std::atomic<int64_t> items{0};
    std::atomic<bool> committed_items{false};
    const std::filesystem::path marker = dir_ / "stalled";
    auto stall_when_mid_stream = [&] {
      if (items.load() * 2 < written.total() || !committed_items.load()) return;
      std::ofstream{marker};
      absl::SleepFor(kTimeLimit);
      std::_Exit(4);
    };
    internal::conformance::ObservedSink<Item> sink(
        **file, {.after_write =
                     [&](size_t count) {
                       items += static_cast<int64_t>(count);
                       absl::SleepFor(absl::Milliseconds(1));  // Lets epochs close in between.
                       stall_when_mid_stream();
                     },
                 .before_commit =
                     [&] {
                       stall_when_mid_stream();
                       if (items.load() > 0) committed_items = true;
                     },
                 // A source that handed out everything before the first
                 // epoch closed is killed after its final commit instead.
                 .before_close = stall_when_mid_stream});
    absl::StatusOr<RunReport> report = inlet::Run(*input, sink,
                                                  {.step_id = kStep,
                                                   .workers = workers,
                                                   .epoch_interval = absl::Milliseconds(2),
                                                   .recovery_db = dir_ / "recovery.db"});
    std::_Exit(report.ok() ? 0 : 1);
  }

  // The acknowledgement case's child: like the crash child, but it records
  // every acknowledgement and stalls inside a sink commit, between the
  // epoch's snapshots and its commit, once items were acknowledged and more
  // were written since. Before stalling it writes what was acknowledged
  // (the JSON text of each item, a line each) to `acknowledged.jsonl`.
  [[noreturn]] void RunAsAcknowledgementChild(const Written& written, int workers) {
    std::unique_ptr<Input> input = NewInput();
    absl::StatusOr<std::unique_ptr<JsonLinesSink<Item>>> file =
        JsonLinesSink<Item>::Open(dir_ / "out.jsonl");
    if (input == nullptr || !file.ok()) std::_Exit(3);
    internal::conformance::CallLog log;
    auto recorded = internal::conformance::Recorded(*input, log);
    std::atomic<int64_t> items{0};
    std::atomic<int64_t> items_at_commit{0};
    auto stall_when_acknowledged = [&](bool committing) {
      if (items.load() * 2 < written.total()) return;
      if (committing && items.load() == items_at_commit.load()) return;
      std::vector<std::string> acknowledged = internal::conformance::AcknowledgedItems(log);
      if constexpr (kReportsAcknowledged) {
        for (const Item& item : std::vector<Item>(harness_.Acknowledged())) {
          acknowledged.push_back(nlohmann::json(item).dump());
        }
      }
      if (committing && acknowledged.empty()) return;
      {
        std::ofstream out(dir_ / "acknowledged.jsonl", std::ios::trunc);
        for (const std::string& item : acknowledged) out << item << '\n';
      }
      std::ofstream{dir_ / "stalled"};
      absl::SleepFor(kTimeLimit);
      std::_Exit(4);
    };
    internal::conformance::ObservedSink<Item> sink(
        **file, {.after_write =
                     [&](size_t count) {
                       items += static_cast<int64_t>(count);
                       absl::SleepFor(absl::Milliseconds(1));  // Lets epochs close in between.
                     },
                 .before_commit =
                     [&] {
                       stall_when_acknowledged(true);
                       items_at_commit = items.load();
                     },
                 // A source that handed out everything before an epoch
                 // closed is killed after its final commit instead.
                 .before_close = [&] { stall_when_acknowledged(false); }});
    absl::StatusOr<RunReport> report = inlet::Run(recorded, sink,
                                                  {.step_id = kStep,
                                                   .workers = workers,
                                                   .epoch_interval = absl::Milliseconds(2),
                                                   .recovery_db = dir_ / "recovery.db"});
    std::_Exit(report.ok() ? 0 : 1);
  }

  // After a killed child: runs a new input into the child's `out.jsonl` with
  // its recovery store until every written item is in the file (or the
  // input ends), and sets `committed` to the lines the store had committed.
  internal::conformance::RunOutcome ResumeIntoFile(const Written& written,
                                                   std::vector<std::string>* committed) {
    const std::filesystem::path out = dir_ / "out.jsonl";
    std::unique_ptr<Input> input = NewInput();
    if (input == nullptr) return {.report = absl::InternalError("NewInput returned null")};
    auto file = JsonLinesSink<Item>::Open(out);
    if (!file.ok()) return {.report = file.status()};
    std::stop_source stop;
    std::atomic<int64_t> in_file{0};
    const std::optional<int64_t> stop_after = StopAfterAll(written.total());
    internal::conformance::ObservedSink<Item> sink(
        **file, {.on_restore =
                     [&](const nlohmann::json& marker) {
                       in_file = CommittedLines(out, marker);
                       if (committed == nullptr) return;
                       std::ifstream text(out, std::ios::binary);
                       std::string line;
                       for (int64_t i = 0; i < in_file.load() && std::getline(text, line); ++i) {
                         committed->push_back(nlohmann::json::parse(line).dump());
                       }
                     },
                 .after_write =
                     [&](size_t count) {
                       in_file += static_cast<int64_t>(count);
                       if (stop_after.has_value() && in_file.load() >= *stop_after)
                         stop.request_stop();
                     }});
    return internal::conformance::RunWithin(
        *input, sink,
        {.step_id = kStep,
         .workers = Workers(static_cast<int>(written.partitions.size()), 1),
         .recovery_db = dir_ / "recovery.db"},
        stop, kTimeLimit);
  }

  // The number of lines in the committed part of `path`: its first
  // `marker["length"]` bytes (a `JsonLinesSink` file marker).
  static int64_t CommittedLines(const std::filesystem::path& path, const nlohmann::json& marker) {
    if (!marker.is_object() || !marker.contains("length")) return 0;
    std::ifstream file(path, std::ios::binary);
    std::string committed(static_cast<size_t>(marker["length"].get<int64_t>()), '\0');
    file.read(committed.data(), static_cast<std::streamsize>(committed.size()));
    return std::count(committed.begin(), committed.end(), '\n');
  }

  static std::vector<Item> ReadJsonLines(const std::filesystem::path& path) {
    std::vector<Item> items;
    std::ifstream file(path, std::ios::binary);
    for (std::string line; std::getline(file, line);) {
      items.push_back(nlohmann::json::parse(line).template get<Item>());
    }
    return items;
  }

  static std::string ReadAll(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(file), {});
  }

  H harness_;
  std::filesystem::path dir_;
  bool crash_child_ = false;
};

TYPED_TEST_SUITE_P(InputConformance);

TYPED_TEST_P(InputConformance, OnePartitionInExactOrder) {
  this->ExpectDeliveredByOneRun(1, 25, 1);
}

TYPED_TEST_P(InputConformance, ManyPartitionsKeepOrderWithinEach) {
  if (const auto reason = this->WithoutManyPartitions()) {
    GTEST_SKIP() << *reason;
  }
  this->ExpectDeliveredByOneRun(4, 15, this->Workers(4, 2));
}

TYPED_TEST_P(InputConformance, SnapshotThenRebuildContinuesWithoutGapOrDuplicate) {
  if constexpr (TestFixture::kPartitioned) {
    if (const auto reason = this->WithoutResume()) {
      GTEST_SKIP() << *reason;
    }
    using State = typename TestFixture::Input::StateType;
    auto opened = this->OpenOnePartitionOf(20);
    ASSERT_TRUE(opened.ok()) << opened.status();
    const auto& written = opened->written;
    auto& source = *opened->source;
    // A snapshot at every point an epoch could close: before the first poll
    // and after every batch.
    std::vector<std::pair<size_t, State>> cuts;
    cuts.emplace_back(0, source.Snapshot());
    auto read = internal::conformance::Drain(
        source, this->UntilAllRead(written, {}),
        [&](size_t received) { cuts.emplace_back(received, source.Snapshot()); });
    source.Close();
    ASSERT_TRUE(read.status.ok()) << read.status;
    ASSERT_TRUE(internal::conformance::CheckDelivery(written, read.items, this->exactly_once()))
        << "\n  (an uninterrupted read of the partition)";
    // The first cut that fails is reported; later ones would repeat it.
    for (const auto& [count, state] : cuts) {
      const std::vector<typename TestFixture::Item> before(read.items.begin(),
                                                           read.items.begin() + count);
      ASSERT_TRUE(this->ResumesWithoutGap(written, before, state));
    }
  } else {
    GTEST_SKIP() << *this->WithoutResume();
  }
}

TYPED_TEST_P(InputConformance, RescaleUpAndDownThroughTheRecoveryStore) {
  if (const auto reason = this->WithoutResume()) {
    GTEST_SKIP() << *reason;
  }
  const int partitions = this->ManyOrOne(4);
  auto written = this->Populate(partitions, 12);
  ASSERT_TRUE(written.ok()) << written.status();
  const int64_t total = written->total();
  std::vector<typename TestFixture::Item> received;
  const int workers[] = {1, 3, 2};
  for (int run_index = 0; run_index < 3; ++run_index) {
    SCOPED_TRACE(absl::StrCat("run ", run_index + 1, " with ", workers[run_index], " workers"));
    std::unique_ptr<typename TestFixture::Input> input = this->NewInput();
    ASSERT_NE(input, nullptr);
    const int64_t remaining = total - static_cast<int64_t>(received.size());
    auto run = this->RunCollecting(
        *input,
        {.workers = workers[run_index],
         .epoch_interval = absl::Milliseconds(5),
         .recovery_db = this->dir_ / "recovery.db"},
        run_index < 2 ? std::min(total / 3, remaining) : this->StopAfterAll(remaining));
    ASSERT_TRUE(this->Finished(run.outcome));
    if (run_index > 0) {
      EXPECT_GT(run.outcome.report->resumed_epoch, 0) << "nothing was committed before";
    }
    received.insert(received.end(), run.items.begin(), run.items.end());
  }
  EXPECT_TRUE(internal::conformance::CheckDelivery(*written, received, this->exactly_once()))
      << "\n  (the items of three runs, each resumed from the one before)";
}

TYPED_TEST_P(InputConformance, MoreWorkersThanPartitionsStillFinishes) {
  const int partitions = this->ManyOrOne(2);
  this->ExpectDeliveredByOneRun(partitions, 10, partitions + 3);
}

TYPED_TEST_P(InputConformance, NextBatchWithNoDataReturnsWithinTheSlowPollBudget) {
  auto opened = this->OpenOnePartitionOf(0);
  ASSERT_TRUE(opened.ok()) << opened.status();
  auto read = internal::conformance::Drain(
      *opened->source, internal::conformance::DrainLimits<typename TestFixture::Item>{
                           .max_polls = 3, .time_limit = TestFixture::kTimeLimit});
  opened->source->Close();
  ASSERT_TRUE(read.status.ok()) << read.status;
  const absl::Duration budget = RunOptions().slow_poll_threshold;
  EXPECT_LT(read.slowest_poll, budget)
      << "NextBatch on a partition with no data took " << absl::FormatDuration(read.slowest_poll)
      << " (budget " << absl::FormatDuration(budget)
      << "); it must return an empty batch at once and say through NextAwake when to poll again";
  EXPECT_TRUE(read.items.empty()) << read.items.size() << " items from an empty partition";
}

TYPED_TEST_P(InputConformance, NextAwakeIsRespected) {
  const int partitions = this->ManyOrOne(2);
  auto written = this->Populate(partitions, 10);
  ASSERT_TRUE(written.ok()) << written.status();
  std::unique_ptr<typename TestFixture::Input> input = this->NewInput();
  ASSERT_NE(input, nullptr);
  internal::conformance::CallLog log;
  auto recorded = internal::conformance::Recorded(*input, log);
  auto run = this->RunCollecting(recorded, {.workers = this->Workers(partitions, 1)},
                                 this->StopAfterAll(written->total()));
  ASSERT_TRUE(this->Finished(run.outcome));
  EXPECT_TRUE(internal::conformance::PolledOnlyWhenDue(log));
  EXPECT_TRUE(internal::conformance::CheckDelivery(*written, run.items, this->exactly_once()));
}

TYPED_TEST_P(InputConformance, CloseIsCalledOnceAndSnapshotNeverAfterIt) {
  const int partitions = this->ManyOrOne(3);
  auto written = this->Populate(partitions, 10);
  ASSERT_TRUE(written.ok()) << written.status();
  std::map<std::string, nlohmann::json> final_states;
  for (const bool stop_early : {true, false}) {
    SCOPED_TRACE(stop_early ? "a run stopped after its first item" : "a run to the end");
    std::unique_ptr<typename TestFixture::Input> input = this->NewInput();
    ASSERT_NE(input, nullptr);
    internal::conformance::CallLog log;
    auto recorded = internal::conformance::Recorded(*input, log);
    auto run = this->RunCollecting(
        recorded,
        {.workers = this->Workers(partitions, 2), .epoch_interval = absl::Milliseconds(1)},
        stop_early ? std::optional<int64_t>(1) : this->StopAfterAll(written->total()));
    ASSERT_TRUE(this->Finished(run.outcome));
    EXPECT_TRUE(internal::conformance::ClosedOnceAndLast(log));
    if (!stop_early) final_states = run.outcome.report->snapshots;
  }
  // The runtime's last snapshot of a partition is taken before `Close`, so
  // it must already be final: a partition rebuilt from it has nothing left.
  if constexpr (TestFixture::kPartitioned) {
    if (this->WithoutResume() || !this->exactly_once()) return;
    using State = typename TestFixture::Input::StateType;
    std::unique_ptr<typename TestFixture::Input> input = this->NewInput();
    ASSERT_NE(input, nullptr);
    for (const auto& [part, state] : final_states) {
      auto source = input->BuildPart(TestFixture::kStep, part, state.template get<State>());
      ASSERT_TRUE(source.ok()) << source.status();
      auto read = internal::conformance::Drain(
          **source, internal::conformance::DrainLimits<typename TestFixture::Item>{
                        .max_polls = TestFixture::kCapabilities.bounded ? 0 : 3,
                        .time_limit = TestFixture::kTimeLimit});
      (*source)->Close();
      ASSERT_TRUE(read.status.ok()) << read.status;
      EXPECT_TRUE(read.items.empty())
          << "partition \"" << part << "\" rebuilt from its last snapshot " << state.dump()
          << " handed out " << read.items.size() << " more items, starting with "
          << internal::conformance::ShowItem(read.items.front())
          << "; the snapshot taken before Close must be the partition's final state";
    }
  }
}

TYPED_TEST_P(InputConformance, ResumeStateSurvivesAJsonRoundTrip) {
  if constexpr (TestFixture::kPartitioned) {
    if (const auto reason = this->WithoutResume()) {
      GTEST_SKIP() << *reason;
    }
    using State = typename TestFixture::Input::StateType;
    auto opened = this->OpenOnePartitionOf(10);
    ASSERT_TRUE(opened.ok()) << opened.status();
    auto read = internal::conformance::Drain(
        *opened->source, internal::conformance::DrainLimits<typename TestFixture::Item>{
                             .enough = [](const auto& items) { return items.size() >= 5; },
                             .time_limit = TestFixture::kTimeLimit});
    ASSERT_TRUE(read.status.ok()) << read.status;
    const nlohmann::json state = opened->source->Snapshot();
    opened->source->Close();
    const std::string text = state.dump();
    const State parsed = nlohmann::json::parse(text).template get<State>();
    EXPECT_EQ(nlohmann::json(parsed), state)
        << "the state " << text << " changes through to_json, dump, parse and from_json";
    EXPECT_TRUE(this->ResumesWithoutGap(opened->written, read.items, parsed));
  } else {
    GTEST_SKIP() << *this->WithoutResume();
  }
}

TYPED_TEST_P(InputConformance, ListPartsIsStableAcrossCallsAndInstances) {
  if constexpr (TestFixture::kPartitioned) {
    const int partitions = this->ManyOrOne(3);
    ASSERT_TRUE(this->Populate(partitions, 2).ok());
    std::unique_ptr<typename TestFixture::Input> first = this->NewInput();
    std::unique_ptr<typename TestFixture::Input> second = this->NewInput();
    ASSERT_NE(first, nullptr);
    ASSERT_NE(second, nullptr);
    std::vector<std::vector<std::string>> listed;
    for (auto* input : {first.get(), first.get(), second.get()}) {
      absl::StatusOr<std::vector<std::string>> parts = input->ListParts();
      ASSERT_TRUE(parts.ok()) << parts.status();
      std::sort(parts->begin(), parts->end());
      listed.push_back(*std::move(parts));
    }
    EXPECT_EQ(listed[0].size(), static_cast<size_t>(partitions))
        << "ListParts must name every partition of the data set once";
    EXPECT_EQ(std::set<std::string>(listed[0].begin(), listed[0].end()).size(), listed[0].size())
        << "ListParts named a partition twice";
    EXPECT_EQ(listed[1], listed[0])
        << "a second ListParts call on the same input named other "
           "partitions; names are the keys resume states are kept under";
    EXPECT_EQ(listed[2], listed[0])
        << "another input over the same data set named other "
           "partitions; names are the keys resume states are kept under";
  } else {
    GTEST_SKIP() << "ListParts belongs to partitioned inputs; a dynamic input builds one source "
                    "per worker";
  }
}

TYPED_TEST_P(InputConformance, SigkillMidStreamThenResumeLosesNothing) {
  if (const auto reason = this->WithoutRestart()) {
    GTEST_SKIP() << *reason;
  }
  const int partitions = this->ManyOrOne(2);
  auto written = this->Populate(partitions, 30);
  ASSERT_TRUE(written.ok()) << written.status();
  if (this->crash_child_) this->RunAsCrashChild(*written, partitions);

  absl::StatusOr<pid_t> child = internal::conformance::SpawnCurrentTest(this->dir_);
  ASSERT_TRUE(child.ok()) << child.status();
  const absl::Status mid_stream =
      internal::conformance::AwaitMarker(*child, this->dir_ / "stalled", TestFixture::kTimeLimit);
  ASSERT_TRUE(mid_stream.ok()) << mid_stream << "; the child's output:\n"
                               << this->ReadAll(this->dir_ / "child.log");
  ASSERT_TRUE(internal::conformance::KillAndReap(*child).ok());

  const std::filesystem::path out = this->dir_ / "out.jsonl";
  auto resumed = this->ResumeIntoFile(*written, nullptr);
  ASSERT_TRUE(this->Finished(resumed));
  EXPECT_GT(resumed.report->resumed_epoch, 0) << "the killed run committed no epoch";
  EXPECT_TRUE(internal::conformance::CheckDelivery(*written, this->ReadJsonLines(out),
                                                   this->exactly_once()))
      << "\n  (" << out.filename() << " after a run killed mid-stream and a resumed one)";
}

TYPED_TEST_P(InputConformance, AcknowledgementsNeverRunAheadOfTheStore) {
  const int partitions = this->ManyOrOne(2);
  auto written = this->Populate(partitions, 30);
  ASSERT_TRUE(written.ok()) << written.status();
  const int workers = this->Workers(partitions, partitions);
  if (this->crash_child_) this->RunAsAcknowledgementChild(*written, workers);

  absl::StatusOr<pid_t> child = internal::conformance::SpawnCurrentTest(this->dir_);
  ASSERT_TRUE(child.ok()) << child.status();
  const absl::Status acknowledged_some =
      internal::conformance::AwaitMarker(*child, this->dir_ / "stalled", TestFixture::kTimeLimit);
  ASSERT_TRUE(acknowledged_some.ok()) << acknowledged_some << "; the child's output:\n"
                                      << this->ReadAll(this->dir_ / "child.log");
  ASSERT_TRUE(internal::conformance::KillAndReap(*child).ok());

  std::vector<std::string> committed;
  auto resumed = this->ResumeIntoFile(*written, &committed);
  ASSERT_TRUE(this->Finished(resumed));
  const std::set<std::string> durable(committed.begin(), committed.end());
  std::ifstream acknowledged(this->dir_ / "acknowledged.jsonl");
  int64_t count = 0;
  for (std::string item; std::getline(acknowledged, item); ++count) {
    ASSERT_TRUE(durable.contains(item))
        << "the item " << item << " was acknowledged before the run was killed, but the "
        << "recovery store had committed only " << committed.size()
        << " lines of the output, without it; a source must acknowledge in Committed, after "
           "the epoch is durable, never earlier (not in Snapshot or NextBatch)";
  }
  EXPECT_GT(count, 0) << "nothing was acknowledged before the kill";
  if (!this->WithoutRestart()) {
    EXPECT_TRUE(internal::conformance::CheckDelivery(
        *written, this->ReadJsonLines(this->dir_ / "out.jsonl"), this->exactly_once()))
        << "\n  (the output after a run killed inside a commit and a resumed one)";
  }
}

TYPED_TEST_P(InputConformance, TwoRunsInARowReadNothingTwice) {
  if (const auto reason = this->WithoutRestart()) {
    GTEST_SKIP() << *reason;
  }
  if (!TestFixture::kCapabilities.bounded) {
    GTEST_SKIP() << "an unbounded input never finishes a run (Capabilities::bounded)";
  }
  const int partitions = this->ManyOrOne(3);
  auto written = this->Populate(partitions, 10);
  ASSERT_TRUE(written.ok()) << written.status();
  const RunOptions options = {.workers = this->Workers(partitions, 2),
                              .epoch_interval = absl::Milliseconds(5),
                              .recovery_db = this->dir_ / "recovery.db"};
  std::unique_ptr<typename TestFixture::Input> first_input = this->NewInput();
  ASSERT_NE(first_input, nullptr);
  auto first = this->RunCollecting(*first_input, options, std::nullopt);
  ASSERT_TRUE(this->Finished(first.outcome));
  ASSERT_TRUE(internal::conformance::CheckDelivery(*written, first.items, this->exactly_once()))
      << "\n  (the first run)";
  std::unique_ptr<typename TestFixture::Input> second_input = this->NewInput();
  ASSERT_NE(second_input, nullptr);
  auto second = this->RunCollecting(*second_input, options, std::nullopt);
  ASSERT_TRUE(this->Finished(second.outcome));
  if (this->exactly_once()) {
    EXPECT_TRUE(second.items.empty())
        << "a second run with the store of a finished run handed out " << second.items.size()
        << " items again, starting with " << internal::conformance::ShowItem(second.items.front())
        << "; the final states committed by the first run must leave nothing to read";
  } else {
    EXPECT_LT(static_cast<int64_t>(second.items.size()), written->total())
        << "a second run with the store of a finished run read everything again; the final "
           "states committed by the first run were not used";
  }
}

TYPED_TEST_P(InputConformance, AWakeReachesTheSinkPromptly) {
  if constexpr (TestFixture::kCapabilities.wakes && TestFixture::kHasLiveInput) {
    ASSERT_TRUE(this->Populate(1, 0).ok());
    std::unique_ptr<typename TestFixture::Input> input = this->harness_.NewLiveInput();
    ASSERT_NE(input, nullptr) << "the harness's NewLiveInput returned null";
    std::stop_source stop;
    internal::conformance::CollectingSink<typename TestFixture::Item> collected(stop, std::nullopt);
    std::atomic<int64_t> received{0};
    internal::conformance::ObservedSink<typename TestFixture::Item> sink(
        collected, {.after_write = [&](size_t count) { received += static_cast<int64_t>(count); }});
    internal::conformance::RunOutcome outcome;
    // Default options otherwise: a 10 s epoch, so only a wake can be prompt.
    std::jthread run([&] {
      outcome = internal::conformance::RunWithin(*input, sink, {.step_id = TestFixture::kStep},
                                                 stop, TestFixture::kTimeLimit);
    });
    constexpr int kTries = 5;
    std::vector<typename TestFixture::Item> written;
    std::vector<absl::Duration> latencies;
    for (int i = 0; i < kTries; ++i) {
      absl::SleepFor(absl::Milliseconds(100));  // The source has been idle.
      written.push_back(this->harness_.MakeItem(0, i));
      const absl::Time start = absl::Now();
      const absl::Status status = this->harness_.Write(0, {written.back()});
      ASSERT_TRUE(status.ok()) << "Write while a run goes on: " << status;
      while (received.load() <= i && absl::Now() - start < absl::Seconds(5)) {
        absl::SleepFor(absl::Microseconds(200));
      }
      latencies.push_back(absl::Now() - start);
    }
    stop.request_stop();
    run.join();
    ASSERT_TRUE(this->Finished(outcome));
    EXPECT_EQ(collected.items(), written) << "the items written while the run went on";
    std::vector<absl::Duration> sorted = latencies;
    std::sort(sorted.begin(), sorted.end());
    std::string shown;
    for (const absl::Duration latency : latencies) {
      absl::StrAppend(&shown, shown.empty() ? "" : ", ", absl::FormatDuration(latency));
    }
    const absl::Duration bound = absl::Milliseconds(50);
    EXPECT_LT(sorted[kTries / 2], bound)
        << "an item written after the source was idle for 100 ms took " << shown
        << " to reach the sink (median bound " << absl::FormatDuration(bound)
        << "); a source whose data arrives on another thread must wake the runtime (waker.h)";
  } else {
    GTEST_SKIP() << "the connector does not say it wakes the runtime when data arrives "
                    "(Capabilities::wakes)";
  }
}

REGISTER_TYPED_TEST_SUITE_P(
    InputConformance, OnePartitionInExactOrder, ManyPartitionsKeepOrderWithinEach,
    SnapshotThenRebuildContinuesWithoutGapOrDuplicate, RescaleUpAndDownThroughTheRecoveryStore,
    MoreWorkersThanPartitionsStillFinishes, NextBatchWithNoDataReturnsWithinTheSlowPollBudget,
    NextAwakeIsRespected, CloseIsCalledOnceAndSnapshotNeverAfterIt,
    ResumeStateSurvivesAJsonRoundTrip, ListPartsIsStableAcrossCallsAndInstances,
    SigkillMidStreamThenResumeLosesNothing, AcknowledgementsNeverRunAheadOfTheStore,
    TwoRunsInARowReadNothingTwice, AWakeReachesTheSinkPromptly);

}  // namespace inlet::conformance

// Instantiates every case for the harness type given after `Name` (commas
// in template arguments are fine) under the prefix `Name`. Use it at global
// scope. The alias makes the harness type mean what it means there, whatever
// names inlet::conformance declares.
#define INLET_CONFORMANCE_TEST(Name, ...)                                                   \
  using InletConformanceHarness_##Name = __VA_ARGS__;                                       \
  namespace inlet::conformance {                                                            \
  INSTANTIATE_TYPED_TEST_SUITE_P(Name, InputConformance, ::InletConformanceHarness_##Name); \
  }                                                                                         \
  static_assert(true, "a semicolon after INLET_CONFORMANCE_TEST(...) ends this assertion")

#endif  // INLET_TESTING_CONFORMANCE_H_
