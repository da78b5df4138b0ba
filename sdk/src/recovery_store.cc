#include "recovery_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"

namespace inlet::internal {
namespace {

namespace fs = std::filesystem;

// How long a statement waits for another connection's lock (a second writer,
// or a reader recovering the -wal) before it fails with SQLITE_BUSY.
constexpr int kBusyTimeoutMs = 1000;
// After a checkpoint the -wal is truncated to this size, so one unusually
// large epoch does not leave a large -wal behind for good. Normal operation
// stays below it: SQLite checkpoints once the -wal reaches 1000 pages (4 MiB).
constexpr int64_t kWalSizeLimitBytes = int64_t{16} << 20;

// Schema version 1. Every epoch holds the states of all partitions that have
// one, so the latest epoch alone is enough to resume. `committed_at` (UTC,
// ISO 8601) is for people inspecting the file; nothing reads it.
constexpr char kCreateTables[] = R"sql(
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

constexpr char kBeginRead[] = "BEGIN";
// Takes the write lock up front, so the epoch check and the writes that follow
// it cannot interleave with another writer.
constexpr char kBeginWrite[] = "BEGIN IMMEDIATE";
constexpr char kCommit[] = "COMMIT";
constexpr char kRollback[] = "ROLLBACK";
constexpr char kMaxEpoch[] = "SELECT max(epoch) FROM epochs WHERE step_id = ?1";
constexpr char kInsertEpoch[] =
    "INSERT INTO epochs (step_id, epoch, worker_count, sink_marker, committed_at) "
    "VALUES (?1, ?2, ?3, ?4, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))";
constexpr char kInsertState[] =
    "INSERT INTO states (step_id, epoch, partition, state) VALUES (?1, ?2, ?3, ?4)";
// ?2 is keep_epochs - 1: the subquery is the oldest epoch kept, or NULL (and
// nothing is deleted) while the step has no more than keep_epochs epochs.
// States go first: their cutoff is read from `epochs`.
constexpr char kPruneStates[] =
    "DELETE FROM states WHERE step_id = ?1 AND epoch < "
    "(SELECT epoch FROM epochs WHERE step_id = ?1 ORDER BY epoch DESC LIMIT 1 OFFSET ?2)";
constexpr char kPruneEpochs[] =
    "DELETE FROM epochs WHERE step_id = ?1 AND epoch < "
    "(SELECT epoch FROM epochs WHERE step_id = ?1 ORDER BY epoch DESC LIMIT 1 OFFSET ?2)";
constexpr char kLatestEpoch[] =
    "SELECT epoch, worker_count, sink_marker FROM epochs WHERE step_id = ?1 "
    "ORDER BY epoch DESC LIMIT 1";
constexpr char kLatestStates[] =
    "SELECT partition, state FROM states WHERE step_id = ?1 AND epoch = ?2 ORDER BY partition";

// The statements that name the schema: a store whose schema they do not
// compile against is not one this build can use.
constexpr const char* kSchemaStatements[] = {kMaxEpoch,    kInsertEpoch, kInsertState, kPruneStates,
                                             kPruneEpochs, kLatestEpoch, kLatestStates};

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;

struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

// Resets a cached statement and drops its bindings (which may point at
// strings that are about to go away) however the scope is left; a statement
// left unreset would keep its read transaction open.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* statement) : statement_(statement) {}
  ~ResetOnExit() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite3_stmt* statement_;
};

absl::StatusCode CodeOf(int rc) {
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

absl::Status WithPrefix(const std::string& prefix, const absl::Status& status) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(prefix, status.message()));
}

// An error of a file-system check, reported as PERMISSION_DENIED when it is
// about permissions (EROFS included: the file cannot be written either way).
absl::Status ErrnoError(const std::string& name, absl::string_view problem, int error) {
  absl::StatusCode code = absl::ErrnoToStatusCode(error);
  if (error == EACCES || error == EPERM || error == EROFS) {
    code = absl::StatusCode::kPermissionDenied;
  }
  return absl::Status(code, absl::StrCat(name, ": ", problem, " (", std::strerror(error), ")"));
}

