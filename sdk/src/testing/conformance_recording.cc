#include "inlet/testing/internal/conformance_recording.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace inlet::internal::conformance {

size_t CallLog::AddSource(std::string name) {
  std::lock_guard<std::mutex> lock(mutex_);
  sources_.push_back(SourceCalls{.name = std::move(name)});
  return sources_.size() - 1;
}

void CallLog::Add(size_t source, RecordedCall call) {
  std::lock_guard<std::mutex> lock(mutex_);
  sources_[source].calls.push_back(std::move(call));
}

void CallLog::AddItems(size_t source, std::vector<std::string> items) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string>& all = sources_[source].items;
  all.insert(all.end(), std::make_move_iterator(items.begin()),
             std::make_move_iterator(items.end()));
}

std::vector<CallLog::SourceCalls> CallLog::sources() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return sources_;
}

std::vector<std::string> AcknowledgedItems(const CallLog& log) {
  std::vector<std::string> acknowledged;
  for (const CallLog::SourceCalls& source : log.sources()) {
    int64_t covered = 0;
    for (const RecordedCall& call : source.calls) {
      if (call.method == "Committed") covered = std::max(covered, call.acknowledged);
    }
    covered = std::min<int64_t>(covered, static_cast<int64_t>(source.items.size()));
    acknowledged.insert(acknowledged.end(), source.items.begin(), source.items.begin() + covered);
  }
  return acknowledged;
}

::testing::AssertionResult ClosedOnceAndLast(const CallLog& log) {
  for (const CallLog::SourceCalls& source : log.sources()) {
    int closes = 0;
    for (size_t i = 0; i < source.calls.size(); ++i) {
      const std::string& method = source.calls[i].method;
      if (method == "Wake") continue;
      if (closes > 0) {
        return ::testing::AssertionFailure()
               << "source \"" << source.name << "\": " << method << " was called after Close";
      }
      closes += method == "Close";
    }
    if (closes != 1) {
      return ::testing::AssertionFailure() << "source \"" << source.name << "\": Close was called "
                                           << closes << " times instead of once";
    }
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult PolledOnlyWhenDue(const CallLog& log) {
  for (const CallLog::SourceCalls& source : log.sources()) {
    std::optional<absl::Time> due;
    // A wake makes the source due once; the runtime may take it at the next
    // poll or, when it came during a poll, at the one after.
    int wakes = 0;
    for (const RecordedCall& call : source.calls) {
      if (call.method == "NextAwake") due = call.awake;
      if (call.method == "Wake") ++wakes;
      if (call.method != "NextBatch") continue;
      if (due.has_value() && call.at < *due && wakes > 0) {
        --wakes;
        due.reset();
      }
      if (due.has_value() && call.at < *due) {
        return ::testing::AssertionFailure()
               << "source \"" << source.name << "\": NextBatch was called "
               << absl::FormatDuration(*due - call.at) << " before the time NextAwake named";
      }
      due.reset();
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace inlet::internal::conformance
