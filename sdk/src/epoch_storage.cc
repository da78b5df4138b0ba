#include "epoch_storage.h"

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "sqlite_handles.h"
#include "store_schema.h"

namespace inlet::internal {

absl::StatusOr<std::unique_ptr<EpochStorage>> EpochStorage::Prepare(sqlite3* db, int keep_epochs) {
  std::unique_ptr<EpochStorage> storage(new EpochStorage(db, keep_epochs));
  const std::pair<Statement*, const char*> statements[] = {
      {&storage->begin_read_, store_schema::kBeginRead},
      {&storage->begin_write_, store_schema::kBeginWrite},
      {&storage->commit_, store_schema::kCommit},
      {&storage->rollback_, store_schema::kRollback},
      {&storage->max_epoch_, store_schema::kMaxEpoch},
      {&storage->insert_epoch_, store_schema::kInsertEpoch},
      {&storage->insert_state_, store_schema::kInsertState},
      {&storage->prune_states_, store_schema::kPruneStates},
      {&storage->prune_epochs_, store_schema::kPruneEpochs},
      {&storage->latest_epoch_, store_schema::kLatestEpoch},
      {&storage->latest_states_, store_schema::kLatestStates},
  };
  for (const auto& [statement, sql] : statements) {
    if (Statement::Prepare(db, sql, SQLITE_PREPARE_PERSISTENT, *statement) != SQLITE_OK) {
      return storage->Error("cannot prepare a statement");
    }
  }
  return storage;
}

absl::Status EpochStorage::Execute(const Statement& statement, const char* doing) {
  StatementReset reset(statement);
  int rc;
  while ((rc = sqlite3_step(statement.get())) == SQLITE_ROW) {
  }
  return rc == SQLITE_DONE ? absl::OkStatus() : Error(doing);
}

absl::StatusOr<std::optional<StoredEpoch>> EpochStorage::Latest(const std::string& step_id) {
  // One read transaction: both queries see the same snapshot even if another
  // connection prunes in between.
  std::optional<StoredEpoch> latest;
  absl::Status status = Execute(begin_read_, "cannot start a transaction");
  if (!status.ok()) return status;
  status = ReadLatest(step_id, latest);
  if (status.ok()) status = Execute(commit_, "cannot end the transaction");
  if (sqlite3_get_autocommit(db_) == 0) (void)Execute(rollback_, "cannot roll back");
  if (!status.ok()) return status;
  return latest;
}

absl::Status EpochStorage::ReadLatest(const std::string& step_id,
                                      std::optional<StoredEpoch>& latest) {
  StoredEpoch stored;
  {
    sqlite3_stmt* const query = latest_epoch_.get();
    StatementReset reset(latest_epoch_);
    sqlite3_bind_text(query, 1, step_id.data(), static_cast<int>(step_id.size()), SQLITE_STATIC);
    const int rc = sqlite3_step(query);
    if (rc == SQLITE_DONE) return absl::OkStatus();
    if (rc != SQLITE_ROW) return Error("cannot read the latest epoch");
    stored.epoch = sqlite3_column_int64(query, 0);
    stored.worker_count = sqlite3_column_int(query, 1);
    if (sqlite3_column_type(query, 2) != SQLITE_NULL) {
      const char* text = reinterpret_cast<const char*>(sqlite3_column_text(query, 2));
      const int size = sqlite3_column_bytes(query, 2);
      stored.sink_marker = nlohmann::json::parse(text, text + size, nullptr, false);
      if (stored.sink_marker.is_discarded()) {
        return absl::DataLossError(
            absl::StrCat("epoch ", stored.epoch, ": the stored sink marker is not valid JSON"));
      }
    }
  }
  sqlite3_stmt* const query = latest_states_.get();
  StatementReset reset(latest_states_);
  sqlite3_bind_text(query, 1, step_id.data(), static_cast<int>(step_id.size()), SQLITE_STATIC);
  sqlite3_bind_int64(query, 2, stored.epoch);
  int rc;
  while ((rc = sqlite3_step(query)) == SQLITE_ROW) {
    std::string partition(reinterpret_cast<const char*>(sqlite3_column_text(query, 0)),
                          static_cast<size_t>(sqlite3_column_bytes(query, 0)));
    const char* text = reinterpret_cast<const char*>(sqlite3_column_text(query, 1));
    const int size = sqlite3_column_bytes(query, 1);
    nlohmann::json state = text == nullptr
                               ? nlohmann::json(nlohmann::json::value_t::discarded)
                               : nlohmann::json::parse(text, text + size, nullptr, false);
    if (state.is_discarded()) {
      return absl::DataLossError(absl::StrCat("epoch ", stored.epoch, " partition \"", partition,
                                              "\": the stored state is not valid JSON"));
    }
    // Rows come in key order, so every insertion is at the end.
    stored.states.emplace_hint(stored.states.end(), std::move(partition), std::move(state));
  }
  if (rc != SQLITE_DONE) return Error("cannot read the states");
  latest = std::move(stored);
  return absl::OkStatus();
}

absl::Status EpochStorage::Commit(const std::string& step_id, const StoredEpoch& epoch) {
  absl::Status status = Execute(begin_write_, "cannot start a transaction");
  if (!status.ok()) return status;
  status = CommitInTransaction(step_id, epoch);
  if (status.ok()) status = Execute(commit_, "cannot commit");
  if (status.ok()) return status;
  const int rc = sqlite3_extended_errcode(db_) & 0xff;
  if ((rc == SQLITE_FULL && status.code() == absl::StatusCode::kResourceExhausted) ||
      (rc == SQLITE_IOERR && status.code() == absl::StatusCode::kUnavailable)) {
    status = absl::Status(
        status.code(), absl::StrCat(status.message(),
                                    "; the epochs committed before are kept: free space (or raise "
                                    "the file size limit) and run again to resume from the last"));
  }
  // A failed COMMIT may leave the transaction open (SQLITE_BUSY) or have
  // rolled it back already (SQLITE_FULL, SQLITE_IOERR).
  if (sqlite3_get_autocommit(db_) == 0) (void)Execute(rollback_, "cannot roll back");
  return status;
}

absl::Status EpochStorage::CommitInTransaction(const std::string& step_id,
                                               const StoredEpoch& epoch) {
  const int step_size = static_cast<int>(step_id.size());
  {
    sqlite3_stmt* const query = max_epoch_.get();
    StatementReset reset(max_epoch_);
    sqlite3_bind_text(query, 1, step_id.data(), step_size, SQLITE_STATIC);
    if (sqlite3_step(query) != SQLITE_ROW) return Error("cannot read the latest epoch");
    if (sqlite3_column_type(query, 0) != SQLITE_NULL) {
      const int64_t stored = sqlite3_column_int64(query, 0);
      if (epoch.epoch <= stored) {
        return absl::FailedPreconditionError(
            absl::StrCat("not after the latest stored epoch ", stored));
      }
    }
  }

  {
    std::string marker;
    if (!epoch.sink_marker.is_null()) {
      try {
        marker = epoch.sink_marker.dump();
      } catch (const nlohmann::json::exception& e) {
        return absl::InvalidArgumentError(
            absl::StrCat("the sink marker cannot be written as JSON: ", e.what()));
      }
    }
    sqlite3_stmt* const insert = insert_epoch_.get();
    StatementReset reset(insert_epoch_);
    sqlite3_bind_text(insert, 1, step_id.data(), step_size, SQLITE_STATIC);
    sqlite3_bind_int64(insert, 2, epoch.epoch);
    sqlite3_bind_int(insert, 3, epoch.worker_count);
    if (epoch.sink_marker.is_null()) {
      sqlite3_bind_null(insert, 4);
    } else {
      sqlite3_bind_text(insert, 4, marker.data(), static_cast<int>(marker.size()), SQLITE_STATIC);
    }
    if (sqlite3_step(insert) != SQLITE_DONE) return Error("cannot write the epoch");
  }

  {
    sqlite3_stmt* const insert = insert_state_.get();
    StatementReset reset(insert_state_);
    // Bindings outlive sqlite3_reset, so the key prefix is bound once.
    sqlite3_bind_text(insert, 1, step_id.data(), step_size, SQLITE_STATIC);
    sqlite3_bind_int64(insert, 2, epoch.epoch);
    std::string text;
    for (const auto& [partition, state] : epoch.states) {
      try {
        text = state.dump();
      } catch (const nlohmann::json::exception& e) {
        return absl::InvalidArgumentError(absl::StrCat(
            "partition \"", partition, "\": the state cannot be written as JSON: ", e.what()));
      }
      sqlite3_bind_text(insert, 3, partition.data(), static_cast<int>(partition.size()),
                        SQLITE_STATIC);
      sqlite3_bind_text(insert, 4, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
      if (sqlite3_step(insert) != SQLITE_DONE) {
        return WithPrefix(absl::StrCat("partition \"", partition, "\": "),
                          Error("cannot write the state"));
      }
      sqlite3_reset(insert);
    }
  }

  for (const Statement* prune : {&prune_states_, &prune_epochs_}) {
    StatementReset reset(*prune);
    sqlite3_bind_text(prune->get(), 1, step_id.data(), step_size, SQLITE_STATIC);
    sqlite3_bind_int(prune->get(), 2, keep_epochs_ - 1);
    int rc;
    while ((rc = sqlite3_step(prune->get())) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) return Error("cannot prune old epochs");
  }
  return absl::OkStatus();
}

}  // namespace inlet::internal
