#include "recovery_store.h"

#include <grp.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "test_support.h"

namespace inlet::internal {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::StartsWith;

constexpr uid_t kNobody = 65534;

class RecoveryStoreTest : public inlet_test::TempDirTest {
 protected:
  fs::path StorePath() const { return dir_ / "recovery.db"; }

  // The names in `dir_`, to show that a failed `Open` created nothing.
  std::set<std::string> Listing() const {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      names.insert(entry.path().filename().string());
    }
    return names;
  }

  // Expects `Open(path)` to fail with `code` and `message`, leaving the file
  // byte-for-byte as it was and no file (-wal, -shm, -journal) beside it.
  void ExpectOpenFails(const fs::path& path, absl::StatusCode code, const std::string& message) {
    const std::string before = ReadBytes(path);
    const std::set<std::string> listing = Listing();
    absl::StatusOr<std::unique_ptr<RecoveryStore>> store = RecoveryStore::Open(path, 3);
    EXPECT_EQ(store.status(), absl::Status(code, message));
    EXPECT_TRUE(ReadBytes(path) == before) << "the file changed";
    EXPECT_EQ(Listing(), listing);
  }

  static std::string ReadBytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  static void WriteBytes(const fs::path& path, int64_t offset, const std::string& bytes) {
    std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
    file.seekp(offset);
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(file.good()) << path;
  }
};

std::unique_ptr<RecoveryStore> OpenStore(const fs::path& path, int keep_epochs = 3) {
  absl::StatusOr<std::unique_ptr<RecoveryStore>> store = RecoveryStore::Open(path, keep_epochs);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

// `partitions` partitions named "part-<i>" whose states all record `epoch`,
// so a mix of two epochs is visible.
StoredEpoch Uniform(int64_t epoch, int partitions) {
  StoredEpoch stored{.epoch = epoch, .sink_marker = {{"length", epoch * 100}}, .worker_count = 2};
  for (int i = 0; i < partitions; ++i) {
    stored.states[absl::StrCat("part-", i)] = {{"epoch", epoch}, {"offset", epoch * 1000 + i}};
  }
  return stored;
}

// A comparable, printable form of `stored`.
nlohmann::json AsJson(const StoredEpoch& stored) {
  return {{"epoch", stored.epoch},
          {"states", stored.states},
          {"sink_marker", stored.sink_marker},
          {"worker_count", stored.worker_count}};
}

nlohmann::json AsJson(const absl::StatusOr<std::optional<StoredEpoch>>& latest) {
  if (!latest.ok()) return latest.status().ToString();
  if (!latest->has_value()) return "none";
  return AsJson(**latest);
}

std::optional<StoredEpoch> LatestOrDie(RecoveryStore& store, const std::string& step_id) {
  absl::StatusOr<std::optional<StoredEpoch>> latest = store.Latest(step_id);
  EXPECT_TRUE(latest.ok()) << latest.status();
  return latest.ok() ? *std::move(latest) : std::nullopt;
}

// Runs `sql` on `path` through a connection of its own.
void Execute(const fs::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK) << sqlite3_errmsg(db);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << error;
  sqlite3_free(error);
  EXPECT_EQ(sqlite3_close(db), SQLITE_OK);
}

// The values of the one-column query `sql` on `path`.
std::vector<int64_t> Column(const fs::path& path, const std::string& sql) {
  std::vector<int64_t> values;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  while (sqlite3_step(statement) == SQLITE_ROW) {
    values.push_back(sqlite3_column_int64(statement, 0));
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return values;
}

int64_t SizeOrZero(const fs::path& path) {
  std::error_code error;
  const uintmax_t size = fs::file_size(path, error);
  return error ? 0 : static_cast<int64_t>(size);
}

fs::path Sidecar(const fs::path& path, const char* suffix) {
  return fs::path(path.string() + suffix);
}

uint32_t BigEndianAt(const std::string& bytes, size_t offset) {
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[offset + i]);
  }
  return value;
}

