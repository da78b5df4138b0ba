// The Python module `{{ cookiecutter.package_name }}._{{ cookiecutter.package_name }}`: the connector exported
// with inlet's helpers, so `inlet.bytewax` runs it on Bytewax. Constructors
// added here become the Python class's constructors.

#include <nanobind/nanobind.h>
#include <nanobind/stl/filesystem.h>
{%- if cookiecutter.input_kind == "subject" %}
#include <nanobind/stl/unique_ptr.h>
{%- endif %}
#include <nanobind/stl/vector.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "inlet/python/export.h"
{%- if cookiecutter.input_kind == "subject" %}
#include "inlet/subject_input.h"
{%- endif %}
#include "{{ cookiecutter.package_name }}/connector.h"

namespace nb = nanobind;
using namespace nb::literals;

NB_MODULE(_{{ cookiecutter.package_name }}, m) {
  m.doc() = "{{ cookiecutter.description }}";
{%- if cookiecutter.input_kind == "subject" %}
  inlet::python::ExportPartitionedInput<inlet::SubjectInput<std::string>>(m, "{{ cookiecutter.connector_class }}Input")
      .def(nb::new_([](std::vector<std::filesystem::path> paths) {
             return {{ cookiecutter.cpp_namespace }}::Make{{ cookiecutter.connector_class }}Input(std::move(paths));
           }),
           "paths"_a, "Reads `paths`, one subject per file, each line a message.");
{%- elif cookiecutter.input_kind == "dynamic" %}
  inlet::python::ExportDynamicInput<{{ cookiecutter.cpp_namespace }}::{{ cookiecutter.connector_class }}>(m, "{{ cookiecutter.connector_class }}")
      .def(nb::init<std::vector<std::filesystem::path>>(), "paths"_a,
           "Reads `paths`, shared out over the workers, each line an item.");
{%- else %}
  inlet::python::ExportPartitionedInput<{{ cookiecutter.cpp_namespace }}::{{ cookiecutter.connector_class }}>(m, "{{ cookiecutter.connector_class }}")
      .def(nb::init<std::vector<std::filesystem::path>>(), "paths"_a,
           "Reads `paths`, one partition per file, each line an item.");
{%- endif %}
}
