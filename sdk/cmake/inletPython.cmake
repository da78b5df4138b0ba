# inlet_add_python_module(<name> SOURCES <source>...)
#
# Builds the Python extension module <name> (a nanobind module) from
# connector sources that export inputs with inlet/python/export.h, linked to
# inlet::inlet. Install it where the Python package expects it, e.g.
#   install(TARGETS <name> LIBRARY DESTINATION <package>)
# (with scikit-build-core, relative to the wheel's root).
#
# Finds the Python interpreter (set Python_EXECUTABLE to choose one) and
# nanobind, which must be installed for it (`pip install nanobind`). Loaded by
# `find_package(inlet CONFIG REQUIRED COMPONENTS python)`.
find_package(Python 3.8 REQUIRED COMPONENTS Interpreter Development.Module)
if(NOT nanobind_DIR)
  execute_process(
    COMMAND "${Python_EXECUTABLE}" -m nanobind --cmake_dir
    OUTPUT_VARIABLE nanobind_DIR OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
endif()
find_package(nanobind CONFIG REQUIRED)

function(inlet_add_python_module name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES")
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "inlet_add_python_module(${name}): no SOURCES given")
  endif()
  # NOMINSIZE: items cross into Python by the million, so optimize for speed.
  # NB_DOMAIN: modules of different connectors never share bound types.
  nanobind_add_module(${name} NOMINSIZE NB_SUPPRESS_WARNINGS NB_DOMAIN ${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE inlet::python)
endfunction()