TEST_F(RecoveryStoreTest, CreatesAMissingFileAsAnInletStoreWithNoEpochs) {
  {
    std::unique_ptr<RecoveryStore> store = OpenStore(StorePath());
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->path(), StorePath());
    EXPECT_EQ(AsJson(store->Latest("input")), "none");
  }
  // The SQLite header: user_version at byte 60, application_id at byte 68.
  const std::string bytes = ReadBytes(StorePath());
  ASSERT_GE(bytes.size(), 100u);
  EXPECT_EQ(bytes.substr(0, 16), std::string("SQLite format 3\0", 16));
  EXPECT_EQ(BigEndianAt(bytes, 60), static_cast<uint32_t>(RecoveryStore::kSchemaVersion));
  EXPECT_EQ(BigEndianAt(bytes, 68), RecoveryStore::kApplicationId);
  // Closing checkpointed the -wal into the file and removed it and the -shm.
  EXPECT_EQ(Listing(), std::set<std::string>{"recovery.db"});
}

TEST_F(RecoveryStoreTest, AcceptsAnEmptyFileAsAFreshStore) {
  const fs::path path = Write("recovery.db", "");
  std::unique_ptr<RecoveryStore> store = OpenStore(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(AsJson(store->Latest("input")), "none");
  ASSERT_TRUE(store->Commit("input", Uniform(1, 2)).ok());
  EXPECT_EQ(AsJson(store->Latest("input")), AsJson(Uniform(1, 2)));
}

TEST_F(RecoveryStoreTest, LatestReturnsTheCommittedEpochExactly) {
  std::unique_ptr<RecoveryStore> store = OpenStore(StorePath());
  ASSERT_NE(store, nullptr);
  const StoredEpoch committed{
      .epoch = 7,
      .states = {{"a.log", 1234},
                 {"b.log", {{"offset", 99}, {"inode", 123456789012345}, {"tags", {"x", "y"}}}},
                 {"nested", {{"deep", {{"list", {1, 2.5, nullptr, true, "\"quoted\"\n"}}}}}},
                 {"unicode \xc3\xa9\xe2\x82\xac", "\xf0\x9f\x98\x80"},
                 {"", nullptr}},
      .sink_marker = {{"file", "out.jsonl"}, {"length", 4096}},
      .worker_count = 5,
  };
  ASSERT_TRUE(store->Commit("orders", committed).ok());
  EXPECT_EQ(AsJson(store->Latest("orders")), AsJson(committed));
}

TEST_F(RecoveryStoreTest, ReopenedStoreReturnsTheSameLatestEpoch) {
  const StoredEpoch committed = Uniform(3, 4);
  {
    std::unique_ptr<RecoveryStore> store = OpenStore(StorePath());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Commit("input", Uniform(2, 4)).ok());
    ASSERT_TRUE(store->Commit("input", committed).ok());
  }
  std::unique_ptr<RecoveryStore> store = OpenStore(StorePath());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(AsJson(store->Latest("input")), AsJson(committed));
  ASSERT_TRUE(store->Commit("input", Uniform(4, 4)).ok());
  EXPECT_EQ(AsJson(store->Latest("input")), AsJson(Uniform(4, 4)));
}

TEST_F(RecoveryStoreTest, ASecondOpenWhileTheFirstIsOpenIsRejectedThenAllowedAfterIt) {
  std::unique_ptr<RecoveryStore> first = OpenStore(StorePath());
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(first->Commit("input", Uniform(1, 2)).ok());
  absl::StatusOr<std::unique_ptr<RecoveryStore>> second = RecoveryStore::Open(StorePath(), 3);
  EXPECT_EQ(second.status(),
            absl::FailedPreconditionError(
                absl::StrCat("recovery file ", StorePath().string(),
                             ": in use by another process (one file serves one run at a time)")));
  first.reset();
  std::unique_ptr<RecoveryStore> third = OpenStore(StorePath());
  ASSERT_NE(third, nullptr);
  EXPECT_EQ(AsJson(third->Latest("input")), AsJson(Uniform(1, 2)));
}

TEST_F(RecoveryStoreTest, NullMarkerAndNoStatesRoundTrip) {
  std::unique_ptr<RecoveryStore> store = OpenStore(StorePath());
  ASSERT_NE(store, nullptr);
  const StoredEpoch committed{.epoch = 1, .worker_count = 1};
  ASSERT_TRUE(store->Commit("input", committed).ok());
  std::optional<StoredEpoch> latest = LatestOrDie(*store, "input");
  ASSERT_TRUE(latest.has_value());
  EXPECT_TRUE(latest->sink_marker.is_null());
  EXPECT_TRUE(latest->states.empty());
  EXPECT_EQ(AsJson(*latest), AsJson(committed));
}

