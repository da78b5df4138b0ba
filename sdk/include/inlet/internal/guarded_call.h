// "Errors are values with a place": every call into connector code (the
// embedded runtime's, the subject adapter's, the Python bindings') goes
// through `GuardedCall`, which turns a non-OK status or an exception into a
// status whose message names where it happened and which method failed:
//
//   step "orders" partition "part-3": NextBatch: connection reset
//
// While the call runs, `inlet::Warn` (inlet/warning.h) on the same thread
// prefixes its message with the same place and method. Connector authors
// never use this file directly.

#ifndef INLET_INTERNAL_GUARDED_CALL_H_
#define INLET_INTERNAL_GUARDED_CALL_H_

#include <exception>
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

namespace inlet::internal {

// Where connector code runs, as messages name it.
struct Place {
  // The step, when known (Bytewax calls `list_parts` before naming it).
  std::optional<std::string> step;
  // The partition: its name, `worker-N` for a dynamic input's source, or the
  // subject's name.
  std::optional<std::string> partition;
  // The prefix of messages, e.g. `step "s" partition "p"`, `step "s" worker
  // 3`, `step "s"` or `subject "orders"`; empty when nothing is known.
  std::string label;

  // `step "s"`: the input as a whole (`ListParts`, the sink).
  static Place Step(std::string_view step) {
    return Place{.step = std::string(step), .partition = std::nullopt, .label = StepLabel(step)};
  }
  // `step "s" partition "p"`: one partition of a partitioned input.
  static Place Partition(std::string_view step, std::string_view partition) {
    return Place{.step = std::string(step),
                 .partition = std::string(partition),
                 .label = absl::StrCat(StepLabel(step), " partition \"", View(partition), "\"")};
  }
  // `step "s" worker 3`: the source a dynamic input built for one worker,
  // whose partition is named `worker-3`.
  static Place Worker(std::string_view step, int worker) {
    return Place{.step = std::string(step),
                 .partition = absl::StrCat("worker-", worker),
                 .label = absl::StrCat(StepLabel(step), " worker ", worker)};
  }
  // `subject "name"`: a ConnectorSubject, named by `SubjectOptions::name`
  // (and `/partition` when the input has several).
  static Place Subject(std::string_view name) {
    return Place{.step = std::nullopt,
                 .partition = std::string(name),
                 .label = absl::StrCat("subject \"", View(name), "\"")};
  }

  // `label: method: message` (`method: message` with no label), the code
  // kept. An empty `method` is left out. REQUIRES: `status` is not OK.
  absl::Status Name(std::string_view method, const absl::Status& status) const {
    const absl::string_view message = status.message();
    return absl::Status(status.code(),
                        Prefix(method, std::string_view(message.data(), message.size())));
  }

  // `label: method: text`, as `Name` spells it.
  std::string Prefix(std::string_view method, std::string_view text) const {
    std::string out = label;
    if (!method.empty()) absl::StrAppend(&out, out.empty() ? "" : ": ", View(method));
    absl::StrAppend(&out, out.empty() ? "" : ": ", View(text));
    return out;
  }

 private:
  static absl::string_view View(std::string_view text) { return {text.data(), text.size()}; }
  static std::string StepLabel(std::string_view step) {
    return absl::StrCat("step \"", View(step), "\"");
  }
};

class WarningReceiver;

// What `inlet::Warn` needs on this thread: where warnings go (set for the
// life of a thread's work in a run) and the place and method of the
// connector call in progress (set by `GuardedCall`). Defined in warning.cc.
struct WarningContext {
  WarningReceiver* receiver = nullptr;
  const Place* place = nullptr;
  std::string_view method = {};
};
extern constinit thread_local WarningContext warning_context;

// Sets the place and method `inlet::Warn` names on this thread while it
// lives, and restores the previous ones. Inline: it runs around every poll.
class WarningPlaceScope {
 public:
  WarningPlaceScope(const Place& place, std::string_view method)
      : previous_place_(warning_context.place), previous_method_(warning_context.method) {
    warning_context.place = &place;
    warning_context.method = method;
  }
  ~WarningPlaceScope() {
    warning_context.place = previous_place_;
    warning_context.method = previous_method_;
  }
  WarningPlaceScope(const WarningPlaceScope&) = delete;
  WarningPlaceScope& operator=(const WarningPlaceScope&) = delete;

 private:
  const Place* previous_place_;
  std::string_view previous_method_;
};

// The value a call yields: `R` for `absl::StatusOr<R>` or `R`, nothing for
// `absl::Status`, and `std::monostate` for void.
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

// What `CatchExceptions` returns for a call returning `Returned`.
template <class Returned>
using CallResult = std::conditional_t<std::is_same_v<Returned, absl::Status>, absl::Status,
                                      absl::StatusOr<typename CallValue<Returned>::type>>;

// Runs `call` and returns its result as a status (`absl::Status` when `call`
// returns one, `absl::StatusOr<V>` otherwise; void gives `std::monostate`).
// A thrown exception becomes UNKNOWN reading `exception_prefix` then its
// `what()`, or `exception of unknown type`.
template <class F>
auto CatchExceptions(F&& call, std::string_view exception_prefix = "exception: ") {
  using Returned = std::invoke_result_t<F&>;
  using Result = CallResult<Returned>;
  try {
    if constexpr (std::is_void_v<Returned>) {
      call();
      return Result(std::monostate{});
    } else {
      return Result(call());
    }
  } catch (const std::exception& e) {
    return Result(absl::UnknownError(absl::StrCat(
        absl::string_view(exception_prefix.data(), exception_prefix.size()), e.what())));
  } catch (...) {
    return Result(absl::UnknownError("exception of unknown type"));
  }
}

// Runs `call`, the connector's `method`, at `place`: a non-OK status or an
// exception comes back as a status named by `place.Name(method, ...)`, and
// `inlet::Warn` inside the call names the same place and method.
template <class F>
auto GuardedCall(const Place& place, std::string_view method, F&& call,
                 std::string_view exception_prefix = "exception: ") {
  WarningPlaceScope warnings(place, method);
  auto result = CatchExceptions(std::forward<F>(call), exception_prefix);
  if constexpr (std::is_same_v<decltype(result), absl::Status>) {
    if (!result.ok()) return place.Name(method, result);
  } else {
    if (!result.ok()) return decltype(result)(place.Name(method, result.status()));
  }
  return result;
}

}  // namespace inlet::internal

#endif  // INLET_INTERNAL_GUARDED_CALL_H_
