#include "store_identity.h"

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "sqlite_handles.h"
#include "store_file.h"
#include "store_schema.h"

namespace inlet::internal {
namespace {

namespace fs = std::filesystem;

// What reading an existing file through the read-only connection `db` can
// fail with, as the error `Open` reports.
absl::Status ReadError(const std::string& name, sqlite3* db, int rc) {
  const std::string message = sqlite3_errmsg(db);
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_ERROR:  // A header SQLite cannot read: "unsupported file format".
      return absl::DataLossError(
          absl::StrCat(name, ": not an inlet recovery file (", message, ")"));
    case SQLITE_CORRUPT:
      return absl::DataLossError(absl::StrCat(name, ": corrupt (", message, ")"));
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return absl::PermissionDeniedError(absl::StrCat(name, ": cannot be read (", message, ")"));
    default:
      return absl::Status(StatusCodeOf(rc), absl::StrCat(name, ": cannot be read (", message, ")"));
  }
}

// Runs the one-row, one-column query `sql` on `db` into `value`.
int QueryInt(sqlite3* db, const char* sql, int64_t& value) {
  Statement statement;
  int rc = Statement::Prepare(db, sql, 0, statement);
  if (rc != SQLITE_OK) return rc;
  rc = sqlite3_step(statement.get());
  if (rc != SQLITE_ROW) return rc == SQLITE_DONE ? SQLITE_INTERNAL : rc;
  value = sqlite3_column_int64(statement.get(), 0);
  return SQLITE_OK;
}

// The names of the tables in `db` that are not SQLite's own.
int ListTables(sqlite3* db, std::vector<std::string>& tables) {
  Statement statement;
  int rc = Statement::Prepare(db,
                              "SELECT name FROM sqlite_schema WHERE type = 'table' "
                              "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                              0, statement);
  if (rc != SQLITE_OK) return rc;
  while ((rc = sqlite3_step(statement.get())) == SQLITE_ROW) {
    tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(statement.get(), 0)),
                        static_cast<size_t>(sqlite3_column_bytes(statement.get(), 0)));
  }
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

// What a database's header and schema say it is.
struct Identity {
  int64_t application_id = 0;
  int64_t user_version = 0;
  std::vector<std::string> tables = {};
};

int ReadIdentity(sqlite3* db, Identity& identity) {
  int rc = QueryInt(db, "PRAGMA application_id", identity.application_id);
  if (rc == SQLITE_OK) rc = QueryInt(db, "PRAGMA user_version", identity.user_version);
  if (rc == SQLITE_OK) rc = ListTables(db, identity.tables);
  return rc;
}

// A database nothing has been written to yet: a new or empty file, or one
// whose creation stopped before its schema was committed.
bool IsBlank(const Identity& identity) {
  return identity.application_id == 0 && identity.user_version == 0 && identity.tables.empty();
}

bool IsInletStore(const Identity& identity) {
  return identity.application_id == store_schema::kApplicationId;
}

// The error for a database that is not blank and not an inlet store this
// build can use, or OK.
absl::Status CheckIdentity(const std::string& name, const Identity& identity) {
  if (IsBlank(identity)) return absl::OkStatus();
  if (!IsInletStore(identity)) {
    // SQLite reports the 32 bits of application_id as a signed integer.
    std::string detail =
        absl::StrFormat("application_id 0x%08X", static_cast<uint32_t>(identity.application_id));
    if (!identity.tables.empty()) {
      absl::StrAppend(&detail, ", tables ", absl::StrJoin(identity.tables, ", "));
    } else if (identity.user_version != 0) {
      absl::StrAppend(&detail, ", user_version ", identity.user_version);
    }
    return absl::FailedPreconditionError(
        absl::StrCat(name, ": belongs to another program (", detail, ")"));
  }
  if (identity.user_version > store_schema::kVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        name, ": schema version ", identity.user_version, " is newer than this inlet supports (",
        store_schema::kVersion, "); upgrade inlet"));
  }
  if (identity.user_version < 1) {
    return absl::DataLossError(absl::StrCat(name, ": corrupt (schema version ",
                                            identity.user_version, " is not one inlet writes)"));
  }
  return absl::OkStatus();
}

}  // namespace