TEST_F(RecoveryStoreTest, StepsInOneFileAreIndependent) {
  std::unique_ptr<RecoveryStore> store = OpenStore(StorePath(), /*keep_epochs=*/2);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Commit("b", Uniform(7, 1)).ok());
  for (int64_t epoch = 1; epoch <= 5; ++epoch) {
    ASSERT_TRUE(store->Commit("a", Uniform(epoch, 3)).ok());
  }
  // Epoch 2 of "b" is below its own latest; "a" being at 5 is irrelevant.
  EXPECT_EQ(store->Commit("b", Uniform(2, 1)).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(AsJson(store->Latest("a")), AsJson(Uniform(5, 3)));
  EXPECT_EQ(AsJson(store->Latest("b")), AsJson(Uniform(7, 1)));
  EXPECT_EQ(AsJson(store->Latest("c")), "none");
  // Pruning "a" down to two epochs left the single epoch of "b" alone.
  EXPECT_THAT(Column(StorePath(), "SELECT epoch FROM epochs WHERE step_id = 'b'"), ElementsAre(7));
  EXPECT_THAT(Column(StorePath(), "SELECT epoch FROM epochs WHERE step_id = 'a' ORDER BY epoch"),
              ElementsAre(4, 5));
}

TEST_F(RecoveryStoreTest, EpochNotAfterTheLatestIsRejectedAndKeepsTheLatest) {
  std::unique_ptr<RecoveryStore> store = OpenStore(StorePath());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Commit("input", Uniform(5, 3)).ok());
  for (int64_t epoch : {5, 4, -1}) {
    EXPECT_EQ(store->Commit("input", Uniform(epoch, 2)),
              absl::FailedPreconditionError(absl::StrCat("recovery file ", StorePath().string(),
                                                         ": step \"input\" epoch ", epoch,
                                                         ": not after the latest stored epoch 5")));
  }
  EXPECT_EQ(AsJson(store->Latest("input")), AsJson(Uniform(5, 3)));
  ASSERT_TRUE(store->Commit("input", Uniform(6, 3)).ok());
  EXPECT_EQ(AsJson(store->Latest("input")), AsJson(Uniform(6, 3)));
}

// The epoch row and the first states are written before the state that
// cannot be serialized; none of them may remain.
TEST_F(RecoveryStoreTest, FailureMidCommitStoresNothingOfTheEpoch) {
  std::unique_ptr<RecoveryStore> store = OpenStore(StorePath());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Commit("input", Uniform(1, 10)).ok());
  StoredEpoch broken = Uniform(2, 10);
  broken.states["part-5"] = "not UTF-8: \xff";
  absl::Status status = store->Commit("input", broken);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()),
              StartsWith(absl::StrCat("recovery file ", StorePath().string(),
                                      ": step \"input\" epoch 2: partition \"part-5\": the state "
                                      "cannot be written as JSON: ")));
  EXPECT_EQ(AsJson(store->Latest("input")), AsJson(Uniform(1, 10)));
  EXPECT_THAT(Column(StorePath(), "SELECT count(*) FROM states WHERE epoch = 2"), ElementsAre(0));
  // Epoch 2 is still free.
  ASSERT_TRUE(store->Commit("input", Uniform(2, 10)).ok());
  EXPECT_EQ(AsJson(store->Latest("input")), AsJson(Uniform(2, 10)));
}

TEST_F(RecoveryStoreTest, CommitIsUnavailableWhileAnotherConnectionHoldsTheWriteLock) {
  std::unique_ptr<RecoveryStore> store = OpenStore(StorePath());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Commit("input", Uniform(1, 3)).ok());
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(StorePath().c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_EQ(store->Commit("input", Uniform(2, 3)),
            absl::UnavailableError(absl::StrCat(
                "recovery file ", StorePath().string(),
                ": step \"input\" epoch 2: cannot start a transaction: database is locked")));
  EXPECT_EQ(AsJson(store->Latest("input")), AsJson(Uniform(1, 3)));
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_close(other), SQLITE_OK);
  ASSERT_TRUE(store->Commit("input", Uniform(2, 3)).ok());
  EXPECT_EQ(AsJson(store->Latest("input")), AsJson(Uniform(2, 3)));
}

