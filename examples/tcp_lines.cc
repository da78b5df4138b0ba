// Listens on a TCP address and writes every line its clients send as a JSON
// string, until SIGINT or SIGTERM: the built-in TcpLinesSubject through the
// subject adapter, on the standard command line.
//
//   inlet-tcp-lines 127.0.0.1:9000     # then: echo hello | nc -q0 127.0.0.1 9000
//   inlet-tcp-lines '[::1]:0'          # any free port; stderr says which

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "inlet/connectors/tcp_lines_subject.h"
#include "inlet/run_main.h"
#include "inlet/subject_input.h"

int main(int argc, char** argv) {
  return inlet::RunMain(
      argc, argv,
      [](const std::vector<std::string>& args)
          -> absl::StatusOr<std::unique_ptr<inlet::SubjectInput<std::string>>> {
        if (args.size() != 1) {
          return absl::InvalidArgumentError("expected one address, e.g. 127.0.0.1:9000");
        }
        // Bound here, so that a bad or busy address is a command-line error.
        absl::StatusOr<std::unique_ptr<inlet::TcpLinesSubject>> listener =
            inlet::TcpLinesSubject::Create(args[0]);
        if (!listener.ok()) return listener.status();
        std::fprintf(stderr, "inlet-tcp-lines: listening on %s\n", (*listener)->address().c_str());
        // The factory runs once per run: it hands over the bound listener.
        auto subject =
            std::make_shared<std::unique_ptr<inlet::ConnectorSubject>>(*std::move(listener));
        return std::make_unique<inlet::SubjectInput<std::string>>(
            [subject] { return std::move(*subject); },
            inlet::SubjectOptions{.format = inlet::MessageFormat::kRaw, .name = "tcp"});
      });
}
