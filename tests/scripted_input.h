// A partitioned input whose behaviour each test scripts, and which records
// every call the runtime makes, in order, per partition.

#ifndef INLET_TESTS_SCRIPTED_INPUT_H_
#define INLET_TESTS_SCRIPTED_INPUT_H_

#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "inlet/partitioned_input.h"
#include "inlet/source.h"

namespace inlet_test {

struct Call {
  std::string method;  // "NextBatch", "NextAwake", "Snapshot", "Close".
  absl::Time at;
  std::thread::id thread;
};

// Per partition: `items` items 0..items-1, handed out `batch` at a time.
// Hooks let a test change any method's behaviour.
struct PartitionScript {
  int64_t items = 10;
  size_t batch = 1;
  // Called at the start of NextBatch; a non-OK status is returned as is.
  std::function<absl::Status(int64_t next)> before_batch = nullptr;
  // Replaces NextAwake's answer.
  std::function<std::optional<absl::Time>(int64_t next)> awake = nullptr;
  std::function<void()> on_snapshot = nullptr;
  std::function<void(int64_t state)> on_committed = nullptr;
  std::function<void()> on_close = nullptr;
};

class ScriptedInput final : public inlet::PartitionedInput<int64_t, int64_t> {
 public:
  explicit ScriptedInput(std::map<std::string, PartitionScript> scripts)
      : scripts_(std::move(scripts)) {}
  ScriptedInput(std::initializer_list<std::pair<const std::string, PartitionScript>> scripts)
      : scripts_(scripts) {}

  std::function<absl::StatusOr<std::vector<std::string>>()> list_parts = nullptr;
  std::function<absl::Status(std::string_view part)> before_build = nullptr;

  absl::StatusOr<std::vector<std::string>> ListParts() override {
    if (list_parts) return list_parts();
    std::vector<std::string> names;
    for (const auto& [name, script] : scripts_) names.push_back(name);
    return names;
  }

  absl::StatusOr<std::unique_ptr<inlet::StatefulSource<int64_t, int64_t>>> BuildPart(
      std::string_view, std::string_view for_part, std::optional<int64_t> resume) override {
    if (before_build) {
      absl::Status status = before_build(for_part);
      if (!status.ok()) return status;
    }
    Record(std::string(for_part), "BuildPart");
    return std::make_unique<Part>(*this, std::string(for_part), resume.value_or(0));
  }

  // Every call made on `part`, in order.
  std::vector<Call> calls(const std::string& part) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = calls_.find(part);
    return it == calls_.end() ? std::vector<Call>{} : it->second;
  }
  std::vector<std::string> methods(const std::string& part) const {
    std::vector<std::string> names;
    for (const Call& call : calls(part)) names.push_back(call.method);
    return names;
  }
  // The states `Committed` received on `part`, in order (not in `calls`).
  std::vector<int64_t> committed(const std::string& part) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = committed_.find(part);
    return it == committed_.end() ? std::vector<int64_t>{} : it->second;
  }
  int count(const std::string& part, std::string_view method) const {
    int n = 0;
    for (const Call& call : calls(part)) n += call.method == method;
    return n;
  }

 private:
  class Part final : public inlet::StatefulSource<int64_t, int64_t> {
   public:
    Part(ScriptedInput& input, std::string name, int64_t next)
        : input_(input), name_(std::move(name)), script_(input.scripts_.at(name_)), next_(next) {}

    absl::StatusOr<inlet::Poll> NextBatch(std::vector<int64_t>& out) override {
      input_.Record(name_, "NextBatch");
      if (script_.before_batch) {
        absl::Status status = script_.before_batch(next_);
        if (!status.ok()) return status;
      }
      while (next_ < script_.items && out.size() < script_.batch) out.push_back(next_++);
      return next_ < script_.items ? inlet::Poll::kMore : inlet::Poll::kEnd;
    }
    std::optional<absl::Time> NextAwake() override {
      input_.Record(name_, "NextAwake");
      return script_.awake ? script_.awake(next_) : std::nullopt;
    }
    int64_t Snapshot() override {
      input_.Record(name_, "Snapshot");
      if (script_.on_snapshot) script_.on_snapshot();
      return next_;
    }
    void Committed(const int64_t& state) override {
      {
        std::lock_guard<std::mutex> lock(input_.mutex_);
        input_.committed_[name_].push_back(state);
      }
      if (script_.on_committed) script_.on_committed(state);
    }
    void Close() override {
      input_.Record(name_, "Close");
      if (script_.on_close) script_.on_close();
    }

   private:
    ScriptedInput& input_;
    const std::string name_;
    const PartitionScript& script_;
    int64_t next_;
  };

  void Record(const std::string& part, std::string method) {
    std::lock_guard<std::mutex> lock(mutex_);
    calls_[part].push_back(Call{std::move(method), absl::Now(), std::this_thread::get_id()});
  }

  std::map<std::string, PartitionScript> scripts_;
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<Call>> calls_;
  std::map<std::string, std::vector<int64_t>> committed_;
};

}  // namespace inlet_test

#endif  // INLET_TESTS_SCRIPTED_INPUT_H_
