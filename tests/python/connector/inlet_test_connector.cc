// Inputs that exercise every path of inlet/python/export.h from Python:
// item conversions (including a custom type through the caster hook), resume
// states, wake-up times, the GIL, and failures of each method; and subjects
// for inlet/python/export_subject.h, read by Pathway through inlet.pathway.

#include <Python.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "inlet/connector_subject.h"
#include "inlet/dynamic_input.h"
#include "inlet/message.h"
#include "inlet/partitioned_input.h"
#include "inlet/python/export.h"
#include "inlet/python/export_subject.h"
#include "inlet/schema.h"
#include "inlet/subject_input.h"
#include "nlohmann/json.hpp"

// A custom item type, converted through the documented hook: a
// `nanobind::detail::type_caster` specialization (to a Python complex).
struct Point {
  double x = 0;
  double y = 0;
};

namespace nanobind::detail {
template <>
struct type_caster<Point> {
  NB_TYPE_CASTER(Point, const_name("complex"))
  bool from_python(handle, uint8_t, cleanup_list*) noexcept { return false; }
  static handle from_cpp(const Point& point, rv_policy, cleanup_list*) noexcept {
    return PyComplex_FromDoubles(point.x, point.y);
  }
};
}  // namespace nanobind::detail

namespace {

namespace nb = nanobind;

// Which method fails, and whether by a status or by an exception.
struct Failure {
  std::string method;
  bool throws = false;
  int64_t at = 0;  // For NextBatch: the item number it fails at.

  bool Is(std::string_view name) const { return method == name; }
  absl::Status Fail(std::string_view name) const {
    const std::string text = absl::StrCat(std::string(name), " failed on purpose");
    if (throws) throw std::runtime_error(text);
    return absl::DataLossError(text);
  }
};

struct CounterState {
  int64_t next = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CounterState, next)

using KeyedCount = std::pair<std::string, int64_t>;

// Counts from the resume point to `limit` in each partition, `batch_size` at
// a time, as (partition, n) pairs; the state is {"next": n}. With an
// `ack_log`, every `Committed` appends "<partition> <next>" to that file.
class CounterSource final : public inlet::StatefulSource<KeyedCount, CounterState> {
 public:
  CounterSource(std::string part, int64_t next, int64_t limit, int64_t batch_size, Failure failure,
                std::string ack_log)
      : part_(std::move(part)),
        next_(next),
        limit_(limit),
        batch_size_(batch_size),
        failure_(std::move(failure)),
        ack_log_(std::move(ack_log)) {}

  absl::StatusOr<inlet::Poll> NextBatch(std::vector<KeyedCount>& out) override {
    for (int64_t i = 0; i < batch_size_ && next_ < limit_; ++i, ++next_) {
      if (failure_.Is("NextBatch") && next_ == failure_.at) return failure_.Fail("NextBatch");
      out.emplace_back(part_, next_);
    }
    return next_ < limit_ ? inlet::Poll::kMore : inlet::Poll::kEnd;
  }
  std::optional<absl::Time> NextAwake() override {
    if (failure_.Is("NextAwake")) throw std::runtime_error("NextAwake failed on purpose");
    return std::nullopt;
  }
  CounterState Snapshot() override {
    if (failure_.Is("Snapshot")) throw std::runtime_error("Snapshot failed on purpose");
    return {.next = next_};
  }
  void Committed(const CounterState& state) override {
    if (!ack_log_.empty())
      std::ofstream(ack_log_, std::ios::app) << part_ << " " << state.next << "\n";
  }
  void Close() override {
    if (failure_.Is("Close")) throw std::runtime_error("Close failed on purpose");
  }

 private:
  std::string part_;
  int64_t next_;
  int64_t limit_;
  int64_t batch_size_;
  Failure failure_;
  std::string ack_log_;
};

class Counters final : public inlet::PartitionedInput<KeyedCount, CounterState> {
 public:
  Counters(std::vector<std::string> parts, int64_t limit, int64_t batch_size, Failure failure,
           std::string ack_log)
      : parts_(std::move(parts)),
        limit_(limit),
        batch_size_(batch_size),
        failure_(std::move(failure)),
        ack_log_(std::move(ack_log)) {}

  absl::StatusOr<std::vector<std::string>> ListParts() override {
    if (failure_.Is("ListParts")) {
      absl::Status failed = failure_.Fail("ListParts");
      return failed;
    }
    return parts_;
  }
  absl::StatusOr<std::unique_ptr<Source>> BuildPart(std::string_view, std::string_view for_part,
                                                    std::optional<CounterState> resume) override {
    if (failure_.Is("BuildPart")) {
      absl::Status failed = failure_.Fail("BuildPart");
      return failed;
    }
    return std::make_unique<CounterSource>(std::string(for_part),
                                           resume.value_or(CounterState{}).next, limit_,
                                           batch_size_, failure_, ack_log_);
  }