TEST_F(RecoveryStoreTest, PruningKeepsExactlyTheLatestKeepEpochs) {
  for (int keep : {1, 3}) {
    SCOPED_TRACE(absl::StrCat("keep_epochs ", keep));
    const fs::path path = dir_ / absl::StrCat("keep-", keep, ".db");
    std::unique_ptr<RecoveryStore> store = OpenStore(path, keep);
    ASSERT_NE(store, nullptr);
    for (int64_t epoch = 1; epoch <= 10; ++epoch) {
      ASSERT_TRUE(store->Commit("input", Uniform(epoch, 4)).ok());
      const int64_t kept = std::min<int64_t>(epoch, keep);
      EXPECT_THAT(Column(path, "SELECT count(*) FROM epochs"), ElementsAre(kept));
      EXPECT_THAT(Column(path, "SELECT min(epoch) FROM epochs"), ElementsAre(epoch - kept + 1));
      EXPECT_THAT(Column(path, "SELECT count(*) FROM states"), ElementsAre(kept * 4));
      EXPECT_THAT(Column(path, "SELECT min(epoch) FROM states"), ElementsAre(epoch - kept + 1));
    }
    EXPECT_EQ(AsJson(store->Latest("input")), AsJson(Uniform(10, 4)));
  }
}

// A directory of its own in memory (/dev/shm) when there is one, else `dir`,
// for a test that fsyncs thousands of times but is about file sizes, which
// are the same on any file system. Removed with the object.
class FastDirectory {
 public:
  explicit FastDirectory(const fs::path& dir) : path_(dir) {
    std::string shm_template = "/dev/shm/inlet-test-XXXXXX";
    if (access("/dev/shm", W_OK) == 0 && mkdtemp(shm_template.data()) != nullptr) {
      path_ = shm_template;
      owned_ = true;
    }
  }
  ~FastDirectory() {
    std::error_code error;
    if (owned_) fs::remove_all(path_, error);
  }
  FastDirectory(const FastDirectory&) = delete;
  FastDirectory& operator=(const FastDirectory&) = delete;

  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  bool owned_ = false;
};

TEST_F(RecoveryStoreTest, FileSizeStaysFlatOverTenThousandEpochs) {
  const FastDirectory directory(dir_);
  const fs::path path = directory.path() / "recovery.db";
  const fs::path wal = Sidecar(path, "-wal");
  std::unique_ptr<RecoveryStore> store = OpenStore(path, /*keep_epochs=*/3);
  ASSERT_NE(store, nullptr);
  int64_t db_at_1000 = 0;
  int64_t wal_at_1000 = 0;
  int64_t wal_max = 0;
  StoredEpoch next = Uniform(0, 20);
  for (int64_t epoch = 1; epoch <= 10000; ++epoch) {
    next.epoch = epoch;
    for (auto& [name, state] : next.states) state["offset"] = epoch * 1000;
    absl::Status status = store->Commit("input", next);
    ASSERT_TRUE(status.ok()) << status;
    if (epoch % 100 == 0) wal_max = std::max(wal_max, SizeOrZero(wal));
    if (epoch == 1000) {
      db_at_1000 = SizeOrZero(path);
      wal_at_1000 = SizeOrZero(wal);
    }
  }
  const int64_t db_at_10000 = SizeOrZero(path);
  const int64_t wal_at_10000 = SizeOrZero(wal);
  EXPECT_LE(db_at_10000, db_at_1000 * 6 / 5 + 64 * 1024) << db_at_1000;
  EXPECT_LE(db_at_10000 + wal_at_10000, (db_at_1000 + wal_at_1000) * 6 / 5 + 64 * 1024)
      << db_at_1000 << " + " << wal_at_1000;
  // SQLite checkpoints once the -wal holds 1000 pages (of 4096 bytes, each
  // with a 24-byte frame header) and then reuses it from the start.
  EXPECT_LE(wal_max, 1100 * (4096 + 24));
  EXPECT_EQ(AsJson(store->Latest("input")), AsJson(next));
}

TEST_F(RecoveryStoreTest, ThousandPartitionCommitRoundTrips) {
  std::unique_ptr<RecoveryStore> store = OpenStore(StorePath());
  ASSERT_NE(store, nullptr);
  for (int64_t epoch = 1; epoch <= 5; ++epoch) {
    StoredEpoch committed = Uniform(epoch, 1000);
    committed.states["part-17"]["path"] = "/var/log/app/part-17.log";
    ASSERT_TRUE(store->Commit("input", committed).ok());
    EXPECT_EQ(AsJson(store->Latest("input")), AsJson(committed));
  }
  store.reset();
  store = OpenStore(StorePath());
  ASSERT_NE(store, nullptr);
  std::optional<StoredEpoch> latest = LatestOrDie(*store, "input");
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->epoch, 5);
  EXPECT_EQ(latest->states.size(), 1000u);
}

