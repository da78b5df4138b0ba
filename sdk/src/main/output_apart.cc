#include <filesystem>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "inlet/internal/main_session.h"
#include "inlet/internal/same_file.h"

namespace inlet::internal {

absl::Status CheckOutputApartFromRecoveryFile(const MainConfig& config) {
  const std::filesystem::path& db = config.run.recovery_db;
  if (db.empty() || config.output == "-") return absl::OkStatus();
  // Every file SQLite keeps for the store, with what to call it.
  const std::pair<const char*, const char*> files[] = {
      {"", "the recovery file"},
      {"-wal", "the recovery file's write-ahead log"},
      {"-shm", "the recovery file's shared-memory index"},
      {"-journal", "the recovery file's rollback journal"},
  };
  for (const auto& [suffix, what] : files) {
    const std::filesystem::path file = db.string() + suffix;
    if (SameFile(config.output, file)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--output ", config.output, " is ", what, " (--recovery-db ", db.string(),
          "): the output would overwrite the store. Write the output to another file"));
    }
  }
  return absl::OkStatus();
}

}  // namespace inlet::internal
