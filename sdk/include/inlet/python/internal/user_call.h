// Calls into connector code from Python: the GIL is released while the C++
// method runs, and a failure becomes `inlet.ConnectorError`, named after the
// place and the method as the embedded runtime names it:
// `step "s" partition "p": NextBatch: message`.

#ifndef INLET_PYTHON_INTERNAL_USER_CALL_H_
#define INLET_PYTHON_INTERNAL_USER_CALL_H_

#include <nanobind/nanobind.h>

#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace inlet::python::internal {

// Where a call happens: the step and partition (either may be unknown, as
// for `ListParts`, which Bytewax calls before it names the step) and the
// prefix of messages, e.g. `step "s" partition "p"` or `step "s" worker 0`.
struct Place {
  std::optional<std::string> step;
  std::optional<std::string> partition;
  std::string label;
};

inline Place PartitionPlace(std::string_view step, std::string_view partition) {
  return Place{.step = std::string(step),
               .partition = std::string(partition),
               .label = absl::StrCat("step \"", absl::string_view(step.data(), step.size()),
                                     "\" partition \"",
                                     absl::string_view(partition.data(), partition.size()), "\"")};
}

inline Place WorkerPlace(std::string_view step, int worker_index) {
  return Place{.step = std::string(step),
               .partition = absl::StrCat("worker-", worker_index),
               .label = absl::StrCat("step \"", absl::string_view(step.data(), step.size()),
                                     "\" worker ", worker_index)};
}

// Raises `inlet.ConnectorError` reading `text` for a failed `method` at
// `place`. REQUIRES: the GIL is held and `status` is not OK.
[[noreturn]] inline void RaiseConnectorError(std::string_view text, const Place& place,
                                             std::string_view method, const absl::Status& status) {
  namespace nb = nanobind;
  nb::object error_type = nb::module_::import_("inlet").attr("ConnectorError");
  auto optional_str = [](const std::optional<std::string>& value) -> nb::object {
    return value.has_value() ? nb::object(nb::str(value->data(), value->size())) : nb::none();
  };
  nb::object error =
      error_type(nb::str(text.data(), text.size()), optional_str(place.step),
                 optional_str(place.partition), nb::str(method.data(), method.size()),
                 nb::str(status.message().data(), status.message().size()),
                 nb::str(absl::StatusCodeToString(status.code()).c_str()));
  PyErr_SetObject(error_type.ptr(), error.ptr());
  throw nb::python_error();
}

// Raises `inlet.ConnectorError` for a failed `method` at `place`, reading
// `step "s" partition "p": Method: message`. REQUIRES: the GIL is held and
// `status` is not OK.
[[noreturn]] inline void RaiseConnectorError(const Place& place, std::string_view method,
                                             const absl::Status& status) {
  const absl::string_view method_view(method.data(), method.size());
  const std::string text =
      place.label.empty() ? absl::StrCat(method_view, ": ", status.message())
                          : absl::StrCat(place.label, ": ", method_view, ": ", status.message());
  RaiseConnectorError(text, place, method, status);
}

// Runs `call` with the GIL released and returns its result as a status: a
// thrown exception becomes UNKNOWN `exception: <what>`, as in the embedded
// runtime. `call` returns `absl::StatusOr<R>`, `R` or void (then the result
// is `absl::StatusOr<std::monostate>`).
// The value a user call yields: `R` for `absl::StatusOr<R>` or `R`, and
// `std::monostate` for void.
template <class Returned>
struct CallValue {
  using type = Returned;
};
template <class R>
struct CallValue<absl::StatusOr<R>> {
  using type = R;
};
template <>
struct CallValue<void> {
  using type = std::monostate;
};

template <class F>
auto CallWithoutGil(F&& call) {
  using Returned = std::invoke_result_t<F&>;
  using Value = typename CallValue<Returned>::type;
  nanobind::gil_scoped_release without_gil;
  try {
    if constexpr (std::is_void_v<Returned>) {
      call();
      return absl::StatusOr<Value>(std::monostate{});
    } else {
      return absl::StatusOr<Value>(call());
    }
  } catch (const std::exception& e) {
    return absl::StatusOr<Value>(absl::UnknownError(absl::StrCat("exception: ", e.what())));
  } catch (...) {
    return absl::StatusOr<Value>(absl::UnknownError("exception of unknown type"));
  }
}

// Like `CallWithoutGil`, and raises `inlet.ConnectorError` on failure.
template <class F>
auto CallOrRaise(const Place& place, std::string_view method, F&& call) {
  auto result = CallWithoutGil(std::forward<F>(call));
  if (!result.ok()) RaiseConnectorError(place, method, result.status());
  return *std::move(result);
}

}  // namespace inlet::python::internal

#endif  // INLET_PYTHON_INTERNAL_USER_CALL_H_