// Kills and reaps a child process when the test leaves its scope, however it
// does.
class ChildProcess {
 public:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  ~ChildProcess() { (void)KillAndWait(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The child's wait status, or -1 when it was reaped already.
  int KillAndWait() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGKILL);
    int wait_status = 0;
    if (waitpid(pid_, &wait_status, 0) != pid_) wait_status = -1;
    pid_ = 0;
    return wait_status;
  }

 private:
  pid_t pid_;
};

// A writer killed at an arbitrary instant (most likely inside a commit)
// leaves its -wal behind; the next open recovers the latest complete epoch.
TEST_F(RecoveryStoreTest, KilledWriterLeavesTheLatestCompleteEpoch) {
  const fs::path path = StorePath();
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(pipe_fds[0]);
    absl::StatusOr<std::unique_ptr<RecoveryStore>> store = RecoveryStore::Open(path, 2);
    if (!store.ok()) _exit(1);
    for (int64_t epoch = 1;; ++epoch) {
      if (!(*store)->Commit("input", Uniform(epoch, 50)).ok()) _exit(2);
      // Reported only once Commit has returned.
      if (write(pipe_fds[1], &epoch, sizeof(epoch)) != sizeof(epoch)) _exit(3);
    }
  }
  ChildProcess writer(pid);
  close(pipe_fds[1]);
  int64_t reported = 0;
  for (int i = 0; i < 30; ++i) {
    ASSERT_EQ(read(pipe_fds[0], &reported, sizeof(reported)), sizeof(reported));
  }
  const int wait_status = writer.KillAndWait();
  close(pipe_fds[0]);
  ASSERT_TRUE(WIFSIGNALED(wait_status)) << "the writer exited with " << WEXITSTATUS(wait_status);
  EXPECT_TRUE(fs::exists(Sidecar(path, "-wal")));

  {
    std::unique_ptr<RecoveryStore> store = OpenStore(path, 2);
    ASSERT_NE(store, nullptr);
    std::optional<StoredEpoch> latest = LatestOrDie(*store, "input");
    ASSERT_TRUE(latest.has_value());
    EXPECT_GE(latest->epoch, reported);
    EXPECT_EQ(AsJson(*latest), AsJson(Uniform(latest->epoch, 50)));
    ASSERT_TRUE(store->Commit("input", Uniform(latest->epoch + 1, 50)).ok());
  }
  EXPECT_EQ(Listing(), std::set<std::string>{"recovery.db"});
}

TEST_F(RecoveryStoreTest, StateThatIsNotValidJsonIsDataLoss) {
  {
    std::unique_ptr<RecoveryStore> store = OpenStore(StorePath());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Commit("input", Uniform(1, 3)).ok());
  }
  Execute(StorePath(), "UPDATE states SET state = '{\"offset\": 1' WHERE partition = 'part-1'");
  std::unique_ptr<RecoveryStore> store = OpenStore(StorePath());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Latest("input").status(),
            absl::DataLossError(absl::StrCat("recovery file ", StorePath().string(),
                                             ": step \"input\": epoch 1 partition \"part-1\": the "
                                             "stored state is not valid JSON")));
}

TEST_F(RecoveryStoreTest, RejectsRandomBytes) {
  std::mt19937 random(42);
  std::string bytes(10000, '\0');
  for (char& byte : bytes) byte = static_cast<char>(random());
  const fs::path path = Write("recovery.db", bytes);
  ExpectOpenFails(path, absl::StatusCode::kDataLoss,
                  absl::StrCat("recovery file ", path.string(),
                               ": not an inlet recovery file (file is not a database)"));
}

TEST_F(RecoveryStoreTest, RejectsATextFile) {
  const fs::path path = Write("recovery.db", "epoch,state\n1,{}\n");
  ExpectOpenFails(path, absl::StatusCode::kDataLoss,
                  absl::StrCat("recovery file ", path.string(),
                               ": not an inlet recovery file (file is not a database)"));
}

