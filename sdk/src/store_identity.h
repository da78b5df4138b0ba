// Whether a file is an inlet recovery store this build can use: not another
// program's database, not corrupt, not a newer schema. An existing file is
// checked read-only before anything is written to it, then again under the
// write lock, where a blank file gets the tables.

#ifndef INLET_SRC_STORE_IDENTITY_H_
#define INLET_SRC_STORE_IDENTITY_H_

#include <sqlite3.h>

#include <filesystem>
#include <string>

#include "absl/status/status.h"

namespace inlet::internal {

// Checks the existing, non-empty file `path` through a read-only connection
// of its own: what its header says (application_id, user_version), that the
// store's statements compile against its tables, and the structure of every
// page. Errors start with `name`: DATA_LOSS for a file that is not a
// database or is corrupt, FAILED_PRECONDITION for another program's database
// or a newer schema. Creates no -wal or -shm unless a -wal is already there
// (then SQLite may create the -shm, its rebuildable index of the -wal).
absl::Status CheckExistingStore(const std::string& name, const std::filesystem::path& path);

// On the store's own connection `db`, in one write transaction: gives a
// blank database (new, empty, or whose creation stopped before its schema
// was committed) the tables, or checks that the file is still the store
// `CheckExistingStore` accepted (ABORTED when it changed in between).
// Errors carry no name prefix.
absl::Status EnsureSchema(sqlite3* db);

}  // namespace inlet::internal

#endif  // INLET_SRC_STORE_IDENTITY_H_
