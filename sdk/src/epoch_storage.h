// Epochs in the recovery store's tables: writing one epoch (states and sink
// marker) in one transaction with the pruning of old ones, and reading the
// latest. The statements are prepared once and live as long as the object.
//
// Threading: one object is used from one thread at a time.

#ifndef INLET_SRC_EPOCH_STORAGE_H_
#define INLET_SRC_EPOCH_STORAGE_H_

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "sqlite_handles.h"

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

class EpochStorage {
 public:
  // Prepares the statements on `db`, whose tables exist. `db` must outlive
  // the object. Errors carry no name prefix.
  static absl::StatusOr<std::unique_ptr<EpochStorage>> Prepare(sqlite3* db, int keep_epochs);
  EpochStorage(const EpochStorage&) = delete;
  EpochStorage& operator=(const EpochStorage&) = delete;

  // As `RecoveryStore::Latest` and `RecoveryStore::Commit`, with errors that
  // name no file or step.
  absl::StatusOr<std::optional<StoredEpoch>> Latest(const std::string& step_id);
  absl::Status Commit(const std::string& step_id, const StoredEpoch& epoch);

 private:
  EpochStorage(sqlite3* db, int keep_epochs) : db_(db), keep_epochs_(keep_epochs) {}

  absl::Status ReadLatest(const std::string& step_id, std::optional<StoredEpoch>& latest);
  absl::Status CommitInTransaction(const std::string& step_id, const StoredEpoch& epoch);
  // Steps `statement` to its end and resets it.
  absl::Status Execute(const Statement& statement, const char* doing);
  // `doing` and SQLite's message for the connection's last error.
  absl::Status Error(const char* doing) const { return ConnectionError(db_, doing); }

  sqlite3* db_;
  int keep_epochs_;
  Statement begin_read_;
  Statement begin_write_;
  Statement commit_;
  Statement rollback_;
  Statement max_epoch_;
  Statement insert_epoch_;
  Statement insert_state_;
  Statement prune_states_;
  Statement prune_epochs_;
  Statement latest_epoch_;
  Statement latest_states_;
};

}  // namespace inlet::internal

#endif  // INLET_SRC_EPOCH_STORAGE_H_
