// A complete partitioned connector: N counters that each count to a limit,
// resumable from a snapshot, on the standard command line.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "inlet/run_main.h"

class Counter final : public inlet::StatefulSource<std::pair<std::string, int>, int> {
 public:
  Counter(std::string name, int next) : name_(std::move(name)), next_(next) {}
  absl::StatusOr<inlet::Poll> NextBatch(std::vector<std::pair<std::string, int>>& out) override {
    out.emplace_back(name_, next_++);  // Never block: hand out what is ready now.
    return next_ < 5 ? inlet::Poll::kMore : inlet::Poll::kEnd;
  }
  std::optional<absl::Time> NextAwake() override { return absl::Now() + absl::Milliseconds(10); }
  int Snapshot() override { return next_; }  // Resumes right after the last item.

 private:
  std::string name_;
  int next_;
};

class Counters final : public inlet::PartitionedInput<std::pair<std::string, int>, int> {
 public:
  absl::StatusOr<std::vector<std::string>> ListParts() override { return {{"a", "b", "c"}}; }
  absl::StatusOr<std::unique_ptr<Source>> BuildPart(std::string_view, std::string_view part,
                                                    std::optional<int> resume) override {
    return std::make_unique<Counter>(std::string(part), resume.value_or(0));
  }
};

int main(int argc, char** argv) {
  Counters input;
  return inlet::RunMain(argc, argv, input);
}
