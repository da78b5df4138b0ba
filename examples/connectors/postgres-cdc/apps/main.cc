// The connector on inlet's standard command line: streams the changes of a
// publication through a logical replication slot on the embedded runtime and
// writes every change as a JSON line to stdout (or --output).
//
//   postgres-cdc --publication=orders_pub 'host=db.example.com dbname=shop user=cdc'
//   postgres-cdc --publication=orders_pub --slot=orders --recovery-db=state.db
//     --output=changes.jsonl postgresql://cdc@localhost/shop   (one line)
//
// With --recovery-db and a file --output every committed change reaches the
// output exactly once, in commit order, however often the program is killed.
// --help lists the flags (workers, epoch interval, recovery file, output).

#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "inlet/run_main.h"
#include "inlet/subject_input.h"

#include "inlet_postgres_cdc/connector.h"

ABSL_FLAG(std::string, slot, "inlet",
          "the logical replication slot; created with pgoutput on the first run (lowercase "
          "letters, digits, underscores)");
ABSL_FLAG(std::string, publication, "",
          "the publication whose tables are streamed (required; CREATE PUBLICATION name FOR ALL "
          "TABLES)");
ABSL_FLAG(std::string, endpos, "",
          "end after the first transaction whose commit ends at or past this LSN (as "
          "pg_recvlogical --endpos; e.g. 0/1A2B3C8); empty follows the stream until stopped");

namespace {

constexpr char kProgram[] = "postgres-cdc";

// The input over the connection string given on the command line.
absl::StatusOr<std::unique_ptr<inlet::SubjectInput<inlet::Message>>> MakeInput(
    const std::vector<std::string>& args) {
  if (args.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected one connection string, got ", args.size(), " arguments; usage: ", kProgram,
        " --publication=NAME [flags] ['host=... dbname=... user=...' | postgresql://...]"));
  }
  return inlet_postgres_cdc::MakePostgresCdcInput({.conninfo = args.empty() ? "" : args[0],
                                                   .slot = absl::GetFlag(FLAGS_slot),
                                                   .publication = absl::GetFlag(FLAGS_publication),
                                                   .end_lsn = absl::GetFlag(FLAGS_endpos)});
}

}  // namespace

int main(int argc, char** argv) { return inlet::RunMain(argc, argv, MakeInput); }
