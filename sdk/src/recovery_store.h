// The embedded runtime's recovery store: one SQLite file (WAL mode, a
// versioned schema) holding, per step, the resume state of every partition
// and the sink's commit marker at each closed epoch.
//
// An epoch is written in one transaction, so the store always holds complete
// epochs only: a process killed at any instant resumes from the latest one.
// Old epochs are pruned so the file stays bounded.
//
// Threading: one object is used from one thread at a time.

#ifndef INLET_SRC_RECOVERY_STORE_H_
#define INLET_SRC_RECOVERY_STORE_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace inlet::internal {

// One complete epoch as stored.
struct StoredEpoch {
  int64_t epoch = 0;
  // Partition name -> resume state, for every partition that has one.
  std::map<std::string, nlohmann::json> states = {};
  // What the sink returned from `Commit` at this epoch; null when none.
  nlohmann::json sink_marker = nullptr;
  int worker_count = 0;
};

class RecoveryStore {
 public:
  // The schema version this build writes and reads (SQLite's user_version).
  static constexpr int kSchemaVersion = 1;
  // SQLite's application_id of an inlet recovery file: "inlt" in ASCII.
  static constexpr uint32_t kApplicationId = 0x696E6C74;

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
  RecoveryStore(std::filesystem::path path, sqlite3* db, int keep_epochs);

  // Sets the connection up (WAL, synchronous=FULL), creates the tables in a
  // blank file and prepares the statements.
  absl::Status Initialize();
  absl::Status CommitInTransaction(const std::string& step_id, const StoredEpoch& epoch);
  absl::Status ReadLatest(const std::string& step_id, std::optional<StoredEpoch>& latest);
  // Steps `statement` to its end and resets it.
  absl::Status Execute(sqlite3_stmt* statement, const char* doing);
  // `doing` and SQLite's message for the connection's last error.
  absl::Status Error(const char* doing) const;

  std::filesystem::path path_;
  std::string name_;  // "recovery file <path>", the prefix of every message.
  sqlite3* db_;
  int keep_epochs_;
  // An exclusive flock(2) on the file, held while the store is open, so two
  // processes never interleave their epochs in one file.
  int lock_fd_ = -1;
  // Prepared once in `Open`, finalized before `db_` is closed.
  sqlite3_stmt* begin_read_ = nullptr;
  sqlite3_stmt* begin_write_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* rollback_ = nullptr;
  sqlite3_stmt* max_epoch_ = nullptr;
  sqlite3_stmt* insert_epoch_ = nullptr;
  sqlite3_stmt* insert_state_ = nullptr;
  sqlite3_stmt* prune_states_ = nullptr;
  sqlite3_stmt* prune_epochs_ = nullptr;
  sqlite3_stmt* latest_epoch_ = nullptr;
  sqlite3_stmt* latest_states_ = nullptr;
};

}  // namespace inlet::internal

#endif  // INLET_SRC_RECOVERY_STORE_H_