TEST_F(RecoveryStoreTest, RejectsADatabaseOfAnotherProgram) {
  // SQLite keeps application_id as a signed 32-bit integer.
  for (const auto& [id, hex] : std::map<std::string, std::string>{{"1179403647", "0x464C457F"},
                                                                  {"-559038737", "0xDEADBEEF"}}) {
    const fs::path path = dir_ / absl::StrCat("other", id, ".db");
    Execute(path, absl::StrCat("PRAGMA application_id = ", id,
                               "; CREATE TABLE epochs (epoch INTEGER); "
                               "INSERT INTO epochs VALUES (1)"));
    ExpectOpenFails(
        path, absl::StatusCode::kFailedPrecondition,
        absl::StrCat("recovery file ", path.string(),
                     ": belongs to another program (application_id ", hex, ", tables epochs)"));
  }
}

TEST_F(RecoveryStoreTest, RejectsADatabaseWithoutApplicationIdThatHasTables) {
  const fs::path path = StorePath();
  Execute(path,
          "PRAGMA journal_mode = WAL; CREATE TABLE accounts (id INTEGER PRIMARY KEY); "
          "CREATE TABLE users (name TEXT)");
  ExpectOpenFails(path, absl::StatusCode::kFailedPrecondition,
                  absl::StrCat("recovery file ", path.string(),
                               ": belongs to another program (application_id 0x00000000, tables "
                               "accounts, users)"));
}

TEST_F(RecoveryStoreTest, RejectsANewerSchemaVersion) {
  const fs::path path = StorePath();
  {
    std::unique_ptr<RecoveryStore> store = OpenStore(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Commit("input", Uniform(1, 3)).ok());
  }
  Execute(path, "PRAGMA user_version = 99");
  ExpectOpenFails(path, absl::StatusCode::kFailedPrecondition,
                  absl::StrCat("recovery file ", path.string(),
                               ": schema version 99 is newer than this inlet supports (1); "
                               "upgrade inlet"));
}

TEST_F(RecoveryStoreTest, RejectsACorruptStore) {
  const fs::path path = StorePath();
  {
    std::unique_ptr<RecoveryStore> store = OpenStore(path);
    ASSERT_NE(store, nullptr);
    StoredEpoch big = Uniform(1, 300);
    for (auto& [name, state] : big.states) state["padding"] = std::string(100, 'x');
    ASSERT_TRUE(store->Commit("input", big).ok());
  }
  // The b-tree header and cell pointers of a page in the middle of the file
  // (pages are 4096 bytes). quick_check finds broken structure; SQLite keeps
  // no checksum of the cells' contents, so damage confined to those is found
  // only when it breaks the JSON that `Latest` parses.
  const int64_t pages = SizeOrZero(path) / 4096;
  ASSERT_GE(pages, 8);
  WriteBytes(path, (pages / 2) * 4096, std::string(64, '\xA5'));
  const std::string before = ReadBytes(path);
  const std::set<std::string> listing = Listing();
  absl::StatusOr<std::unique_ptr<RecoveryStore>> store = RecoveryStore::Open(path, 3);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
  // What follows is SQLite's finding, e.g. "database disk image is malformed".
  const std::string prefix = absl::StrCat("recovery file ", path.string(), ": corrupt (");
  EXPECT_THAT(std::string(store.status().message()), StartsWith(prefix));
  EXPECT_GT(store.status().message().size(), prefix.size() + 10) << store.status();
  EXPECT_TRUE(ReadBytes(path) == before) << "the file changed";
  EXPECT_EQ(Listing(), listing);
}

