// The recovery store's schema, version 1: its tables and every statement the
// store runs over them. What a file must say about itself to be a store
// (application_id and user_version) is here too; store_identity checks it.

#ifndef INLET_SRC_STORE_SCHEMA_H_
#define INLET_SRC_STORE_SCHEMA_H_

#include <cstdint>

namespace inlet::internal::store_schema {

// The schema version this build writes and reads (SQLite's user_version).
inline constexpr int kVersion = 1;
// SQLite's application_id of an inlet recovery file: "inlt" in ASCII.
inline constexpr uint32_t kApplicationId = 0x696E6C74;

// Every epoch holds the states of all partitions that have one, so the
// latest epoch alone is enough to resume. `committed_at` (UTC, ISO 8601) is
// for people inspecting the file; nothing reads it.
inline constexpr char kCreateTables[] = R"sql(
CREATE TABLE epochs (
  step_id TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  worker_count INTEGER NOT NULL,
  sink_marker TEXT,  -- JSON; NULL when the sink returned none
  committed_at TEXT NOT NULL,
  PRIMARY KEY (step_id, epoch)
) WITHOUT ROWID;
CREATE TABLE states (
  step_id TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  partition TEXT NOT NULL,
  state TEXT NOT NULL,  -- JSON
  PRIMARY KEY (step_id, epoch, partition)
) WITHOUT ROWID;
)sql";

inline constexpr char kBeginRead[] = "BEGIN";
// Takes the write lock up front, so the epoch check and the writes that
// follow it cannot interleave with another writer.
inline constexpr char kBeginWrite[] = "BEGIN IMMEDIATE";
inline constexpr char kCommit[] = "COMMIT";
inline constexpr char kRollback[] = "ROLLBACK";
inline constexpr char kMaxEpoch[] = "SELECT max(epoch) FROM epochs WHERE step_id = ?1";
inline constexpr char kInsertEpoch[] =
    "INSERT INTO epochs (step_id, epoch, worker_count, sink_marker, committed_at) "
    "VALUES (?1, ?2, ?3, ?4, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))";
inline constexpr char kInsertState[] =
    "INSERT INTO states (step_id, epoch, partition, state) VALUES (?1, ?2, ?3, ?4)";
// ?2 is keep_epochs - 1: the subquery is the oldest epoch kept, or NULL (and
// nothing is deleted) while the step has no more than keep_epochs epochs.
// States go first: their cutoff is read from `epochs`.
inline constexpr char kPruneStates[] =
    "DELETE FROM states WHERE step_id = ?1 AND epoch < "
    "(SELECT epoch FROM epochs WHERE step_id = ?1 ORDER BY epoch DESC LIMIT 1 OFFSET ?2)";
inline constexpr char kPruneEpochs[] =
    "DELETE FROM epochs WHERE step_id = ?1 AND epoch < "
    "(SELECT epoch FROM epochs WHERE step_id = ?1 ORDER BY epoch DESC LIMIT 1 OFFSET ?2)";
inline constexpr char kLatestEpoch[] =
    "SELECT epoch, worker_count, sink_marker FROM epochs WHERE step_id = ?1 "
    "ORDER BY epoch DESC LIMIT 1";
inline constexpr char kLatestStates[] =
    "SELECT partition, state FROM states WHERE step_id = ?1 AND epoch = ?2 ORDER BY partition";

// The statements that name the tables: a store whose tables they do not
// compile against is not one this build can use.
inline constexpr const char* kTableStatements[] = {
    kMaxEpoch, kInsertEpoch, kInsertState, kPruneStates, kPruneEpochs, kLatestEpoch, kLatestStates};

}  // namespace inlet::internal::store_schema

#endif  // INLET_SRC_STORE_SCHEMA_H_
