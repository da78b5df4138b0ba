// InletKafka: the connector (README.md says what it reads).
//
// A partitioned input (Bytewax's FixedPartitionedSource): a fixed set of
// named partitions, each read in order and resumable on its own. This one
// reads text files, one partition per file and one item per line; a
// partition's resume state is the byte offset after its last line handed out.
//
// Replace this: keep the class shapes and swap the file reading for your
// system (shards of a table, partitions of a topic, one API cursor per
// tenant). The rules that matter are in the comments of each method; the
// conformance tests (tests/conformance_test.cc) check them for you.
//
// Threading: `ListParts` and `BuildPart` are called from the thread that runs
// the input, one call at a time; each source is polled by one worker thread
// at a time.

#ifndef INLET_KAFKA_CONNECTOR_H_
#define INLET_KAFKA_CONNECTOR_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "inlet/partitioned_input.h"

namespace inlet_kafka {

struct InletKafkaOptions {
  // At most this many lines are handed out per `NextBatch` call, so that a
  // worker gets back to its other partitions. Default: 1000.
  int batch_size = 1000;
};

// Items are lines (without their "\n"); the resume state is a byte offset.
class InletKafka final : public inlet::PartitionedInput<std::string, int64_t> {
 public:
  // Reads `paths`, one partition per file, named by the file's name.
  explicit InletKafka(  //
      std::vector<std::filesystem::path> paths, InletKafkaOptions options = {});

  // Names the partitions: one per file, by file name. Called once per run,
  // before any partition is built. The names must be the same on every call
  // and in every process, since resume states are stored under them. An error
  // (two files with one name) stops the run before anything is read.
  absl::StatusOr<std::vector<std::string>> ListParts() override;

  // Opens partition `for_part` at `resume` (the offset its last snapshot
  // returned), or at the start when `resume` is empty. Everything the source
  // needs comes from its arguments: the partition may have moved here from
  // another worker or process. An error (a missing file) stops the run and
  // its message says which file.
  absl::StatusOr<std::unique_ptr<Source>> BuildPart(std::string_view step_id,
                                                    std::string_view for_part,
                                                    std::optional<int64_t> resume) override;

 private:
  std::vector<std::filesystem::path> paths_;
  InletKafkaOptions options_;
};

}  // namespace inlet_kafka

#endif  // INLET_KAFKA_CONNECTOR_H_
