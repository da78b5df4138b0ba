// Reads standard input line by line and writes each line as a JSON string:
// the built-in StdinSubject through the subject adapter, on the standard
// command line.
//
//   printf 'one\ntwo\n' | inlet-read-stdin
//   tail -f app.log | inlet-read-stdin --output=lines.jsonl

#include <memory>
#include <string>

#include "inlet/connectors/stdin_subject.h"
#include "inlet/run_main.h"
#include "inlet/subject_input.h"

int main(int argc, char** argv) {
  inlet::SubjectInput<std::string> input([] { return std::make_unique<inlet::StdinSubject>(); },
                                         {.format = inlet::MessageFormat::kRaw, .name = "stdin"});
  return inlet::RunMain(argc, argv, input);
}