// A `file:` URI naming `path`, with every byte that could be read as URI
// syntax percent-encoded.
std::string FileUri(const fs::path& path) {
  std::error_code error;
  fs::path absolute = fs::absolute(path, error);
  if (error) absolute = path;
  std::string uri = "file:";
  for (const unsigned char c : absolute.string()) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
        c == '-' || c == '.' || c == '_' || c == '~') {
      uri.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&uri, "%%%02X", c);
    }
  }
  return uri;
}

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
      return absl::Status(CodeOf(rc), absl::StrCat(name, ": cannot be read (", message, ")"));
  }
}

// Runs the one-row, one-column query `sql` on `db` into `value`.
int QueryInt(sqlite3* db, const char* sql, int64_t& value) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  StatementPtr statement(raw);
  if (rc != SQLITE_OK) return rc;
  rc = sqlite3_step(statement.get());
  if (rc != SQLITE_ROW) return rc == SQLITE_DONE ? SQLITE_INTERNAL : rc;
  value = sqlite3_column_int64(statement.get(), 0);
  return SQLITE_OK;
}

// The names of the tables in `db` that are not SQLite's own.
int ListTables(sqlite3* db, std::vector<std::string>& tables) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db,
                              "SELECT name FROM sqlite_schema WHERE type = 'table' "
                              "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                              -1, &raw, nullptr);
  StatementPtr statement(raw);
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
  return identity.application_id == RecoveryStore::kApplicationId;
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
  if (identity.user_version > RecoveryStore::kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        name, ": schema version ", identity.user_version, " is newer than this inlet supports (",
        RecoveryStore::kSchemaVersion, "); upgrade inlet"));
  }
  if (identity.user_version < 1) {
    return absl::DataLossError(absl::StrCat(name, ": corrupt (schema version ",
                                            identity.user_version, " is not one inlet writes)"));
  }
  return absl::OkStatus();
}

// Checks the existing, non-empty file `path` through a read-only connection.
// Without a -wal next to it the file is opened as immutable, which creates
// no -wal or -shm and takes no lock: the file alone is the whole database.
// With a -wal (a writer is running, or was killed) SQLite must read the -wal
// too, and may create the -shm to index it.
absl::Status CheckReadOnly(const std::string& name, const fs::path& path) {
  std::error_code error;
  const bool has_wal = fs::exists(fs::path(path.string() + "-wal"), error);
  sqlite3* raw = nullptr;
  const int rc_open = has_wal
                          ? sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr)
                          : sqlite3_open_v2(absl::StrCat(FileUri(path), "?immutable=1").c_str(),
                                            &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
  DbPtr db(raw);
  if (rc_open != SQLITE_OK) return ReadError(name, db.get(), rc_open);
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);

  Identity identity;
  if (int rc = ReadIdentity(db.get(), identity); rc != SQLITE_OK) {
    return ReadError(name, db.get(), rc);
  }
  if (absl::Status status = CheckIdentity(name, identity); !status.ok()) return status;
  if (IsInletStore(identity)) {
    for (const char* sql : kSchemaStatements) {
      sqlite3_stmt* statement = nullptr;
      const int rc = sqlite3_prepare_v2(db.get(), sql, -1, &statement, nullptr);
      sqlite3_finalize(statement);
      if (rc != SQLITE_OK) {
        return absl::DataLossError(absl::StrCat(name, ": corrupt (its tables do not match schema ",
                                                "version ", identity.user_version, ": ",
                                                sqlite3_errmsg(db.get()), ")"));
      }
    }
  }

  // quick_check reads every page and checks the b-trees' structure, not
  // that indexes match their tables (there are none).
  sqlite3_stmt* raw_check = nullptr;
  int rc = sqlite3_prepare_v2(db.get(), "PRAGMA quick_check(3)", -1, &raw_check, nullptr);
  StatementPtr check(raw_check);
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

}  // namespace

RecoveryStore::RecoveryStore(std::filesystem::path path, sqlite3* db, int keep_epochs)
    : path_(std::move(path)),
      name_(absl::StrCat("recovery file ", path_.string())),
      db_(db),
      keep_epochs_(keep_epochs) {}

