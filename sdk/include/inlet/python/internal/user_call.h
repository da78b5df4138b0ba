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
#include "inlet/internal/guarded_call.h"

namespace inlet::python::internal {

// Where a call happens (the step and partition may be unknown, as for
// `ListParts`, which Bytewax calls before it names the step), shared with
// the embedded runtime so both name places alike.
using ::inlet::internal::Place;

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
  const absl::Status named = place.Name(method, status);
  const absl::string_view text = named.message();
  RaiseConnectorError(std::string_view(text.data(), text.size()), place, method, status);
}

// Runs `call` with the GIL released and returns its result as a status: a
// thrown exception becomes UNKNOWN `exception: <what>`, as in the embedded
// runtime. `call` returns `absl::StatusOr<R>`, `R` or void (then the result
// is `absl::StatusOr<std::monostate>`).
template <class F>
auto CallWithoutGil(F&& call) {
  nanobind::gil_scoped_release without_gil;
  return ::inlet::internal::CatchExceptions(std::forward<F>(call));
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