 private:
  std::vector<std::string> parts_;
  int64_t limit_;
  int64_t batch_size_;
  Failure failure_;
  std::string ack_log_;
};

// One item of every convertible kind, per worker.
using Mixed = std::tuple<std::string, std::vector<std::byte>, int64_t, double, bool, nlohmann::json,
                         Point, bool>;

// The time every `MixedSource` asks to be woken at: 2023-11-14 22:13:20.123456 UTC.
constexpr int64_t kAwakeMicros = 1'700'000'000'123'456;

class MixedSource final : public inlet::StatelessSource<Mixed> {
 public:
  explicit MixedSource(int worker_index) : worker_index_(worker_index) {}

  absl::StatusOr<inlet::Poll> NextBatch(std::vector<Mixed>& out) override {
    const bool gil_held = PyGILState_Check() == 1;
    out.emplace_back(absl::StrCat("worker-", worker_index_, " \xc3\xa9"),
                     std::vector<std::byte>{std::byte{0}, std::byte{0xff}}, int64_t{1} << 40, 0.5,
                     true,
                     nlohmann::json{{"worker", worker_index_}, {"list", {1, "two", nullptr, 3.5}}},
                     Point{.x = 1, .y = -2}, gil_held);
    return inlet::Poll::kEnd;
  }
  std::optional<absl::Time> NextAwake() override { return absl::FromUnixMicros(kAwakeMicros); }

 private:
  int worker_index_;
};

class MixedInput final : public inlet::DynamicInput<Mixed> {
 public:
  absl::StatusOr<std::unique_ptr<Source>> Build(std::string_view, int worker_index, int) override {
    return std::make_unique<MixedSource>(worker_index);
  }
};

// Rows 1..count of every field type (tests/python/test_pathway.py computes
// the same rows), a `Commit` after every `commit_every`-th. `bad_at` pushes
// that row with a string id; `fail_in` ("Run" or "OnStop") throws from that
// method once the rows were pushed.
class Rows final : public inlet::ConnectorSubject {
 public:
  Rows(int64_t count, int64_t commit_every, std::string fail_in, int64_t bad_at)
      : count_(count), commit_every_(commit_every), fail_in_(std::move(fail_in)), bad_at_(bad_at) {}

  void Run() override {
    for (int64_t i = 1; i <= count_ && !stop_requested(); ++i) {
      nlohmann::json row = {
          {"order_id", i},
          {"name", absl::StrCat("row-", i, " \xc3\xa9")},
          {"flag", i % 2 == 0},
          {"blob", nlohmann::json::binary({static_cast<uint8_t>(i % 256), 0xff})},
          {"doc", {{"i", i}, {"tags", {"a", i, nullptr}}}},
      };
      if (i % 5 != 0) row["score"] = static_cast<double>(i) / 4;  // Else the default.
      if (i == bad_at_) row["order_id"] = "x";
      Next(std::move(row));
      if (commit_every_ > 0 && i % commit_every_ == 0) Commit();
    }
    if (fail_in_ == "Run") throw std::runtime_error("connection reset");
  }
  void OnStop() override {
    if (fail_in_ == "OnStop") throw std::runtime_error("disconnect failed");
  }

 private:
  int64_t count_;
  int64_t commit_every_;
  std::string fail_in_;
  int64_t bad_at_;
};

std::vector<inlet::Field> RowSchema() {
  using inlet::FieldType;
  return {{.name = "order_id", .type = FieldType::kInt, .primary_key = true},
          {.name = "name", .type = FieldType::kString},
          {.name = "score", .type = FieldType::kFloat, .default_value = 0.5},
          {.name = "flag", .type = FieldType::kBool},
          {.name = "blob", .type = FieldType::kBytes},
          {.name = "doc", .type = FieldType::kJson}};
}

// Lines of text for the raw format: "line i \u00e9" for i in 1..count, a
// `Commit` after every `commit_every`-th.
class Lines final : public inlet::ConnectorSubject {
 public:
  Lines(int64_t count, int64_t commit_every) : count_(count), commit_every_(commit_every) {}
  void Run() override {
    for (int64_t i = 1; i <= count_; ++i) {
      NextStr(absl::StrCat("line ", i, " \xc3\xa9"));
      if (i % commit_every_ == 0) Commit();
    }
  }

 private:
  int64_t count_;
  int64_t commit_every_;
};

// JSON texts of every kind, for the JSON format without a schema, with a
// `Commit` after every `commit_every`-th (0: only the end of `Run` commits).
class Values final : public inlet::ConnectorSubject {
 public:
  Values(std::vector<std::string> texts, int64_t commit_every)
      : texts_(std::move(texts)), commit_every_(commit_every) {}
  void Run() override {
    int64_t pushed = 0;
    for (const std::string& text : texts_) {
      NextStr(text);
      if (commit_every_ > 0 && ++pushed % commit_every_ == 0) Commit();
    }
  }

