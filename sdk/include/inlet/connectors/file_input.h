// `FileInput` reads text files line by line (Bytewax's FileSource), one
// partition per file, resumable at the byte after the last line handed out.
// With `follow` it keeps reading what is appended to the files (`tail -f`).
//
//   inlet::FileInput input({"orders-1.txt", "orders-2.txt"}, {.follow = true});
//
// An item is one line without its ending. By default lines end at '\n' and
// are raw bytes: a '\r' before the '\n' is kept and no encoding is checked.
// `FileInputOptions::line_ending` and `require_utf8` read text as Python's
// text mode does instead (what Bytewax's FileSource yields).
//
// Threading: as for every `PartitionedInput` (see partitioned_input.h). The
// input object itself is not modified by `ListParts` or `BuildPart`, and the
// sources it builds share nothing with each other.

#ifndef INLET_CONNECTORS_FILE_INPUT_H_
#define INLET_CONNECTORS_FILE_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "inlet/partitioned_input.h"
#include "inlet/source.h"

namespace inlet {

// Which bytes end a line.
enum class LineEnding {
  // "\n" alone; a '\r' anywhere, "\r\n" included, is part of the line. The
  // default: a byte reader keeps every byte but the separator, as
  // `std::getline` and the POSIX tools do, and a lone '\r' in binary-ish
  // logs does not split a record.
  kNewline,
  // "\r\n", a lone "\r" and "\n" each end one line, as Python's universal
  // newlines (`open(path, "rt")`, which Bytewax's FileSource uses).
  // Snapshots stay exact: a snapshot may fall between the '\r' and the '\n'
  // of "\r\n" (when the '\n' was not read yet), and a source resumed there
  // skips that '\n' rather than yield an empty line. A line that ends at a
  // '\r' at the end of the data read so far is handed out at once.
  kUniversal,
};

// Options shared by `FileInput` and `DirectoryInput`.
struct FileInputOptions {
  // When false, a partition ends at the end of its file; a final line without
  // an ending is handed out as a line. When true, a partition never ends: at
  // the end of the file it waits for the file to change (see
  // `poll_interval`) and looks again, and a final line without an ending is
  // held back until its ending is written, so a snapshot never points into
  // the middle of a line. The partition follows the file it opened, also
  // after a rename (a rotation). A followed file that shrinks (truncated or
  // rewritten in place) stops the run with an error.
  // Default: false.
  bool follow = false;

  // In follow mode, how long a partition waits at the end of its file before
  // looking for new data, when nothing tells it the file changed. Under a
  // runtime that can wake partitions (the embedded one), where the OS reports
  // file changes (inotify on Linux, kqueue on macOS and the BSDs), a change
  // wakes the partition at once and it looks anyway only every 50 poll
  // intervals (5 s by default), for the changes no notification reports:
  // writes through a shared memory mapping, or by another host to a network
  // file system. Elsewhere, and under Bytewax, it polls every interval.
  // Values below 1 ms are treated as 1 ms.
  // Default: 100 ms.
  absl::Duration poll_interval = absl::Milliseconds(100);

  // The most lines one `NextBatch` call hands out. 0 is treated as 1.
  // Default: 1024.
  size_t batch_size = 1024;

  // Which bytes end a line (see `LineEnding`). Default: `kNewline`.
  LineEnding line_ending = LineEnding::kNewline;

  // When true, every line must be valid UTF-8. The lines before an invalid
  // one are handed out; the next `NextBatch` fails with INVALID_ARGUMENT
  // `<path>: invalid UTF-8 at byte 1234 (0xff)`, the byte's offset in the
  // file, and the snapshot points at the start of that line, so a run
  // resumed once the file is fixed reads it again. Default: false (bytes).
  bool require_utf8 = false;

