// PostgresCdc against inlet's conformance suite, on a real PostgreSQL server
// that this test starts (tests/python/pg_server.py: a fresh cluster with
// wal_level = logical, stopped at the end): order, resume without gap or
// duplicate, never blocking, the order of calls, stable partition names, a
// real SIGKILL mid-stream, acknowledgements never ahead of the store.
//
// The data set is a table `items (p, i)` in a database of its own, its
// publication, and a pool of replication slots made before anything is
// written. A change message carries its commit's LSN, time and transaction
// id, which no harness can predict; the input the suite sees hands out each
// change's new row ({"i": ..., "p": ...}) instead. Each input takes a slot of
// the pool nobody used, so a fresh run reads everything from the start, as
// the suite expects, and a resumed one starts after its recovery file's LSN.
// Slots are taken latest made first: a slot made later starts later, and a
// slot never confirms past the LSN a run resumes from (the connector refuses
// that as changes lost), so every slot taken after the first one starts
// before any LSN a recovery file can hold.

#include "inlet/testing/conformance.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "inlet/message.h"
#include "inlet/partitioned_input.h"
#include "inlet/source.h"
#include "inlet/subject_input.h"
#include "inlet/waker.h"
#include "nlohmann/json.hpp"

#include "inlet_postgres_cdc/connector.h"

namespace {

constexpr char kConninfoVariable[] = "INLET_PG_CONNINFO";
constexpr int kSlotsPerDataSet = 12;

// Starts the server once per test binary, unless the environment already
// names one (the suite's crash child inherits the parent's).
class ServerEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (std::getenv(kConninfoVariable) != nullptr) return;
    int in[2];
    int out[2];
    ASSERT_EQ(pipe(in), 0);
    ASSERT_EQ(pipe(out), 0);
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      close(in[1]);
      close(out[0]);
      execlp(INLET_PG_PYTHON, INLET_PG_PYTHON, INLET_PG_SERVER_SCRIPT, nullptr);
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    fcntl(stdin_, F_SETFD, FD_CLOEXEC);
    std::string line;
    char c;
    while (read(out[0], &c, 1) == 1 && c != '\n') line.push_back(c);
    close(out[0]);
    ASSERT_FALSE(line.empty()) << "tests/python/pg_server.py did not start a server";
    setenv(kConninfoVariable, line.c_str(), 1);
  }

  void TearDown() override {
    if (pid_ <= 0) return;
    close(stdin_);  // The script stops the server and removes the cluster.
    waitpid(pid_, nullptr, 0);
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
};

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new ServerEnvironment);

// Runs `sql` on database `dbname`; the rows of its last statement.
absl::StatusOr<std::vector<std::vector<std::string>>> Sql(std::string_view dbname,
                                                          const std::string& sql) {
  const std::string conninfo =
      absl::StrCat(std::getenv(kConninfoVariable), " dbname=", std::string(dbname));
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    absl::Status error = absl::UnavailableError(PQerrorMessage(conn));
    PQfinish(conn);
    return error;
  }
  PGresult* result = PQexec(conn, sql.c_str());
  const ExecStatusType status = PQresultStatus(result);
  std::vector<std::vector<std::string>> rows;
  absl::Status error = absl::OkStatus();
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    error = absl::InternalError(absl::StrCat(sql, ": ", PQresultErrorMessage(result)));
  } else {
    for (int r = 0; r < PQntuples(result); ++r) {
      rows.emplace_back();
      for (int c = 0; c < PQnfields(result); ++c)
        rows.back().emplace_back(PQgetvalue(result, r, c));
    }
  }
  PQclear(result);
  PQfinish(conn);
  if (!error.ok()) return error;
  return rows;
}

// Hands out each change's new row, as the item the suite wrote.
class NewRowSource final : public inlet::StatefulSource<nlohmann::json, nlohmann::json> {
 public:
  explicit NewRowSource(
      std::unique_ptr<inlet::StatefulSource<inlet::Message, nlohmann::json>> inner)
      : inner_(std::move(inner)) {}
  absl::StatusOr<inlet::Poll> NextBatch(std::vector<nlohmann::json>& out) override {
    batch_.clear();
    absl::StatusOr<inlet::Poll> poll = inner_->NextBatch(batch_);
    for (inlet::Message& change : batch_) out.push_back(std::move(change.value["new"]));
    return poll;
  }
  void BindWaker(inlet::Waker waker) override {
    inner_->BindWaker(waker);  // The subject wakes the worker when it commits.
    StatefulSource::BindWaker(std::move(waker));
  }
  std::optional<absl::Time> NextAwake() override { return inner_->NextAwake(); }
  nlohmann::json Snapshot() override { return inner_->Snapshot(); }
  void Committed(const nlohmann::json& state) override { inner_->Committed(state); }
  void Close() override { inner_->Close(); }

 private:
  std::unique_ptr<inlet::StatefulSource<inlet::Message, nlohmann::json>> inner_;
  std::vector<inlet::Message> batch_;
};