 private:
  std::vector<std::string> texts_;
  int64_t commit_every_;
};

// "1", "2", ... "count", each followed by `ReportOffset(n)` and a `Commit`.
// `OnCommitted` and `Seek` append "committed <offset>" and "seek <offset>"
// to `ack_log`.
class Acked final : public inlet::ConnectorSubject {
 public:
  Acked(int64_t count, std::string ack_log) : count_(count), ack_log_(std::move(ack_log)) {}
  void Run() override {
    ReportOffset(0);
    for (int64_t n = 1; n <= count_ && !stop_requested(); ++n) {
      NextStr(absl::StrCat(n));
      ReportOffset(n);
      Commit();
    }
  }
  void Seek(const nlohmann::json& offset) override { Log("seek", offset); }
  void OnCommitted(const nlohmann::json& offset) override { Log("committed", offset); }

 private:
  void Log(std::string_view what, const nlohmann::json& offset) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::ofstream(ack_log_, std::ios::app) << what << " " << offset.dump() << "\n";
  }

  int64_t count_;
  std::string ack_log_;
  std::mutex mutex_;
};

// {"n": 0}, {"n": 1}, ... one every `interval_ms`, `limit` of them (0: until
// stopped), with a `Commit` after every `commit_every`-th (0: never, so only
// autocommit makes them visible). `OnStop` writes to `stop_file` (if given)
// whether a stop was requested, so a test sees that the subject was stopped
// and joined.
class Ticks final : public inlet::ConnectorSubject {
 public:
  Ticks(int64_t limit, int64_t interval_ms, int64_t commit_every, std::string stop_file)
      : limit_(limit),
        interval_(interval_ms),
        commit_every_(commit_every),
        stop_file_(std::move(stop_file)) {}

  void Run() override {
    std::mutex mutex;
    std::condition_variable_any never_notified;
    for (int64_t n = 0; (limit_ == 0 || n < limit_) && !stop_requested(); ++n) {
      Next({{"n", n}});
      if (commit_every_ > 0 && (n + 1) % commit_every_ == 0) Commit();
      std::unique_lock<std::mutex> lock(mutex);
      never_notified.wait_for(lock, stop_token(), interval_, [] { return false; });
    }
  }
  void OnStop() override {
    if (stop_file_.empty()) return;
    std::ofstream(stop_file_) << (stop_requested() ? "stop requested" : "ended") << "\n";
  }

 private:
  int64_t limit_;
  std::chrono::milliseconds interval_;
  int64_t commit_every_;
  std::string stop_file_;
};

}  // namespace

NB_MODULE(inlet_test_connector, m) {
  inlet::python::ExportPartitionedInput<Counters>(m, "Counters")
      .def(
          "__init__",
          [](Counters* self, std::vector<std::string> parts, int64_t limit, int64_t batch_size,
             std::string fail_method, bool fail_throws, int64_t fail_at, std::string ack_log) {
            new (self) Counters(
                std::move(parts), limit, batch_size,
                Failure{.method = std::move(fail_method), .throws = fail_throws, .at = fail_at},
                std::move(ack_log));
          },
          nb::arg("parts"), nb::arg("limit"), nb::arg("batch_size") = 1,
          nb::arg("fail_method") = "", nb::arg("fail_throws") = false, nb::arg("fail_at") = 0,
          nb::arg("ack_log") = "");
  inlet::python::ExportDynamicInput<MixedInput>(m, "MixedInput").def(nb::init<>());
  m.attr("AWAKE_MICROS") = kAwakeMicros;

  inlet::python::ExportConnectorSubject<Rows>(m, "Rows", {.schema = RowSchema(), .name = "orders"})
      .def(nb::init<int64_t, int64_t, std::string, int64_t>(), nb::arg("count"),
           nb::arg("commit_every") = 1, nb::arg("fail_in") = "", nb::arg("bad_at") = 0);
  // Built by a custom __init__, the documented alternative to nb::init.
  inlet::python::ExportConnectorSubject<Lines>(
      m, "Lines", {.format = inlet::MessageFormat::kRaw, .name = "lines"})
      .def(
          "__init__",
          [](inlet::python::ExportedSubject<Lines>* self, int64_t count, int64_t commit_every) {
            new (self)
                inlet::python::ExportedSubject<Lines>(std::make_unique<Lines>(count, commit_every));
          },
          nb::arg("count"), nb::arg("commit_every") = 1);
  inlet::python::ExportConnectorSubject<Values>(m, "Values", {.name = "values"})
      .def(nb::init<std::vector<std::string>, int64_t>(), nb::arg("texts"),
           nb::arg("commit_every") = 0);
  inlet::python::ExportConnectorSubject<Acked>(
      m, "Acked", {.format = inlet::MessageFormat::kRaw, .name = "acked"})
      .def(nb::init<int64_t, std::string>(), nb::arg("count"), nb::arg("ack_log"));
  inlet::python::ExportConnectorSubject<Ticks>(
      m, "Ticks", {.schema = {{.name = "n", .type = inlet::FieldType::kInt}}, .name = "ticks"})
      .def(nb::init<int64_t, int64_t, int64_t, std::string>(), nb::arg("limit"),
           nb::arg("interval_ms") = 0, nb::arg("commit_every") = 1, nb::arg("stop_file") = "");
}
