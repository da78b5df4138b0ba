// Inputs that exercise every path of inlet/python/export.h from Python:
// item conversions (including a custom type through the caster hook), resume
// states, wake-up times, the GIL, and failures of each method.

#include <Python.h>

#include <cstddef>
#include <cstdint>
#include <memory>
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
#include "inlet/dynamic_input.h"
#include "inlet/partitioned_input.h"
#include "inlet/python/export.h"
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
// a time, as (partition, n) pairs; the state is {"next": n}.
class CounterSource final : public inlet::StatefulSource<KeyedCount, CounterState> {
 public:
  CounterSource(std::string part, int64_t next, int64_t limit, int64_t batch_size, Failure failure)
      : part_(std::move(part)),
        next_(next),
        limit_(limit),
        batch_size_(batch_size),
        failure_(std::move(failure)) {}

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
  void Close() override {
    if (failure_.Is("Close")) throw std::runtime_error("Close failed on purpose");
  }

 private:
  std::string part_;
  int64_t next_;
  int64_t limit_;
  int64_t batch_size_;
  Failure failure_;
};

class Counters final : public inlet::PartitionedInput<KeyedCount, CounterState> {
 public:
  Counters(std::vector<std::string> parts, int64_t limit, int64_t batch_size, Failure failure)
      : parts_(std::move(parts)),
        limit_(limit),
        batch_size_(batch_size),
        failure_(std::move(failure)) {}

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
    return std::make_unique<CounterSource>(
        std::string(for_part), resume.value_or(CounterState{}).next, limit_, batch_size_, failure_);
  }

 private:
  std::vector<std::string> parts_;
  int64_t limit_;
  int64_t batch_size_;
  Failure failure_;
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

}  // namespace

NB_MODULE(inlet_test_connector, m) {
  inlet::python::ExportPartitionedInput<Counters>(m, "Counters")
      .def(
          "__init__",
          [](Counters* self, std::vector<std::string> parts, int64_t limit, int64_t batch_size,
             std::string fail_method, bool fail_throws, int64_t fail_at) {
            new (self) Counters(
                std::move(parts), limit, batch_size,
                Failure{.method = std::move(fail_method), .throws = fail_throws, .at = fail_at});
          },
          nb::arg("parts"), nb::arg("limit"), nb::arg("batch_size") = 1,
          nb::arg("fail_method") = "", nb::arg("fail_throws") = false, nb::arg("fail_at") = 0);
  inlet::python::ExportDynamicInput<MixedInput>(m, "MixedInput").def(nb::init<>());
  m.attr("AWAKE_MICROS") = kAwakeMicros;
}