RecoveryStore::~RecoveryStore() {
  for (sqlite3_stmt* statement :
       {begin_read_, begin_write_, commit_, rollback_, max_epoch_, insert_epoch_, insert_state_,
        prune_states_, prune_epochs_, latest_epoch_, latest_states_}) {
    sqlite3_finalize(statement);
  }
  // Closing the last connection checkpoints the -wal into the file and
  // deletes the -wal and -shm.
  sqlite3_close_v2(db_);
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

absl::StatusOr<std::unique_ptr<RecoveryStore>> RecoveryStore::Open(
    const std::filesystem::path& path, int keep_epochs) {
  if (path.empty()) return absl::InvalidArgumentError("recovery file: the path is empty");
  const std::string name = absl::StrCat("recovery file ", path.string());
  if (keep_epochs < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": keep_epochs must be at least 1, got ", keep_epochs));
  }
  const fs::path directory = path.has_parent_path() ? path.parent_path() : fs::path(".");

  struct stat st;
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (const int error = errno; !exists && error != ENOENT) {
    return ErrnoError(name, "cannot be examined", error);
  }
  if (exists) {
    if (!S_ISREG(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat(name, ": not a regular file"));
    }
    if (::access(path.c_str(), R_OK) != 0) return ErrnoError(name, "not readable", errno);
    if (st.st_size > 0) {
      if (absl::Status status = CheckReadOnly(name, path); !status.ok()) return status;
    }
    if (::access(path.c_str(), W_OK) != 0) return ErrnoError(name, "not writable", errno);
  }
  // The -wal and -shm files are created next to the file, even when it exists.
  if (::access(directory.c_str(), W_OK) != 0) {
    const int error = errno;
    if (error == ENOENT) {
      return absl::NotFoundError(
          absl::StrCat(name, ": directory ", directory.string(), " does not exist"));
    }
    return ErrnoError(name, absl::StrCat("directory ", directory.string(), " is not writable"),
                      error);
  }

  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  // The store owns `db` from here on, so every return below closes it.
  std::unique_ptr<RecoveryStore> store(new RecoveryStore(path, db, keep_epochs));
  if (rc != SQLITE_OK) return WithPrefix(name + ": ", store->Error("cannot be opened"));
  store->lock_fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (store->lock_fd_ < 0) return ErrnoError(name, "cannot be opened", errno);
  if (::flock(store->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat(name, ": in use by another process (one file serves one run at a time)"));
    }
    return ErrnoError(name, "cannot be locked", errno);
  }
  // SQLite falls back to read-only when it cannot open for writing (for
  // root, when `access` has no say, e.g. on an immutable file).
  if (sqlite3_db_readonly(db, "main") == 1) {
    return absl::PermissionDeniedError(absl::StrCat(name, ": not writable"));
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  if (absl::Status status = store->Initialize(); !status.ok())
    return WithPrefix(name + ": ", status);
  return store;
}

absl::Status RecoveryStore::Initialize() {
  // WAL: a commit appends to the -wal instead of rewriting pages in place
  // behind a rollback journal. synchronous=FULL: the -wal is fsynced at every
  // commit, so a committed epoch survives a power loss (NORMAL would only
  // keep the file consistent).
  {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_, "PRAGMA journal_mode = WAL", -1, &raw, nullptr) != SQLITE_OK) {
      return Error("cannot switch to WAL mode");
    }
    StatementPtr statement(raw);
    if (sqlite3_step(statement.get()) != SQLITE_ROW) return Error("cannot switch to WAL mode");
    const std::string mode = reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
    if (mode != "wal") {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot switch to WAL mode (the journal mode stays \"", mode, "\")"));
    }
  }
  const std::string settings = absl::StrCat(
      "PRAGMA synchronous = FULL; PRAGMA journal_size_limit = ", kWalSizeLimitBytes, ";");
  if (sqlite3_exec(db_, settings.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Error("cannot configure the connection");
  }

  if (sqlite3_exec(db_, kBeginWrite, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Error("cannot start a transaction");
  }
  // Checked again under the write lock: the file may have changed since it
  // was checked read-only (or been created since it was found missing).
  Identity identity;
  absl::Status status;
  if (ReadIdentity(db_, identity) != SQLITE_OK) {
    status = Error("cannot be read");
  } else if (IsBlank(identity)) {
    const std::string create =
        absl::StrCat(kCreateTables, "PRAGMA application_id = ", kApplicationId,
                     "; PRAGMA user_version = ", kSchemaVersion, ";");
    if (sqlite3_exec(db_, create.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
      status = Error("cannot create the tables");
    }
  } else if (!IsInletStore(identity) || identity.user_version != kSchemaVersion) {
    status = absl::AbortedError("changed while it was being opened");
  }
  if (status.ok() && sqlite3_exec(db_, kCommit, nullptr, nullptr, nullptr) != SQLITE_OK) {
    status = Error("cannot commit the tables");
  }
  if (!status.ok()) {
    if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, kRollback, nullptr, nullptr, nullptr);
    return status;
  }

  const std::pair<sqlite3_stmt**, const char*> statements[] = {
      {&begin_read_, kBeginRead},
      {&begin_write_, kBeginWrite},
      {&commit_, kCommit},
      {&rollback_, kRollback},
      {&max_epoch_, kMaxEpoch},
      {&insert_epoch_, kInsertEpoch},
      {&insert_state_, kInsertState},
      {&prune_states_, kPruneStates},
      {&prune_epochs_, kPruneEpochs},
      {&latest_epoch_, kLatestEpoch},
      {&latest_states_, kLatestStates},
  };
  for (const auto& [statement, sql] : statements) {
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, statement, nullptr) !=
        SQLITE_OK) {
      return Error("cannot prepare a statement");
    }
  }
  return absl::OkStatus();
}