class NewRowInput final : public inlet::PartitionedInput<nlohmann::json, nlohmann::json> {
 public:
  explicit NewRowInput(std::unique_ptr<inlet::SubjectInput<inlet::Message>> inner)
      : inner_(std::move(inner)) {}
  absl::StatusOr<std::vector<std::string>> ListParts() override { return inner_->ListParts(); }
  absl::StatusOr<std::unique_ptr<Source>> BuildPart(std::string_view step_id,
                                                    std::string_view for_part,
                                                    std::optional<nlohmann::json> resume) override {
    absl::StatusOr<std::unique_ptr<inlet::SubjectInput<inlet::Message>::Source>> source =
        inner_->BuildPart(step_id, for_part, std::move(resume));
    if (!source.ok()) return source.status();
    return std::make_unique<NewRowSource>(*std::move(source));
  }

 private:
  std::unique_ptr<inlet::SubjectInput<inlet::Message>> inner_;
};

class PostgresCdcHarness {
 public:
  using Input = NewRowInput;
  static constexpr inlet::conformance::Capabilities kCapabilities = {.many_partitions = false};

  absl::Status CreateDataSet(const std::filesystem::path& dir, int partitions) {
    if (partitions != 1) return absl::InvalidArgumentError("one slot is one partition");
    uint64_t hash = 1469598103934665603u;  // FNV-1a of the directory: the same in the crash child.
    for (char c : dir.string()) hash = (hash ^ static_cast<uint8_t>(c)) * 1099511628211u;
    db_ = absl::StrCat("cf_", absl::Hex(hash, absl::kZeroPad16));
    absl::StatusOr<std::vector<std::vector<std::string>>> exists =
        Sql("postgres", absl::StrCat("SELECT 1 FROM pg_database WHERE datname = '", db_, "'"));
    if (!exists.ok()) return exists.status();
    if (!exists->empty()) return absl::OkStatus();  // The crash child's replay.
    if (absl::Status s = Sql("postgres", absl::StrCat("CREATE DATABASE ", db_)).status(); !s.ok()) {
      return s;
    }
    std::vector<std::string> sql = {
        "CREATE TABLE items (p int, i bigint, PRIMARY KEY (p, i))",
        "CREATE PUBLICATION pub FOR TABLE items", "CREATE SCHEMA pool",
        "CREATE TABLE pool.slots (k int PRIMARY KEY, name text, used bool NOT NULL DEFAULT false)"};
    for (const std::string& statement : sql) {
      if (absl::Status s = Sql(db_, statement).status(); !s.ok()) return s;
    }
    for (int k = 0; k < kSlotsPerDataSet; ++k) {
      const std::string slot = absl::StrCat(db_, "_", k);
      if (absl::Status s =
              Sql(db_, absl::StrCat("SELECT pg_create_logical_replication_slot('", slot,
                                    "', 'pgoutput'); INSERT INTO pool.slots "
                                    "VALUES (",
                                    k, ", '", slot, "')"))
                  .status();
          !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  }

  nlohmann::json MakeItem(int partition, int64_t index) { return {{"i", index}, {"p", partition}}; }

  absl::Status Write(int partition, const std::vector<nlohmann::json>& items) {
    if (items.empty()) return absl::OkStatus();
    std::vector<std::string> rows;
    for (const nlohmann::json& item : items) {
      rows.push_back(absl::StrCat("(", partition, ", ", item["i"].get<int64_t>(), ")"));
    }
    // One transaction; idempotent, as the crash child replays it.
    return Sql(db_, absl::StrCat("INSERT INTO items VALUES ", absl::StrJoin(rows, ", "),
                                 " ON CONFLICT DO NOTHING"))
        .status();
  }

  std::unique_ptr<Input> NewInput() {
    absl::StatusOr<std::vector<std::vector<std::string>>> slot =
        Sql(db_,
            "UPDATE pool.slots SET used = true WHERE k = (SELECT k FROM pool.slots WHERE NOT used "
            "ORDER BY k DESC LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING name");
    absl::StatusOr<std::vector<std::vector<std::string>>> end =
        Sql(db_, "SELECT pg_current_wal_insert_lsn()");
    if (!slot.ok() || slot->empty() || !end.ok()) {
      ADD_FAILURE() << "no unused slot in " << db_ << " (raise kSlotsPerDataSet)";
      return nullptr;
    }
    const inlet_postgres_cdc::PostgresCdcOptions cdc = {
        .conninfo = absl::StrCat(std::getenv(kConninfoVariable), " dbname=", db_),
        .slot = (*slot)[0][0],
        .publication = "pub",
        .end_lsn = (*end)[0][0]};
    // A small backlog keeps batches small, so the suite can act between
    // them, and cuts transactions: offsets inside them are exercised too.
    constexpr size_t kBacklog = 3;
    return std::make_unique<NewRowInput>(std::make_unique<inlet::SubjectInput<inlet::Message>>(
        [cdc] { return std::make_unique<inlet_postgres_cdc::PostgresCdc>(cdc, kBacklog - 1); },
        inlet::SubjectOptions{
            .autocommit_duration = absl::Milliseconds(2), .max_backlog = kBacklog, .name = "cdc"}));
  }

 private:
  std::string db_;
};

}  // namespace

INLET_CONFORMANCE_TEST(PostgresCdc, PostgresCdcHarness);
