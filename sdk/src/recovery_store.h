// The embedded runtime's recovery store: one SQLite file (WAL mode, a
// versioned schema) holding, per step, the resume state of every partition
// and the sink's commit marker at each closed epoch.
//
// An epoch is written in one transaction, so the store always holds complete
// epochs only: a process killed at any instant resumes from the latest one.
// Old epochs are pruned so the file stays bounded.
//
// Threading: one object is used from one thread at a time.
//
// The parts: store_file (the file's checks and lock), store_identity (what
// the file holds: another program's database, corruption, the schema
// version), epoch_storage (epochs in the tables).

#ifndef INLET_SRC_RECOVERY_STORE_H_
#define INLET_SRC_RECOVERY_STORE_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "epoch_storage.h"
#include "sqlite_handles.h"
#include "store_file.h"
#include "store_schema.h"

namespace inlet::internal {

class RecoveryStore {
 public:
  // The schema version this build writes and reads (SQLite's user_version).
  static constexpr int kSchemaVersion = store_schema::kVersion;
  // SQLite's application_id of an inlet recovery file: "inlt" in ASCII.
  static constexpr uint32_t kApplicationId = store_schema::kApplicationId;

  // Opens `path`, creating it when it does not exist; an existing empty file
  // is a fresh store too. Before anything is written, the file is checked
  // read-only; each of these is an error whose message starts with
  // `recovery file <path>: ` and names the problem, and leaves the file
  // byte-for-byte untouched and no -wal or -shm file behind:
  // - not an SQLite database, or corrupt (DATA_LOSS);
  // - an SQLite database of another program (FAILED_PRECONDITION);
  // - written by a newer inlet (schema version above kSchemaVersion)
  //   (FAILED_PRECONDITION);
  // - not readable, not writable, or in a directory where the file or its
  //   -wal and -shm files cannot be created (PERMISSION_DENIED);
  // - in a directory that does not exist (NOT_FOUND).
  // A -wal file left by a process that was killed is recovered: its
  // committed epochs are kept. (Checking such a file read-only may leave an
  // -shm file, SQLite's rebuildable index of the -wal, next to it.)
  // `keep_epochs` (>= 1, else INVALID_ARGUMENT) is how many of the latest
  // epochs of a step are kept.
  static absl::StatusOr<std::unique_ptr<RecoveryStore>> Open(const std::filesystem::path& path,
                                                             int keep_epochs);
  ~RecoveryStore();
  RecoveryStore(const RecoveryStore&) = delete;
  RecoveryStore& operator=(const RecoveryStore&) = delete;

  // The latest complete epoch of `step_id`, or nullopt when it has none.
  // A stored state or marker that is not valid JSON is DATA_LOSS.
  absl::StatusOr<std::optional<StoredEpoch>> Latest(const std::string& step_id);

  // Writes `epoch` of `step_id` in one transaction (states and marker
  // together), then prunes the step's epochs older than the latest
  // `keep_epochs`, in the same transaction. The epoch is durable (it survives
  // a power loss) once this returns OK; on an error nothing of it is stored.
  // REQUIRES: `epoch.epoch` exceeds every stored epoch of the step, else
  // FAILED_PRECONDITION. A state or marker that cannot be serialized (a
  // string that is not UTF-8) is INVALID_ARGUMENT. While another connection
  // holds the file's write lock for longer than a second: UNAVAILABLE; a
  // full disk: RESOURCE_EXHAUSTED.
  absl::Status Commit(const std::string& step_id, const StoredEpoch& epoch);

  const std::filesystem::path& path() const { return path_; }

 private:
  RecoveryStore(std::filesystem::path path, Connection db);

  std::filesystem::path path_;
  std::string name_;  // "recovery file <path>", the prefix of every message.
  // Destroyed in reverse order: the statements, then the connection (whose
  // close checkpoints the -wal into the file and deletes the -wal and
  // -shm), then the lock.
  StoreLock lock_;
  Connection db_;
  std::unique_ptr<EpochStorage> epochs_;
};

}  // namespace inlet::internal

#endif  // INLET_SRC_RECOVERY_STORE_H_
