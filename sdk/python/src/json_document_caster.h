// Converts a parsed JSON line (simdjson's DOM) to Python values: objects
// to dicts, arrays to lists, and None/bool/int/float/str, as conversions.h
// converts `nlohmann::json`.

#ifndef INLET_PYTHON_SRC_JSON_DOCUMENT_CASTER_H_
#define INLET_PYTHON_SRC_JSON_DOCUMENT_CASTER_H_

#include <nanobind/nanobind.h>
#include <simdjson.h>

#include <cstdint>
#include <string_view>

#include "inlet/python/conversions.h"
#include "json_lines_input.h"

namespace inlet::python {

// REQUIRES: the GIL is held. Throws `nanobind::python_error` when Python
// cannot build a value.
inline nanobind::object JsonElementToPython(simdjson::dom::element element) {
  namespace nb = nanobind;
  using Type = simdjson::dom::element_type;
  using internal::Checked;
  switch (element.type()) {
    case Type::ARRAY: {
      nb::object list = Checked(PyList_New(0));
      const simdjson::dom::array array = element.get_array().value_unsafe();
      for (simdjson::dom::element child : array) {
        if (PyList_Append(list.ptr(), JsonElementToPython(child).ptr()) != 0) {
          throw nb::python_error();
        }
      }
      return list;
    }
    case Type::OBJECT: {
      nb::object dict = Checked(PyDict_New());
      const simdjson::dom::object object = element.get_object().value_unsafe();
      for (simdjson::dom::key_value_pair field : object) {
        if (PyDict_SetItem(dict.ptr(), internal::DictKey(field.key).ptr(),
                           JsonElementToPython(field.value).ptr()) != 0) {
          throw nb::python_error();
        }
      }
      return dict;
    }
    case Type::INT64:
      return Checked(PyLong_FromLongLong(element.get_int64().value_unsafe()));
    case Type::UINT64:
      return Checked(PyLong_FromUnsignedLongLong(element.get_uint64().value_unsafe()));
    case Type::DOUBLE:
      return Checked(PyFloat_FromDouble(element.get_double().value_unsafe()));
    case Type::STRING: {
      const std::string_view text = element.get_string().value_unsafe();
      return Checked(
          PyUnicode_FromStringAndSize(text.data(), static_cast<Py_ssize_t>(text.size())));
    }
    case Type::BOOL:
      return nb::bool_(element.get_bool().value_unsafe());
    case Type::NULL_VALUE:
      return nb::none();
  }
  return nb::none();
}

}  // namespace inlet::python

namespace nanobind::detail {

template <>
struct type_caster<inlet::python::ParsedJson> {
  NB_TYPE_CASTER(inlet::python::ParsedJson, const_name("object"))

  bool from_python(handle, uint8_t, cleanup_list*) noexcept { return false; }

  static handle from_cpp(const inlet::python::ParsedJson& parsed, rv_policy,
                         cleanup_list*) noexcept {
    try {
      return inlet::python::JsonElementToPython(parsed.document->root()).release();
    } catch (python_error& error) {
      error.restore();
      return handle();
    }
  }
};

}  // namespace nanobind::detail

#endif  // INLET_PYTHON_SRC_JSON_DOCUMENT_CASTER_H_
