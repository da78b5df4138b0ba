// PostgresCdc: change data capture from PostgreSQL through logical
// replication (README.md says what it reads).
//
// A connector subject (Pathway's ConnectorSubject): `Run` is a plain loop on
// a thread of its own that speaks PostgreSQL's streaming replication protocol
// through libpq, and pushes one message per changed row. inlet's adapter
// (`inlet::SubjectInput`) turns it into an input whose workers never wait on
// it.
//
// Exactly once: one PostgreSQL transaction is one subject commit, whose
// offset is the LSN where its commit record ends. The replication slot's
// confirmed flush position advances only in `OnCommitted`, after the epoch
// holding the transaction is durable, so the server keeps the WAL of every
// transaction a crash could still need; a resumed run restarts replication
// right after the last durable transaction.

#ifndef INLET_POSTGRES_CDC_CONNECTOR_H_
#define INLET_POSTGRES_CDC_CONNECTOR_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "inlet/connector_subject.h"
#include "inlet/schema.h"
#include "inlet/subject_input.h"
#include "nlohmann/json.hpp"

namespace inlet_postgres_cdc {

struct PostgresCdcOptions {
  // A libpq connection string or URI (`host=... port=... dbname=... user=...`,
  // `postgresql://user@host/db`); `replication=database` is added. The role
  // needs the REPLICATION attribute. Default: empty (libpq's defaults and
  // PG* environment variables).
  std::string conninfo = {};

  // The logical replication slot: created with the pgoutput plugin on the
  // first run when it does not exist; must exist when a run resumes.
  // Lowercase letters, digits and underscores. Default: "inlet".
  std::string slot = "inlet";

  // The publication whose tables are streamed (`CREATE PUBLICATION name FOR
  // ALL TABLES` or `FOR TABLE ...`, made by the database's owner). Required.
  // Default: empty.
  std::string publication = {};

  // Where the stream ends, like pg_recvlogical's --endpos: an LSN as text
  // ("16/B374D848"); `Run` returns after the first transaction whose commit
  // ends at or past it (or, between transactions, once the server reports
  // its WAL reached it). Empty follows the stream until stopped. Default:
  // empty.
  std::string end_lsn = {};

  // The longest time between two standby status updates to the server, so
  // it neither times the connection out (`wal_sender_timeout`) nor waits long
  // to learn a new confirmed position. Positive. Default: 1 s.
  absl::Duration status_interval = absl::Seconds(1);
};

// Streams the changes of one publication through one replication slot.
class PostgresCdc final : public inlet::ConnectorSubject {
 public:
  // `offset_every`: inside a transaction, an offset is reported after every
  // this many changes, so a transaction larger than the adapter's backlog
  // reaches the runtime in parts, each covered by an offset, and resumes
  // exactly once. Keep it below `SubjectOptions::max_backlog` (the adapter
  // fails a run whose backlog fills with changes no offset covers);
  // `MakePostgresCdcInput` does.
  explicit PostgresCdc(PostgresCdcOptions options, int64_t offset_every = 1024);
  ~PostgresCdc() override;

  // Called before `Run`, on the subject's thread, when the partition resumes:
  // `offset` is the commit LSN (text, "16/B374D848") of the last transaction
  // committed in a closed epoch, or {"lsn": LSN, "skip": n} when the epoch
  // closed inside a transaction larger than the backlog. Replication
  // restarts right after the LSN, skipping the n changes already delivered.
  void Seek(const nlohmann::json& offset) override;

  // Connects, creates the slot if needed (not on resume), starts replication
  // and pushes every change until `stop_requested()`. Throws a
  // `std::runtime_error` naming what to change on: a connection refused or
  // lost (a server stopped or restarted), bad credentials or a role without
  // REPLICATION, `wal_level` not `logical`, a missing publication, a slot
  // dropped or used by another client, a slot whose confirmed position is
  // past the resume offset.
  void Run() override;

  // Records that changes up to `offset` are durable; `Run` confirms it to
  // the server (the slot's flush LSN) at once. Called on a runtime worker;
  // never blocks.
  void OnCommitted(const nlohmann::json& offset) override;

 private:
  class Connection;

  PostgresCdcOptions options_;
  int64_t offset_every_;
  std::optional<uint64_t> resume_lsn_;
  int64_t resume_skip_ = 0;
  std::atomic<uint64_t> committed_lsn_{0};
  int wake_pipe_[2] = {-1, -1};  // OnCommitted and a stop request wake Run's poll().
};

// The fields of every change message (see README.md): "table", "op" (insert,
// update, delete, truncate), "key", "old" and "new" (objects or null),
// "commit_lsn", "commit_time" (RFC 3339, UTC) and "xid".
std::vector<inlet::Field> ChangeSchema();

// The input to run: one subject, in a partition named by the slot. Items
// are `inlet::Message`s whose value is the change (no key); `options` may
// set the backlog and autocommit, while the format (JSON, without a schema
// to check) and the name are the connector's.
absl::StatusOr<std::unique_ptr<inlet::SubjectInput<inlet::Message>>> MakePostgresCdcInput(
    PostgresCdcOptions cdc, inlet::SubjectOptions options = {});

}  // namespace inlet_postgres_cdc

#endif  // INLET_POSTGRES_CDC_CONNECTOR_H_
