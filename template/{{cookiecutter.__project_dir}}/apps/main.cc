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
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "inlet/run_main.h"
#include "{{ cookiecutter.package_name }}/connector.h"

{%- if cookiecutter.input_kind == "subject" %}
{%- set input_type = "inlet::SubjectInput<std::string>" %}
{%- else %}
{%- set input_type = cookiecutter.cpp_namespace ~ "::" ~ cookiecutter.connector_class %}
{%- endif %}

int main(int argc, char** argv) {
  return inlet::RunMain(argc, argv,
                        [](const std::vector<std::string>& args)
                            -> absl::StatusOr<std::unique_ptr<{{ input_type }}>> {
                          if (args.empty()) {
                            return absl::InvalidArgumentError(
                                "no files given; usage: {{ cookiecutter.project_slug }} [flags] FILE...");
                          }
                          std::vector<std::filesystem::path> paths(args.begin(), args.end());
{%- if cookiecutter.input_kind == "subject" %}
                          return {{ cookiecutter.cpp_namespace }}::Make{{ cookiecutter.connector_class }}Input(std::move(paths));
{%- else %}
                          return std::make_unique<{{ input_type }}>(std::move(paths));
{%- endif %}
                        });
}
