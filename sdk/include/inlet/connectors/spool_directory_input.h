// `SpoolDirectoryInput` reads the files dropped into a directory, line by
// line, and removes each file (deletes it, or moves it to a done directory)
// only once every line of it is durable: the drop-folder and log-shipping
// pattern, with acknowledgement after durability.
//
//   inlet::SpoolDirectoryInput input({.directory = "incoming", .done_directory = "done"});
//
// Producers must put a file into the directory complete, by renaming it
// there from the same file system (`mv tmp/x.log incoming/`): a file is read
// to its end once and never followed. Names starting with '.' are ignored,
// so a producer may also write `incoming/.x.log` and rename it to
// `incoming/x.log`.
//
// Delivery is at-least-once through crashes and restarts: a file stays in
// the directory until its lines are committed (`Committed`), so a run that
// dies before that reads the file again from its start. A file is never
// removed before all of its lines are durable, and never read twice in one
// run. Lines are split like `FileInput`'s: "\n" ends a line, a "\r" before
// it is dropped, and an unterminated last line is a line.
//
// It is a `DynamicInput`: every worker scans the directory and reads the
// files whose name hashes to it, so workers share the files without
// coordination. New files are found by rescanning every `scan_interval`.
//
// Threading: as for every `DynamicInput` (see dynamic_input.h); files are
// read, moved and deleted on the worker threads.

#ifndef INLET_CONNECTORS_SPOOL_DIRECTORY_INPUT_H_
#define INLET_CONNECTORS_SPOOL_DIRECTORY_INPUT_H_

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "inlet/dynamic_input.h"

namespace inlet {

struct SpoolDirectoryOptions {
  // The directory files are dropped into. Required.
  std::filesystem::path directory = {};

  // Where fully delivered files are moved (same name). Must be on the same
  // file system as `directory` and must exist. Empty: delivered files are
  // deleted. Default: empty.
  std::filesystem::path done_directory = {};

  // How often the directory is scanned for new files while nothing is
  // being read. Default: 1 second.
  absl::Duration scan_interval = absl::Seconds(1);

  // A `NextBatch` stops reading once this many lines are ready (it may
  // return a few more: the rest of the chunk it read). Default: 1024.
  size_t batch_size = 1024;

  // Ends every source once the directory holds no file left to read, instead
  // of waiting for new ones (for tests and one-shot runs). Default: false.
  bool stop_when_empty = false;

  // Checks the options: the directories exist and are directories, the done
  // directory is not the spool directory, the sizes are positive.
  absl::Status Validate() const;
};

class SpoolDirectoryInput final : public DynamicInput<std::string> {
 public:
  explicit SpoolDirectoryInput(SpoolDirectoryOptions options);

  // Validates the options (an error names the option and the path).
  absl::StatusOr<std::unique_ptr<Source>> Build(std::string_view step_id, int worker_index,
                                                int worker_count) override;

 private:
  SpoolDirectoryOptions options_;
};

}  // namespace inlet

#endif  // INLET_CONNECTORS_SPOOL_DIRECTORY_INPUT_H_
