#include "inlet_postgres_cdc/connector.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "inlet/schema.h"
#include "inlet/subject_input.h"
#include "nlohmann/json.hpp"
#include "pgoutput.h"

namespace inlet_postgres_cdc {
namespace {

using internal::Decoder;
using internal::FormatLsn;
using internal::ParseLsn;

constexpr int64_t kPgEpochUnixMicros = int64_t{946684800} * 1000000;

[[noreturn]] void Fail(std::string message) { throw std::runtime_error(std::move(message)); }

std::string Trimmed(const char* text) {
  return std::string(absl::StripTrailingAsciiWhitespace(text == nullptr ? "" : text));
}

bool ValidSlotName(std::string_view name) {
  return !name.empty() && name.size() <= 63 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

void PutInt64(std::string& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

uint64_t GetInt64(std::string_view data) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = value << 8 | static_cast<uint8_t>(data[i]);
  return value;
}

}  // namespace

// One replication connection (replication=database): plain SQL for the
// checks, the replication commands, then the COPY BOTH stream.
class PostgresCdc::Connection {
 public:
  explicit Connection(const std::string& conninfo) {
    std::vector<const char*> keys;
    std::vector<const char*> values;
    if (!conninfo.empty()) {
      keys.push_back("dbname");  // Expanded: a whole connection string or URI.
      values.push_back(conninfo.c_str());
    }
    keys.push_back("replication");
    values.push_back("database");
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_ = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
    if (conn_ == nullptr) Fail("cannot connect to PostgreSQL: out of memory");
    if (PQstatus(conn_) != CONNECTION_OK) {
      const std::string error = Trimmed(PQerrorMessage(conn_));
      std::string advice;
      if (absl::StrContains(error, "password authentication failed") ||
          absl::StrContains(error, "no password supplied") ||
          (absl::StrContains(error, "role \"") && absl::StrContains(error, "does not exist"))) {
        advice = "check the user and password of the connection string (or PGPASSWORD, ~/.pgpass)";
      } else if (absl::StrContains(error, "replication")) {
        advice =
            "the role needs the REPLICATION attribute (ALTER ROLE name REPLICATION) and a "
            "pg_hba.conf line that lets it connect to the database";
      } else if (absl::StrContains(error, "database \"")) {
        advice = "check the connection string's dbname";
      } else {
        advice = "is the server running, and are the connection string's host and port right?";
      }
      Fail(absl::StrCat("cannot connect to PostgreSQL (", Describe(), "): ", error, "; ", advice));
    }
  }
  ~Connection() { PQfinish(conn_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // "host:port/dbname", for messages.
  std::string Describe() const {
    const char* host = PQhost(conn_);
    const char* port = PQport(conn_);
    const char* db = PQdb(conn_);
    return absl::StrCat(host ? host : "?", ":", port ? port : "?", "/", db ? db : "?");
  }

  // Runs one statement; returns its rows (text, "" for NULL). Fails with
  // `what` and the server's message.
  std::vector<std::vector<std::string>> Query(const std::string& sql, std::string_view what) {
    PGresult* result = PQexec(conn_, sql.c_str());
    const ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      const std::string error = Trimmed(PQresultErrorMessage(result));
      PQclear(result);
      Fail(absl::StrCat(std::string(what), " on ", Describe(), ": ",
                        error.empty() ? Trimmed(PQerrorMessage(conn_)) : error));
    }
    std::vector<std::vector<std::string>> rows(PQntuples(result));
    for (int r = 0; r < PQntuples(result); ++r) {
      for (int c = 0; c < PQnfields(result); ++c) rows[r].emplace_back(PQgetvalue(result, r, c));
    }
    PQclear(result);
    return rows;
  }

  std::string Literal(std::string_view text) { return Quoted(text, PQescapeLiteral); }

  std::string Identifier(std::string_view text) { return Quoted(text, PQescapeIdentifier); }

  // `text` quoted by `escape` (PQescapeLiteral or PQescapeIdentifier).
  std::string Quoted(std::string_view text, char* (*escape)(PGconn*, const char*, size_t)) {
    char* quoted = escape(conn_, text.data(), text.size());
    if (quoted == nullptr)
      Fail(absl::StrCat("cannot quote \"", std::string(text),
                        "\": ", Trimmed(PQerrorMessage(conn_))));
    std::string result(quoted);
    PQfreemem(quoted);
    return result;
  }

  void StartCopyBoth(const std::string& command) {
    PGresult* result = PQexec(conn_, command.c_str());
    if (PQresultStatus(result) != PGRES_COPY_BOTH) {
      const std::string error = Trimmed(PQresultErrorMessage(result));
      PQclear(result);
      Fail(absl::StrCat("START_REPLICATION on ", Describe(), " failed: ", error));
    }
    PQclear(result);
  }

  // The next CopyData message, without blocking: true with `out` set (valid
  // until the next call), false when none is buffered. Throws when the
  // stream ends or the connection is lost.
  bool TryRead(std::string_view& out) {
    buffer_.reset();
    char* buffer = nullptr;
    const int n = PQgetCopyData(conn_, &buffer, /*async=*/1);
    if (n > 0) {
      buffer_.reset(buffer);
      out = std::string_view(buffer, static_cast<size_t>(n));
      return true;
    }
    if (n == 0) return false;
    std::string error = Trimmed(PQerrorMessage(conn_));
    if (n == -1) {  // The server ended the stream: its reason is in the result.
      PGresult* result = PQgetResult(conn_);
      if (result != nullptr) {
        const std::string server = Trimmed(PQresultErrorMessage(result));
        if (!server.empty()) error = server;
        PQclear(result);
      }
    }
    LostConnection(error);
  }

  // Reads what the socket has into libpq's buffer.
  void Consume() {
    if (PQconsumeInput(conn_) == 0) LostConnection(Trimmed(PQerrorMessage(conn_)));
  }

  void Send(const std::string& message) {
    if (PQputCopyData(conn_, message.data(), static_cast<int>(message.size())) != 1 ||
        PQflush(conn_) == -1) {
      LostConnection(Trimmed(PQerrorMessage(conn_)));
    }
  }

  int socket() const { return PQsocket(conn_); }

 private:
  [[noreturn]] void LostConnection(const std::string& error) {
    Fail(absl::StrCat("the replication connection to ", Describe(), " was lost (",
                      error.empty() ? "no message" : error,
                      "): the server stopped, restarted or ended the session; run again with the "
                      "same recovery file to resume after the last committed transaction"));
  }

  struct FreeMem {
    void operator()(char* buffer) const { PQfreemem(buffer); }
  };

  PGconn* conn_ = nullptr;
  std::unique_ptr<char, FreeMem> buffer_;  // What the last TryRead returned.
};

PostgresCdc::PostgresCdc(PostgresCdcOptions options, int64_t offset_every)
    : options_(std::move(options)), offset_every_(std::max<int64_t>(1, offset_every)) {
  if (pipe(wake_pipe_) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  for (int fd : wake_pipe_) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
}

PostgresCdc::~PostgresCdc() {
  for (int fd : wake_pipe_) close(fd);
}

namespace {

// An offset is the LSN (text) where the last delivered transaction's commit
// ends, or, inside a transaction larger than the backlog, {"lsn": that LSN,
// "skip": how many changes of the next transaction were delivered}.
struct Offset {
  uint64_t lsn = 0;
  int64_t skip = 0;
};

absl::StatusOr<Offset> ParseOffset(const nlohmann::json& offset) {
  if (offset.is_string()) {
    absl::StatusOr<uint64_t> lsn = ParseLsn(offset.get<std::string>());
    if (!lsn.ok()) return lsn.status();
    return Offset{.lsn = *lsn};
  }
  if (offset.is_object() && offset.contains("lsn") && offset["lsn"].is_string() &&
      offset.contains("skip") && offset["skip"].is_number_integer() && offset["skip"] >= 0) {
    absl::StatusOr<uint64_t> lsn = ParseLsn(offset["lsn"].get<std::string>());
    if (!lsn.ok()) return lsn.status();
    return Offset{.lsn = *lsn, .skip = offset["skip"].get<int64_t>()};
  }
  return absl::InvalidArgumentError(
      "expected an LSN as a string or {\"lsn\": LSN, \"skip\": count}");
}

}  // namespace

void PostgresCdc::Seek(const nlohmann::json& offset) {
  absl::StatusOr<Offset> parsed = ParseOffset(offset);
  if (!parsed.ok()) {
    Fail(absl::StrCat("the recovery file's offset ", offset.dump(),
                      " is not this connector's: ", parsed.status().message()));
  }
  resume_lsn_ = parsed->lsn;
  resume_skip_ = parsed->skip;
}

void PostgresCdc::OnCommitted(const nlohmann::json& offset) {
  absl::StatusOr<Offset> parsed = ParseOffset(offset);
  if (!parsed.ok()) Fail(std::string(parsed.status().message()));
  // Inside a transaction, only the transactions before it are confirmed.
  uint64_t seen = committed_lsn_.load();
  while (seen < parsed->lsn && !committed_lsn_.compare_exchange_weak(seen, parsed->lsn)) {
  }
  const char byte = 0;
  static_cast<void>(write(wake_pipe_[1], &byte, 1));  // Full pipe: Run is awake anyway.
}

void PostgresCdc::Run() {
  if (!ValidSlotName(options_.slot)) {
    Fail(absl::StrCat("slot name \"", options_.slot,
                      "\" is invalid: use 1 to 63 lowercase letters, digits and underscores"));
  }
  if (options_.publication.empty()) {
    Fail(
        "no publication given: name one made with CREATE PUBLICATION ... FOR ALL TABLES (or "
        "FOR TABLE ...)");
  }
  if (options_.status_interval <= absl::ZeroDuration()) {
    Fail(absl::StrCat("status_interval must be positive, got ",
                      absl::FormatDuration(options_.status_interval)));
  }
  std::optional<uint64_t> end_lsn;
  if (!options_.end_lsn.empty()) {
    absl::StatusOr<uint64_t> parsed = ParseLsn(options_.end_lsn);
    if (!parsed.ok()) Fail(absl::StrCat("end_lsn: ", parsed.status().message()));
    end_lsn = *parsed;
  }
  Connection conn(options_.conninfo);
  const std::string where = conn.Describe();

  // Values are the server's text: make it the same whatever the role's settings.
  conn.Query("SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; SET IntervalStyle = 'postgres'",
             "setting the session's output format");
  const std::string wal_level = conn.Query("SHOW wal_level", "SHOW wal_level").at(0).at(0);
  if (wal_level != "logical") {
    Fail(absl::StrCat("the server ", where, " has wal_level = ", wal_level,
                      "; logical replication needs wal_level = logical in postgresql.conf "
                      "(ALTER SYSTEM SET wal_level = logical) and a server restart"));
  }
  const std::string encoding =
      conn.Query("SHOW server_encoding", "SHOW server_encoding").at(0).at(0);
  if (encoding != "UTF8") {
    Fail(absl::StrCat("the database ", where, " is encoded in ", encoding,
                      "; this connector reads UTF8 databases only (createdb -E UTF8)"));
  }
  const std::string publication = conn.Literal(options_.publication);
  if (conn.Query(absl::StrCat("SELECT 1 FROM pg_publication WHERE pubname = ", publication),
                 "looking up the publication")
          .empty()) {
    Fail(absl::StrCat("publication \"", options_.publication, "\" does not exist in ", where,
                      ": create it (CREATE PUBLICATION ", conn.Identifier(options_.publication),
                      " FOR ALL TABLES) or name another"));
  }

  const std::string slot = options_.slot;
  std::vector<std::vector<std::string>> rows =
      conn.Query(absl::StrCat("SELECT plugin, database, active, active_pid, confirmed_flush_lsn, "
                              "current_database() FROM pg_replication_slots WHERE slot_name = ",
                              conn.Literal(slot)),
                 "looking up the replication slot");
  uint64_t start_lsn = 0;
  if (rows.empty()) {
    if (resume_lsn_) {
      Fail(absl::StrCat("replication slot \"", slot, "\" does not exist on ", where,
                        ", but this run resumes from LSN ", FormatLsn(*resume_lsn_),
                        " in its recovery file: the slot was dropped, and the changes after that "
                        "LSN went with it. To start over, remove the recovery file and the "
                        "output; the next run creates the slot and streams from then on"));
    }
    rows = conn.Query(
        absl::StrCat("CREATE_REPLICATION_SLOT ", slot, " LOGICAL pgoutput NOEXPORT_SNAPSHOT"),
        absl::StrCat("creating replication slot \"", slot, "\""));
    absl::StatusOr<uint64_t> consistent = ParseLsn(rows.at(0).at(1));
    if (!consistent.ok()) Fail(std::string(consistent.status().message()));
    start_lsn = *consistent;
  } else {
    const std::vector<std::string>& row = rows[0];
    if (row[0] != "pgoutput") {
      Fail(absl::StrCat("replication slot \"", slot, "\" on ", where, " uses the plugin \"", row[0],
                        "\", not pgoutput: name another slot"));
    }
    if (row[1] != row[5]) {
      Fail(absl::StrCat("replication slot \"", slot, "\" belongs to database \"", row[1],
                        "\", not \"", row[5], "\": connect to that database or name another slot"));
    }
    if (row[2] == "t") {
      Fail(absl::StrCat("replication slot \"", slot, "\" on ", where,
                        " is in use by another client (server process ", row[3],
                        "); one connector per slot"));
    }
    absl::StatusOr<uint64_t> confirmed = ParseLsn(row[4]);
    if (!confirmed.ok()) Fail(std::string(confirmed.status().message()));
    if (resume_lsn_ && *confirmed > *resume_lsn_) {
      Fail(absl::StrCat("replication slot \"", slot, "\" on ", where, " confirmed LSN ",
                        FormatLsn(*confirmed), ", past the recovery file's ",
                        FormatLsn(*resume_lsn_),
                        ": another client consumed this slot, so the changes between are gone. "
                        "Give each connector its own slot; to start over, remove the recovery "
                        "file and the output"));
    }
    start_lsn = resume_lsn_.value_or(*confirmed);
  }

  // Nothing before the start can be confirmed again; a resumed run starts here.
  uint64_t seen = committed_lsn_.load();
  while (seen < start_lsn && !committed_lsn_.compare_exchange_weak(seen, start_lsn)) {
  }
  if (resume_skip_ > 0) {
    ReportOffset({{"lsn", FormatLsn(start_lsn)}, {"skip", resume_skip_}});
  } else {
    ReportOffset(FormatLsn(start_lsn));
  }

  std::string publication_names = conn.Identifier(options_.publication);
  std::string quoted_names;  // A string literal holding the quoted identifier.
  for (char c : publication_names) {
    quoted_names.push_back(c);
    if (c == '\'') quoted_names.push_back('\'');
  }
  conn.StartCopyBoth(absl::StrCat("START_REPLICATION SLOT ", slot, " LOGICAL ",
                                  FormatLsn(start_lsn), " (proto_version '1', publication_names '",
                                  quoted_names, "')"));

  std::stop_callback wake_on_stop(stop_token(), [this] {
    const char byte = 0;
    static_cast<void>(write(wake_pipe_[1], &byte, 1));
  });

  Decoder decoder;
  int64_t changes_in_transaction = 0;
  uint64_t received_lsn = start_lsn;  // The end of what the server sent.
  uint64_t reported_lsn = start_lsn;  // The last offset given to ReportOffset.
  uint64_t sent_flush = 0;
  absl::Time next_status = absl::InfinitePast();
  auto send_status = [&](bool now) {
    const uint64_t flush = committed_lsn_.load();
    if (!now && flush == sent_flush && absl::Now() < next_status) return;
    std::string message = "r";
    PutInt64(message, std::max(received_lsn, flush));  // Written: what was received.
    PutInt64(message, flush);                          // Flushed: durable in the store.
    PutInt64(message, flush);                          // Applied.
    PutInt64(message, static_cast<uint64_t>(absl::ToUnixMicros(absl::Now()) - kPgEpochUnixMicros));
    message.push_back(0);  // No reply wanted.
    conn.Send(message);
    sent_flush = flush;
    next_status = absl::Now() + options_.status_interval;
  };

  std::string_view data;
  std::vector<Decoder::Event> events;  // One message's, reused.
  auto at_end = [&] { return end_lsn && reported_lsn >= *end_lsn; };
  while (!stop_requested() && !at_end()) {
    while (!stop_requested() && !at_end() && conn.TryRead(data)) {
      if (data.empty()) continue;
      if (data[0] == 'w') {  // XLogData: start, end, send time, then one pgoutput message.
        if (data.size() < 25) Fail(absl::StrCat("truncated XLogData from ", where));
        received_lsn = std::max(received_lsn, GetInt64(data.substr(1)));
        events.clear();
        absl::Status decoded = decoder.Decode(data.substr(25), events);
        if (!decoded.ok()) Fail(absl::StrCat(where, ": ", decoded.message()));
        for (Decoder::Event& event : events) {
          if (event.kind == Decoder::Event::Kind::kBegin) {
            changes_in_transaction = 0;
          } else if (event.kind == Decoder::Event::Kind::kChange) {
            // A resumed run skips what it delivered of a transaction cut by
            // the backlog: decoding the same WAL again gives the same changes.
            if (++changes_in_transaction <= resume_skip_) continue;
            Next(std::move(event.change));
            if (changes_in_transaction % offset_every_ == 0) {
              // The adapter commits a backlog full of one transaction only up
              // to an offset (and fails the run when none covers any of it):
              // this is where such a cut resumes.
              ReportOffset({{"lsn", FormatLsn(reported_lsn)}, {"skip", changes_in_transaction}});
            }
          } else if (event.kind == Decoder::Event::Kind::kCommit) {
            resume_skip_ = 0;
            reported_lsn = std::max(reported_lsn, event.commit_end_lsn);
            ReportOffset(FormatLsn(reported_lsn));  // After the transaction, before its commit.
            Commit();
          }
        }
      } else if (data[0] == 'k') {  // Keepalive: WAL end, send time, reply requested.
        if (data.size() < 18) Fail(absl::StrCat("truncated keepalive from ", where));
        const uint64_t wal_end = GetInt64(data.substr(1));
        received_lsn = std::max(received_lsn, wal_end);
        // Between transactions every change before `wal_end` was sent, so
        // it is a resume point too: the slot can then release WAL written
        // for other databases or unpublished tables.
        if (!decoder.in_transaction() && wal_end > reported_lsn) {
          reported_lsn = wal_end;
          ReportOffset(FormatLsn(reported_lsn));
          Commit();
        }
        if (data[17] != 0) send_status(/*now=*/true);
      }
    }
    send_status(/*now=*/false);
    if (stop_requested() || at_end()) break;

    std::array<pollfd, 2> fds = {pollfd{.fd = conn.socket(), .events = POLLIN, .revents = 0},
                                 pollfd{.fd = wake_pipe_[0], .events = POLLIN, .revents = 0}};
    const absl::Duration wait = std::max(next_status - absl::Now(), absl::ZeroDuration());
    const int timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(wait)) + 1;
    if (poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) {
      throw std::system_error(errno, std::generic_category(), "poll");
    }
    if (fds[1].revents != 0) {
      char drain[64];
      while (read(wake_pipe_[0], drain, sizeof(drain)) > 0) {
      }
    }
    if (fds[0].revents != 0) conn.Consume();
  }
  send_status(/*now=*/true);  // The last durable position, before the connection closes.
}

std::vector<inlet::Field> ChangeSchema() {
  using inlet::FieldType;
  return {{.name = "table", .type = FieldType::kString},
          {.name = "op", .type = FieldType::kString},
          {.name = "key", .type = FieldType::kJson},
          {.name = "old", .type = FieldType::kJson},
          {.name = "new", .type = FieldType::kJson},
          {.name = "commit_lsn", .type = FieldType::kString},
          {.name = "commit_time", .type = FieldType::kString},
          {.name = "xid", .type = FieldType::kInt}};
}

absl::StatusOr<std::unique_ptr<inlet::SubjectInput<inlet::Message>>> MakePostgresCdcInput(
    PostgresCdcOptions cdc, inlet::SubjectOptions options) {
  if (!cdc.end_lsn.empty()) {
    absl::StatusOr<uint64_t> end_lsn = ParseLsn(cdc.end_lsn);
    if (!end_lsn.ok())
      return absl::InvalidArgumentError(absl::StrCat("end_lsn: ", end_lsn.status().message()));
  }
  if (!ValidSlotName(cdc.slot)) {
    return absl::InvalidArgumentError(
        absl::StrCat("slot name \"", cdc.slot,
                     "\" is invalid: use 1 to 63 lowercase letters, digits and underscores"));
  }
  if (cdc.publication.empty()) {
    return absl::InvalidArgumentError(
        "no publication given: name one made with CREATE PUBLICATION ... FOR ALL TABLES");
  }
  options.format = inlet::MessageFormat::kJson;
  options.schema = {};  // The connector makes every message: checking each one costs a third.
  options.name = cdc.slot;
  return std::make_unique<inlet::SubjectInput<inlet::Message>>(
      [cdc = std::move(cdc), every = static_cast<int64_t>(std::min<size_t>(
                                 1024, options.max_backlog > 1 ? options.max_backlog - 1 : 1))] {
        return std::make_unique<PostgresCdc>(cdc, every);
      },
      std::move(options));
}

}  // namespace inlet_postgres_cdc