// Runs `Open(path)` as a user that file modes apply to: this process, or,
// when it runs as root, a child process that has become `nobody` and owns
// `dir` and `path`. Sets `skipped` when that is not possible.
absl::Status OpenWithoutPrivileges(const fs::path& dir, const fs::path& path, bool& skipped) {
  skipped = false;
  if (geteuid() != 0) return RecoveryStore::Open(path, 3).status();
  if (chown(dir.c_str(), kNobody, kNobody) != 0 || chown(path.c_str(), kNobody, kNobody) != 0) {
    skipped = true;
    return absl::UnknownError("chown failed");
  }
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return absl::InternalError("pipe failed");
  const pid_t child = fork();
  if (child < 0) return absl::InternalError("fork failed");
  if (child == 0) {
    close(pipe_fds[0]);
    std::string report = "skip";
    struct stat st;
    // The file must be reachable for nobody (the directories above `dir`
    // may not be), or the test would not be about its mode.
    if (setgroups(0, nullptr) == 0 && setgid(kNobody) == 0 && setuid(kNobody) == 0 &&
        stat(path.c_str(), &st) == 0) {
      absl::Status status = RecoveryStore::Open(path, 3).status();
      report = absl::StrCat(static_cast<int>(status.code()), "\n", status.message());
    }
    const bool written =
        write(pipe_fds[1], report.data(), report.size()) == static_cast<ssize_t>(report.size());
    _exit(written ? 0 : 1);
  }
  close(pipe_fds[1]);
  std::string report;
  char buffer[512];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof(buffer))) > 0;) report.append(buffer, n);
  close(pipe_fds[0]);
  int wait_status = 0;
  waitpid(child, &wait_status, 0);
  if (report == "skip") {
    skipped = true;
    return absl::UnknownError("cannot become nobody, or nobody cannot reach the file");
  }
  const size_t newline = report.find('\n');
  if (newline == std::string::npos) return absl::InternalError("no report: " + report);
  return absl::Status(static_cast<absl::StatusCode>(std::stoi(report.substr(0, newline))),
                      report.substr(newline + 1));
}

TEST_F(RecoveryStoreTest, RejectsAReadOnlyFile) {
  const fs::path path = StorePath();
  {
    std::unique_ptr<RecoveryStore> store = OpenStore(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Commit("input", Uniform(1, 3)).ok());
  }
  ASSERT_EQ(chmod(path.c_str(), 0444), 0);
  const std::string before = ReadBytes(path);
  const std::set<std::string> listing = Listing();
  bool skipped = false;
  absl::Status status = OpenWithoutPrivileges(dir_, path, skipped);
  if (skipped) GTEST_SKIP() << "running as root, and cannot run as nobody: " << status;
  EXPECT_EQ(status, absl::PermissionDeniedError(absl::StrCat(
                        "recovery file ", path.string(), ": not writable (Permission denied)")));
  EXPECT_TRUE(ReadBytes(path) == before) << "the file changed";
  EXPECT_EQ(Listing(), listing);
}

TEST_F(RecoveryStoreTest, RejectsAFileInAReadOnlyDirectory) {
  const fs::path path = StorePath();
  {
    std::unique_ptr<RecoveryStore> store = OpenStore(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Commit("input", Uniform(1, 3)).ok());
  }
  const std::string before = ReadBytes(path);
  const std::set<std::string> listing = Listing();
  ASSERT_EQ(chmod(dir_.c_str(), 0555), 0);
  bool skipped = false;
  absl::Status status = OpenWithoutPrivileges(dir_, path, skipped);
  if (skipped) GTEST_SKIP() << "running as root, and cannot run as nobody: " << status;
  EXPECT_EQ(status, absl::PermissionDeniedError(
                        absl::StrCat("recovery file ", path.string(), ": directory ", dir_.string(),
                                     " is not writable (Permission denied)")));
  EXPECT_TRUE(ReadBytes(path) == before) << "the file changed";
  EXPECT_EQ(Listing(), listing);
}

TEST_F(RecoveryStoreTest, RejectsAMissingDirectory) {
  const fs::path path = dir_ / "missing" / "recovery.db";
  EXPECT_EQ(RecoveryStore::Open(path, 3).status(),
            absl::NotFoundError(absl::StrCat("recovery file ", path.string(), ": directory ",
                                             (dir_ / "missing").string(), " does not exist")));
  EXPECT_FALSE(fs::exists(dir_ / "missing"));
}

TEST_F(RecoveryStoreTest, RejectsADirectory) {
  ASSERT_TRUE(fs::create_directory(StorePath()));
  EXPECT_EQ(RecoveryStore::Open(StorePath(), 3).status(),
            absl::FailedPreconditionError(
                absl::StrCat("recovery file ", StorePath().string(), ": not a regular file")));
}

TEST_F(RecoveryStoreTest, RejectsKeepEpochsBelowOne) {
  EXPECT_EQ(RecoveryStore::Open(StorePath(), 0).status(),
            absl::InvalidArgumentError(absl::StrCat("recovery file ", StorePath().string(),
                                                    ": keep_epochs must be at least 1, got 0")));
  EXPECT_FALSE(fs::exists(StorePath()));
}

}  // namespace
}  // namespace inlet::internal
