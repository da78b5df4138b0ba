// RecoveryStore::Open (sdk/src/recovery_store.h) on a file holding the
// input, as a recovery file left by a crash, a disk error or another
// program might look:
// - Open returns a status, never crashes;
// - a refusal leaves the file byte-for-byte what it was and no -wal or -shm
//   file next to it, is DATA_LOSS or FAILED_PRECONDITION (or
//   RESOURCE_EXHAUSTED: SQLite reads some corrupt headers as out of memory)
//   and its message starts with `recovery file <path>: `;
// - a store that opens answers Latest with a status, and when an epoch
//   after the latest commits, Latest returns its states, also after
//   reopening (or DATA_LOSS for rows in the file that no store wrote),
//   unless SQLite's integrity_check finds the file corrupt (Open's
//   quick_check does not check the order of keys).
//
// Input: the file's bytes (the seeds are real stores and other SQLite files).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "fuzz_check.h"
#include "recovery_store.h"
#include "scratch_dir.h"
#include "sqlite3.h"

namespace {

using inlet::internal::RecoveryStore;
using inlet::internal::StoredEpoch;

constexpr char kStep[] = "fuzz";

std::filesystem::path WithSuffix(const std::filesystem::path& path, const char* suffix) {
  return std::filesystem::path(path.string() + suffix);
}

// Whether SQLite's full integrity_check finds a problem in the file at
// `path` (Open runs the cheaper quick_check, which does not check that keys
// are in order).
bool FailsIntegrityCheck(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  bool ok = false;
  sqlite3_stmt* check = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check(1)", -1, &check, nullptr) == SQLITE_OK &&
      sqlite3_step(check) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(check, 0);
    ok = text != nullptr && std::string_view(reinterpret_cast<const char*>(text)) == "ok";
  }
  sqlite3_finalize(check);
  sqlite3_close(db);
  return !ok;
}

// The file may hold rows no store wrote (states of an epoch that is not in
// the epochs table), which join the epoch just committed: Latest may then
// report them as DATA_LOSS or return them too, but it returns every state
// committed, as committed, unless the file is corrupt in a way quick_check
// does not see.
void CheckLatest(RecoveryStore& store, const StoredEpoch& expected, const char* when) {
  absl::StatusOr<std::optional<StoredEpoch>> latest = store.Latest(kStep);
  if (!latest.ok()) {
    FUZZ_CHECK(absl::IsDataLoss(latest.status()), when,
               ": Latest after a commit: ", latest.status());
    return;
  }
  FUZZ_CHECK(latest->has_value(), when, ": Latest after a commit found no epoch");
  const StoredEpoch& got = **latest;
  FUZZ_CHECK(got.epoch == expected.epoch && got.sink_marker == expected.sink_marker &&
                 got.worker_count == expected.worker_count,
             when, ": Latest returned epoch ", got.epoch, " instead of the one committed, ",
             expected.epoch);
  for (const auto& [partition, state] : expected.states) {
    auto found = got.states.find(partition);
    if (found != got.states.end() && found->second == state) continue;
    FUZZ_CHECK(FailsIntegrityCheck(store.path()), when, ": partition ", partition,
               " did not come back as committed");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::filesystem::path path = inlet::fuzz::ScratchDir() / "recovery.db";
  const std::filesystem::path wal = WithSuffix(path, "-wal");
  const std::filesystem::path shm = WithSuffix(path, "-shm");
  std::filesystem::remove(wal);
  std::filesystem::remove(shm);
  inlet::fuzz::WriteFile(path, bytes);

  absl::StatusOr<std::unique_ptr<RecoveryStore>> store = RecoveryStore::Open(path, 2);
  if (!store.ok()) {
    const absl::Status& status = store.status();
    FUZZ_CHECK(inlet::fuzz::ReadFile(path) == bytes, "a refused file was modified: ", status);
    FUZZ_CHECK(!std::filesystem::exists(wal) && !std::filesystem::exists(shm),
               "a refusal left a -wal or -shm file behind: ", status);
    // SQLite reports some corrupt headers as out of memory (RESOURCE_EXHAUSTED).
    FUZZ_CHECK(absl::IsDataLoss(status) || absl::IsFailedPrecondition(status) ||
                   absl::IsResourceExhausted(status),
               "a refusal with an unexpected code: ", status);
    FUZZ_CHECK(absl::StartsWith(status.message(), "recovery file " + path.string() + ": "),
               "a refusal's message does not name the file: ", status);
    return 0;
  }

  absl::StatusOr<std::optional<StoredEpoch>> latest = (*store)->Latest(kStep);
  if (!latest.ok()) {
    FUZZ_CHECK(absl::IsDataLoss(latest.status()), "Latest: ", latest.status());
    return 0;
  }
  // An epoch number at the top of int64 was stored by whoever wrote the file.
  if (latest->has_value() && (*latest)->epoch == std::numeric_limits<int64_t>::max()) return 0;
  const StoredEpoch next{
      .epoch = latest->has_value() ? (*latest)->epoch + 1 : 1,
      .states = {{"part-0", nlohmann::json{{"offset", size}}}, {"part-1", "é\n\"x\""}},
      .sink_marker = nlohmann::json::array({1, "marker"}),
      .worker_count = 3,
  };
  const absl::Status committed = (*store)->Commit(kStep, next);
  if (!committed.ok()) {
    // Any code: a header SQLite reads as read-only passes Open and makes the
    // commit PERMISSION_DENIED. What matters is a status naming the file.
    FUZZ_CHECK(absl::StartsWith(committed.message(), "recovery file " + path.string() + ": "),
               "Commit on an opened file: ", committed);
    return 0;
  }
  CheckLatest(**store, next, "open");
  store->reset();
  absl::StatusOr<std::unique_ptr<RecoveryStore>> reopened = RecoveryStore::Open(path, 2);
  FUZZ_CHECK(reopened.ok(), "a store that committed does not reopen: ", reopened.status());
  CheckLatest(**reopened, next, "reopened");
  return 0;
}
