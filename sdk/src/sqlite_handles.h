// Owners of SQLite's handles, so no path through the recovery store can
// leak a statement or a connection: `Connection` closes its connection and
// `Statement` finalizes its statement when they go out of scope, and
// `StatementReset` returns a cached statement to its initial state however a
// scope is left. Plus the mapping of SQLite's result codes to status codes.
//
// Threading: as SQLite's handles, one thread at a time.

#ifndef INLET_SRC_SQLITE_HANDLES_H_
#define INLET_SRC_SQLITE_HANDLES_H_

#include <sqlite3.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace inlet::internal {

struct ConnectionCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
// A connection, closed when it goes out of scope. Close it only after every
// statement prepared on it is finalized.
using Connection = std::unique_ptr<sqlite3, ConnectionCloser>;

// A prepared statement, finalized when it goes out of scope.
class Statement {
 public:
  Statement() = default;
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(Statement&& other) noexcept : statement_(std::exchange(other.statement_, nullptr)) {}
  Statement& operator=(Statement&& other) noexcept {
    std::swap(statement_, other.statement_);
    return *this;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Compiles `sql` on `db` into `statement` (`flags` as sqlite3_prepare_v3's,
  // e.g. SQLITE_PREPARE_PERSISTENT for a statement kept for the connection's
  // life). Returns SQLite's result code; on an error `statement` is empty.
  static int Prepare(sqlite3* db, const char* sql, unsigned int flags, Statement& statement) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db, sql, -1, flags, &raw, nullptr);
    statement = Statement(raw);
    return rc;
  }

  sqlite3_stmt* get() const { return statement_; }

 private:
  explicit Statement(sqlite3_stmt* statement) : statement_(statement) {}

  sqlite3_stmt* statement_ = nullptr;
};

// Resets a cached statement and drops its bindings (which may point at
// strings that are about to go away) however the scope is left; a statement
// left unreset would keep its read transaction open.
class StatementReset {
 public:
  explicit StatementReset(const Statement& statement) : statement_(statement.get()) {}
  ~StatementReset() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  StatementReset(const StatementReset&) = delete;
  StatementReset& operator=(const StatementReset&) = delete;

 private:
  sqlite3_stmt* statement_;
};

// The status code of SQLite's (possibly extended) result code `rc`.
inline absl::StatusCode StatusCodeOf(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::StatusCode::kDataLoss;
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return absl::StatusCode::kResourceExhausted;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      return absl::StatusCode::kUnavailable;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return absl::StatusCode::kPermissionDenied;
    default:
      return absl::StatusCode::kInternal;
  }
}

// `doing` and SQLite's message for the last error on `db`.
inline absl::Status ConnectionError(sqlite3* db, const char* doing) {
  return absl::Status(StatusCodeOf(sqlite3_extended_errcode(db)),
                      absl::StrCat(doing, ": ", sqlite3_errmsg(db)));
}

inline absl::Status WithPrefix(const std::string& prefix, const absl::Status& status) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(prefix, status.message()));
}

}  // namespace inlet::internal

#endif  // INLET_SRC_SQLITE_HANDLES_H_
