#include "recovery_store.h"

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "epoch_storage.h"
#include "sqlite_handles.h"
#include "store_file.h"
#include "store_identity.h"

namespace inlet::internal {
namespace {

// After a checkpoint the -wal is truncated to this size, so one unusually
// large epoch does not leave a large -wal behind for good. Normal operation
// stays below it: SQLite checkpoints once the -wal reaches 1000 pages (4 MiB).
constexpr int64_t kWalSizeLimitBytes = int64_t{16} << 20;

// WAL: a commit appends to the -wal instead of rewriting pages in place
// behind a rollback journal. synchronous=FULL: the -wal is fsynced at every
// commit, so a committed epoch survives a power loss (NORMAL would only keep
// the file consistent).
absl::Status Configure(sqlite3* db) {
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  {
    Statement statement;
    if (Statement::Prepare(db, "PRAGMA journal_mode = WAL", 0, statement) != SQLITE_OK ||
        sqlite3_step(statement.get()) != SQLITE_ROW) {
      return ConnectionError(db, "cannot switch to WAL mode");
    }
    const std::string mode = reinterpret_cast<const char*>(sqlite3_column_text(statement.get(), 0));
    if (mode != "wal") {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot switch to WAL mode (the journal mode stays \"", mode, "\")"));
    }
  }
  const std::string settings = absl::StrCat(
      "PRAGMA synchronous = FULL; PRAGMA journal_size_limit = ", kWalSizeLimitBytes, ";");
  if (sqlite3_exec(db, settings.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return ConnectionError(db, "cannot configure the connection");
  }
  return absl::OkStatus();
}

}  // namespace

RecoveryStore::RecoveryStore(std::filesystem::path path, Connection db)
    : path_(std::move(path)),
      name_(absl::StrCat("recovery file ", path_.string())),
      db_(std::move(db)) {}

RecoveryStore::~RecoveryStore() = default;

absl::StatusOr<std::unique_ptr<RecoveryStore>> RecoveryStore::Open(
    const std::filesystem::path& path, int keep_epochs) {
  if (path.empty()) return absl::InvalidArgumentError("recovery file: the path is empty");
  const std::string name = absl::StrCat("recovery file ", path.string());
  if (keep_epochs < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": keep_epochs must be at least 1, got ", keep_epochs));
  }
  // Everything that can be refused is refused before SQLite opens the file
  // for writing, so a refused file is left as it was.
  absl::StatusOr<StoreFileFound> found = ExamineStoreFile(name, path);
  if (!found.ok()) return found.status();
  if (found->has_content) {
    if (absl::Status status = CheckExistingStore(name, path); !status.ok()) return status;
  }
  if (absl::Status status = CheckStoreFileWritable(name, path, *found); !status.ok()) {
    return status;
  }

  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  // The store owns the connection from here on, so every return below
  // closes it (and then releases the lock).
  std::unique_ptr<RecoveryStore> store(new RecoveryStore(path, Connection(raw)));
  sqlite3* const db = store->db_.get();
  if (rc != SQLITE_OK) return WithPrefix(name + ": ", ConnectionError(db, "cannot be opened"));
  absl::StatusOr<StoreLock> lock = StoreLock::Acquire(name, path);
  if (!lock.ok()) return lock.status();
  store->lock_ = *std::move(lock);
  // SQLite falls back to read-only when it cannot open for writing (for
  // root, when `access` has no say, e.g. on an immutable file).
  if (sqlite3_db_readonly(db, "main") == 1) {
    return absl::PermissionDeniedError(absl::StrCat(name, ": not writable"));
  }
  // A header asking for a newer file format than this SQLite writes also
  // makes it read-only, once the header has been read.
  sqlite3_exec(db, "PRAGMA schema_version", nullptr, nullptr, nullptr);
  if (sqlite3_db_readonly(db, "main") == 1) {
    return absl::FailedPreconditionError(
        absl::StrCat(name, ": its SQLite file format can be read but not written by SQLite ",
                     sqlite3_libversion(), ", so it is not a store this version of inlet wrote"));
  }
  absl::Status status = Configure(db);
  if (status.ok()) status = EnsureSchema(db);
  if (!status.ok()) return WithPrefix(name + ": ", status);
  absl::StatusOr<std::unique_ptr<EpochStorage>> epochs = EpochStorage::Prepare(db, keep_epochs);
  if (!epochs.ok()) return WithPrefix(name + ": ", epochs.status());
  store->epochs_ = *std::move(epochs);
  return store;
}

absl::StatusOr<std::optional<StoredEpoch>> RecoveryStore::Latest(const std::string& step_id) {
  absl::StatusOr<std::optional<StoredEpoch>> latest = epochs_->Latest(step_id);
  if (!latest.ok()) {
    return WithPrefix(absl::StrCat(name_, ": step \"", step_id, "\": "), latest.status());
  }
  return latest;
}

absl::Status RecoveryStore::Commit(const std::string& step_id, const StoredEpoch& epoch) {
  return WithPrefix(absl::StrCat(name_, ": step \"", step_id, "\" epoch ", epoch.epoch, ": "),
                    epochs_->Commit(step_id, epoch));
}

}  // namespace inlet::internal