absl::Status RecoveryStore::Error(const char* doing) const {
  return absl::Status(CodeOf(sqlite3_extended_errcode(db_)),
                      absl::StrCat(doing, ": ", sqlite3_errmsg(db_)));
}

absl::Status RecoveryStore::Execute(sqlite3_stmt* statement, const char* doing) {
  ResetOnExit reset(statement);
  int rc;
  while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
  }
  return rc == SQLITE_DONE ? absl::OkStatus() : Error(doing);
}

absl::StatusOr<std::optional<StoredEpoch>> RecoveryStore::Latest(const std::string& step_id) {
  const std::string prefix = absl::StrCat(name_, ": step \"", step_id, "\": ");
  // One read transaction: both queries see the same snapshot even if another
  // connection prunes in between.
  std::optional<StoredEpoch> latest;
  absl::Status status = Execute(begin_read_, "cannot start a transaction");
  if (!status.ok()) return WithPrefix(prefix, status);
  status = ReadLatest(step_id, latest);
  if (status.ok()) {
    status = Execute(commit_, "cannot end the transaction");
  }
  if (sqlite3_get_autocommit(db_) == 0) (void)Execute(rollback_, "cannot roll back");
  if (!status.ok()) return WithPrefix(prefix, status);
  return latest;
}

absl::Status RecoveryStore::ReadLatest(const std::string& step_id,
                                       std::optional<StoredEpoch>& latest) {
  StoredEpoch stored;
  {
    ResetOnExit reset(latest_epoch_);
    sqlite3_bind_text(latest_epoch_, 1, step_id.data(), static_cast<int>(step_id.size()),
                      SQLITE_STATIC);
    const int rc = sqlite3_step(latest_epoch_);
    if (rc == SQLITE_DONE) return absl::OkStatus();
    if (rc != SQLITE_ROW) return Error("cannot read the latest epoch");
    stored.epoch = sqlite3_column_int64(latest_epoch_, 0);
    stored.worker_count = sqlite3_column_int(latest_epoch_, 1);
    if (sqlite3_column_type(latest_epoch_, 2) != SQLITE_NULL) {
      const char* text = reinterpret_cast<const char*>(sqlite3_column_text(latest_epoch_, 2));
      const int size = sqlite3_column_bytes(latest_epoch_, 2);
      stored.sink_marker = nlohmann::json::parse(text, text + size, nullptr, false);
      if (stored.sink_marker.is_discarded()) {
        return absl::DataLossError(
            absl::StrCat("epoch ", stored.epoch, ": the stored sink marker is not valid JSON"));
      }
    }
  }
  ResetOnExit reset(latest_states_);
  sqlite3_bind_text(latest_states_, 1, step_id.data(), static_cast<int>(step_id.size()),
                    SQLITE_STATIC);
  sqlite3_bind_int64(latest_states_, 2, stored.epoch);
  int rc;
  while ((rc = sqlite3_step(latest_states_)) == SQLITE_ROW) {
    std::string partition(reinterpret_cast<const char*>(sqlite3_column_text(latest_states_, 0)),
                          static_cast<size_t>(sqlite3_column_bytes(latest_states_, 0)));
    const char* text = reinterpret_cast<const char*>(sqlite3_column_text(latest_states_, 1));
    const int size = sqlite3_column_bytes(latest_states_, 1);
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

absl::Status RecoveryStore::Commit(const std::string& step_id, const StoredEpoch& epoch) {
  const std::string prefix =
      absl::StrCat(name_, ": step \"", step_id, "\" epoch ", epoch.epoch, ": ");
  absl::Status status = Execute(begin_write_, "cannot start a transaction");
  if (!status.ok()) return WithPrefix(prefix, status);
  status = CommitInTransaction(step_id, epoch);
  if (status.ok()) status = Execute(commit_, "cannot commit");
  // A failed COMMIT may leave the transaction open (SQLITE_BUSY) or have
  // rolled it back already (SQLITE_FULL, SQLITE_IOERR).
  if (!status.ok() && sqlite3_get_autocommit(db_) == 0) {
    (void)Execute(rollback_, "cannot roll back");
  }
  return WithPrefix(prefix, status);
}

absl::Status RecoveryStore::CommitInTransaction(const std::string& step_id,
                                                const StoredEpoch& epoch) {
  const int step_size = static_cast<int>(step_id.size());
  {
    ResetOnExit reset(max_epoch_);
    sqlite3_bind_text(max_epoch_, 1, step_id.data(), step_size, SQLITE_STATIC);
    if (sqlite3_step(max_epoch_) != SQLITE_ROW) return Error("cannot read the latest epoch");
    if (sqlite3_column_type(max_epoch_, 0) != SQLITE_NULL) {
      const int64_t stored = sqlite3_column_int64(max_epoch_, 0);
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
    ResetOnExit reset(insert_epoch_);
    sqlite3_bind_text(insert_epoch_, 1, step_id.data(), step_size, SQLITE_STATIC);
    sqlite3_bind_int64(insert_epoch_, 2, epoch.epoch);
    sqlite3_bind_int(insert_epoch_, 3, epoch.worker_count);
    if (epoch.sink_marker.is_null()) {
      sqlite3_bind_null(insert_epoch_, 4);
    } else {
      sqlite3_bind_text(insert_epoch_, 4, marker.data(), static_cast<int>(marker.size()),
                        SQLITE_STATIC);
    }
    if (sqlite3_step(insert_epoch_) != SQLITE_DONE) return Error("cannot write the epoch");
  }

  {
    ResetOnExit reset(insert_state_);
    // Bindings outlive sqlite3_reset, so the key prefix is bound once.
    sqlite3_bind_text(insert_state_, 1, step_id.data(), step_size, SQLITE_STATIC);
    sqlite3_bind_int64(insert_state_, 2, epoch.epoch);
    std::string text;
    for (const auto& [partition, state] : epoch.states) {
      try {
        text = state.dump();
      } catch (const nlohmann::json::exception& e) {
        return absl::InvalidArgumentError(absl::StrCat(
            "partition \"", partition, "\": the state cannot be written as JSON: ", e.what()));
      }
      sqlite3_bind_text(insert_state_, 3, partition.data(), static_cast<int>(partition.size()),
                        SQLITE_STATIC);
      sqlite3_bind_text(insert_state_, 4, text.data(), static_cast<int>(text.size()),
                        SQLITE_STATIC);
      if (sqlite3_step(insert_state_) != SQLITE_DONE) {
        return WithPrefix(absl::StrCat("partition \"", partition, "\": "),
                          Error("cannot write the state"));
      }
      sqlite3_reset(insert_state_);
    }
  }

  for (sqlite3_stmt* prune : {prune_states_, prune_epochs_}) {
    ResetOnExit reset(prune);
    sqlite3_bind_text(prune, 1, step_id.data(), step_size, SQLITE_STATIC);
    sqlite3_bind_int(prune, 2, keep_epochs_ - 1);
    int rc;
    while ((rc = sqlite3_step(prune)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) return Error("cannot prune old epochs");
  }
  return absl::OkStatus();
}

}  // namespace inlet::internal
