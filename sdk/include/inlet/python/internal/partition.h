// The Python object for one live source of an exported input: Bytewax's
// partition methods (`next_batch`, `next_awake`, `snapshot`, `close`) mapped
// onto the C++ contract of source.h.

#ifndef INLET_PYTHON_INTERNAL_PARTITION_H_
#define INLET_PYTHON_INTERNAL_PARTITION_H_

#include <nanobind/nanobind.h>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "inlet/python/conversions.h"
#include "inlet/python/internal/user_call.h"
#include "inlet/source.h"
#include "nlohmann/json.hpp"

namespace inlet::python::internal {

// `Input` only tags the type, so each exported input gets its own Python
// partition class. `Source` is a `StatefulSource` or a `StatelessSource`.
// One Python thread drives a partition at a time (Bytewax gives each
// partition to one worker); the GIL is released while the source runs.
template <class Input, class Source>
class Partition {
 public:
  using Item = typename Source::Item;
  static constexpr bool kStateful = requires(Source& source) { source.Snapshot(); };

  Partition(std::unique_ptr<Source> source, Place place)
      : source_(std::move(source)), place_(std::move(place)) {}
  Partition(const Partition&) = delete;
  Partition& operator=(const Partition&) = delete;

  // A partition dropped without `close()` (Bytewax does not close on an abort)
  // still closes its source, as the C++ contract promises; errors are
  // dropped, there is no one left to tell.
  ~Partition() {
    if (closed_) return;
    closed_ = true;
    (void)CallWithoutGil([this] { source_->Close(); });
  }

  // Returns the items of one `NextBatch` call as a list. After the source
  // said `kEnd`, its last items are returned and the next call raises
  // `StopIteration` without calling the source again.
  nanobind::list NextBatch() {
    RequireOpen("NextBatch");
    if (ended_) throw nanobind::stop_iteration();
    buffer_.clear();
    const Poll poll =
        CallOrRaise(place_, "NextBatch", [this] { return source_->NextBatch(buffer_); });
    if (poll == Poll::kEnd) ended_ = true;
    if (ended_ && buffer_.empty()) throw nanobind::stop_iteration();
    nanobind::list items =
        nanobind::steal<nanobind::list>(PyList_New(static_cast<Py_ssize_t>(buffer_.size())));
    Py_ssize_t index = 0;
    for (Item& item : buffer_) {
      PyList_SET_ITEM(items.ptr(), index++,
                      nanobind::cast(std::move(item), nanobind::rv_policy::move).release().ptr());
    }
    buffer_.clear();
    return items;
  }

  // The source's `NextAwake` as an aware UTC `datetime`, or None. Bytewax
  // cannot be woken from another thread, so "until woken"
  // (`absl::InfiniteFuture()`) becomes None: Bytewax's own cooldown polls
  // the partition again 1 ms after an empty batch.
  nanobind::object NextAwake() {
    RequireOpen("NextAwake");
    const std::optional<absl::Time> awake =
        CallOrRaise(place_, "NextAwake", [this] { return source_->NextAwake(); });
    if (!awake.has_value() || *awake == absl::InfiniteFuture()) return nanobind::none();
    return TimeToDatetime(*awake);
  }

  // The source's `Snapshot` as a plain (picklable) Python value.
  nanobind::object Snapshot()
    requires kStateful
  {
    RequireOpen("Snapshot");
    const nlohmann::json state =
        CallOrRaise(place_, "Snapshot", [this] { return nlohmann::json(source_->Snapshot()); });
    return JsonToPython(state);
  }

  // Calls the source's `Close` once; later calls do nothing.
  void Close() {
    if (closed_) return;
    closed_ = true;
    CallOrRaise(place_, "Close", [this] { source_->Close(); });
  }

 private:
  void RequireOpen(const char* method) const {
    if (closed_) {
      RaiseConnectorError(place_, method, absl::FailedPreconditionError("called after Close"));
    }
  }

  std::unique_ptr<Source> source_;
  Place place_;
  std::vector<Item> buffer_;
  bool ended_ = false;
  bool closed_ = false;
};

}  // namespace inlet::python::internal

#endif  // INLET_PYTHON_INTERNAL_PARTITION_H_