// Without a -wal next to the file it is opened as immutable, which creates
// no -wal or -shm and takes no lock: the file alone is the whole database.
// With a -wal (a writer is running, or was killed) SQLite must read the -wal
// too.
absl::Status CheckExistingStore(const std::string& name, const fs::path& path) {
  std::error_code error;
  const bool has_wal = fs::exists(fs::path(path.string() + "-wal"), error);
  sqlite3* raw = nullptr;
  const int rc_open = has_wal
                          ? sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr)
                          : sqlite3_open_v2(absl::StrCat(FileUri(path), "?immutable=1").c_str(),
                                            &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
  Connection db(raw);
  if (rc_open != SQLITE_OK) return ReadError(name, db.get(), rc_open);
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);

  Identity identity;
  if (int rc = ReadIdentity(db.get(), identity); rc != SQLITE_OK) {
    return ReadError(name, db.get(), rc);
  }
  if (absl::Status status = CheckIdentity(name, identity); !status.ok()) return status;
  if (IsInletStore(identity)) {
    for (const char* sql : store_schema::kTableStatements) {
      Statement statement;
      if (Statement::Prepare(db.get(), sql, 0, statement) != SQLITE_OK) {
        return absl::DataLossError(absl::StrCat(name, ": corrupt (its tables do not match schema ",
                                                "version ", identity.user_version, ": ",
                                                sqlite3_errmsg(db.get()), ")"));
      }
    }
  }

  // The full integrity_check, not quick_check: quick_check misses keys out
  // of order, with which `Latest` would silently miss a committed state. The
  // store holds a few epochs, so reading it whole is cheap.
  Statement check;
  int rc = Statement::Prepare(db.get(), "PRAGMA integrity_check(3)", 0, check);
  if (rc != SQLITE_OK) return ReadError(name, db.get(), rc);
  std::vector<std::string> problems;
  while ((rc = sqlite3_step(check.get())) == SQLITE_ROW) {
    std::string line(reinterpret_cast<const char*>(sqlite3_column_text(check.get(), 0)),
                     static_cast<size_t>(sqlite3_column_bytes(check.get(), 0)));
    if (line == "ok") continue;
    line = absl::StrReplaceAll(line, {{"*** in database main ***\n", ""}, {"\n", "; "}});
    problems.push_back(std::move(line));
  }
  if (rc != SQLITE_DONE) return ReadError(name, db.get(), rc);
  if (!problems.empty()) {
    return absl::DataLossError(
        absl::StrCat(name, ": corrupt (", absl::StrJoin(problems, "; "), ")"));
  }
  return absl::OkStatus();
}

absl::Status EnsureSchema(sqlite3* db) {
  if (sqlite3_exec(db, store_schema::kBeginWrite, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return ConnectionError(db, "cannot start a transaction");
  }
  // Checked again under the write lock: the file may have changed since it
  // was checked read-only (or been created since it was found missing).
  Identity identity;
  absl::Status status;
  if (ReadIdentity(db, identity) != SQLITE_OK) {
    status = ConnectionError(db, "cannot be read");
  } else if (IsBlank(identity)) {
    const std::string create = absl::StrCat(
        store_schema::kCreateTables, "PRAGMA application_id = ", store_schema::kApplicationId,
        "; PRAGMA user_version = ", store_schema::kVersion, ";");
    if (sqlite3_exec(db, create.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      status = ConnectionError(db, "cannot create the tables");
    }
  } else if (!IsInletStore(identity) || identity.user_version != store_schema::kVersion) {
    status = absl::AbortedError("changed while it was being opened");
  }
  if (status.ok() &&
      sqlite3_exec(db, store_schema::kCommit, nullptr, nullptr, nullptr) != SQLITE_OK) {
    status = ConnectionError(db, "cannot commit the tables");
  }
  if (!status.ok() && sqlite3_get_autocommit(db) == 0) {
    sqlite3_exec(db, store_schema::kRollback, nullptr, nullptr, nullptr);
  }
  return status;
}

}  // namespace inlet::internal
