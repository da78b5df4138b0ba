// The connector on inlet's standard command line: reads the files given as
// arguments on the embedded runtime and writes every line as a JSON string to
// stdout (or --output), with live progress on a terminal.
//
//   {{ cookiecutter.project_slug }} --workers=2 data/*.txt
//   {{ cookiecutter.project_slug }} --recovery-db=state.db --output=out.jsonl data/*.txt
//
// --help lists the flags (workers, epoch interval, recovery file, output).

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "inlet/run_main.h"
{%- if cookiecutter.input_kind == "subject" %}
#include "inlet/subject_input.h"
{%- endif %}

#include "{{ cookiecutter.package_name }}/connector.h"

namespace {
{% if cookiecutter.input_kind == "subject" %}
using Input = inlet::SubjectInput<std::string>;
{%- else %}
using Input = {{ cookiecutter.cpp_namespace }}::{{ cookiecutter.connector_class }};
{%- endif %}

constexpr char kProgram[] = "{{ cookiecutter.project_slug }}";

// The input over the files named on the command line.
absl::StatusOr<std::unique_ptr<Input>> MakeInput(const std::vector<std::string>& args) {
  if (args.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no files given; usage: ", kProgram, " [flags] FILE..."));
  }
  std::vector<std::filesystem::path> paths(args.begin(), args.end());
{%- if cookiecutter.input_kind == "subject" %}
  return {{ cookiecutter.cpp_namespace }}::Make{{ cookiecutter.connector_class }}Input(std::move(paths));
{%- else %}
  return std::make_unique<Input>(std::move(paths));
{%- endif %}
}

}  // namespace

int main(int argc, char** argv) { return inlet::RunMain(argc, argv, MakeInput); }