  // When positive, a file larger than this many bytes is read as byte
  // ranges of this size, each a partition of its own, so one big file is
  // read by several workers. A range `[start, end)` reads every line that
  // starts in it: from the first line start at or after `start` (the line
  // around `start` belongs to the range before) to the end of the last line
  // starting before `end`, however far past `end` it runs. So every line is
  // read exactly once, a line longer than a range included (ranges inside
  // it read nothing). A range is named `<path>@<start>-<end>`; a file no
  // larger keeps its path as its name. Its state is a byte offset like a
  // whole file's (the range's start until it reaches its first line), so
  // ranges resume and rescale like any partition. Names depend on the
  // file's size: a file must not change while it is read in ranges, and a
  // run resumes only with the same `split_bytes`. Requires
  // `LineEnding::kNewline` and no `follow` (ListParts fails otherwise).
  // Default: 0 (one partition per file).
  int64_t split_bytes = 0;
};

// One file as a partition: the source `FileInput` and `DirectoryInput` build,
// for inputs that find their files some other way.
//
// The state is the byte offset just after the last line handed out (0 for a
// fresh start). `NextBatch` never blocks: each call reads at most 1 MiB from
// the file; a line longer than that takes several calls, returning empty
// batches with `NextAwake() == std::nullopt` until it is complete.
//
// Errors (the message always starts with the path):
// - the file cannot be opened or read: the errno's code and text, e.g.
//   NOT_FOUND `/tmp/x.txt: No such file or directory`;
// - it is a directory: FAILED_PRECONDITION `<path>: Is a directory`; any other
//   kind of file that is not regular (a FIFO, a device): INVALID_ARGUMENT
//   `<path>: not a regular file`;
// - `resume` is negative: INVALID_ARGUMENT
//   `<path>: resume offset -1 is negative`;
// - `resume` is beyond the end of the file (it was truncated since the
//   snapshot): OUT_OF_RANGE `<path>: resume offset 120 is beyond the end of
//   the file (100 bytes); was it truncated since the snapshot?`;
// - `resume` is inside the file but not just after a '\n' (or a '\r' with
//   `LineEnding::kUniversal`; it was rewritten since the snapshot):
//   FAILED_PRECONDITION `<path>: resume offset 5 is not
//   at the start of a line; was the file rewritten since the snapshot?`;
// - from `NextBatch` with `require_utf8`, a line that is not UTF-8 (see
//   `FileInputOptions::require_utf8`);
// - from `NextBatch` in follow mode, the file became shorter than what was
//   already read: FAILED_PRECONDITION `<path>: file shrank to 3 bytes while
//   being followed at offset 8`.
//
// Its `EstimateBacklog` is the bytes of the file after the last line handed
// out, in `Backlog::Unit::kBytes` (one `fstat`, so a followed file's growth
// counts).
absl::StatusOr<std::unique_ptr<StatefulSource<std::string, int64_t>>> OpenFileSource(
    const std::filesystem::path& path, std::optional<int64_t> resume,
    const FileInputOptions& options = {});

class FileInput final : public PartitionedInput<std::string, int64_t> {
 public:
  // Reads `paths`, one partition each, named by the path as given (so
  // "a.txt" and "./a.txt" are different names; resume state is stored under
  // the name). The files are not opened here.
  explicit FileInput(std::vector<std::filesystem::path> paths, FileInputOptions options = {});

  // Returns the paths as strings, in the order given. Fails when the list is
  // empty (INVALID_ARGUMENT `FileInput needs at least one path`), when a
  // path cannot be examined or is not a regular file (the path and the
  // errno's text, as in `OpenFileSource`), or when two entries name the same
  // file (INVALID_ARGUMENT `"a.txt" is listed twice` or
  // `"./a.txt" and "a.txt" are the same file`).
  absl::StatusOr<std::vector<std::string>> ListParts() override;

  // Opens the file named `for_part` with `OpenFileSource`, positioned at
  // `resume`. Fails with NOT_FOUND `"<name>" is not one of the paths
  // FileInput was given` for any other name.
  absl::StatusOr<std::unique_ptr<Source>> BuildPart(std::string_view step_id,
                                                    std::string_view for_part,
                                                    std::optional<int64_t> resume) override;

 private:
  std::vector<std::filesystem::path> paths_;
  FileInputOptions options_;
};

}  // namespace inlet

#endif  // INLET_CONNECTORS_FILE_INPUT_H_
