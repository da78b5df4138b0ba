// How items, resume states and wake-up times cross from C++ to Python when a
// connector runs under a Python engine (see export.h). Every conversion is a
// nanobind type caster, so an item type converts when nanobind can cast it:
//
//   C++ item                              Python value
//   std::string, std::string_view         str (the bytes must be UTF-8)
//   std::vector<std::byte>                bytes
//   bool, integers, floating point        bool, int, float
//   nlohmann::json                        None/bool/int/float/str/list/dict (binary: bytes)
//   std::pair, std::tuple                 tuple (a (key, value) pair is a keyed item)
//   std::optional<T>, std::vector<T>      None or T's value, list
//
// The hook for a custom item type `T` is nanobind's own: either bind it as a
// class (`nanobind::class_<T>(module, "T")`, items then arrive as instances
// of that class), or specialize `nanobind::detail::type_caster<T>` with a
// `from_cpp` (see nanobind's "Custom type casters") in a header included
// before the `Export*Input` call that uses `T`.
//
// A resume state travels as JSON: `State` converts to `nlohmann::json`, which
// becomes a plain Python value (picklable, so Bytewax's recovery stores it),
// and back. A wake-up time becomes a timezone-aware `datetime` in UTC.
//
// Every function here needs the GIL.

#ifndef INLET_PYTHON_CONVERSIONS_H_
#define INLET_PYTHON_CONVERSIONS_H_

#include <nanobind/nanobind.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/string_view.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace inlet::python {

namespace internal {

struct StringViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

// Takes ownership of `built`, a new reference from the Python C API, or
// throws the error Python raised when it is null.
inline nanobind::object Checked(PyObject* built) {
  if (built == nullptr) throw nanobind::python_error();
  return nanobind::steal(built);
}

// Returns `key` as a Python str. Object keys repeat from one item to the
// next, so the first 4096 short ones are kept (for the life of the process:
// the strs refer to nothing) and reused, with no new string and no new hash
// per key. The GIL guards the cache.
inline nanobind::object DictKey(std::string_view key) {
  namespace nb = nanobind;
  constexpr size_t kMaxKeys = 4096;
  constexpr size_t kMaxKeyLength = 64;
  static auto* const cache =
      new std::unordered_map<std::string, PyObject*, StringViewHash, std::equal_to<>>();
  if (key.size() <= kMaxKeyLength) {
    auto found = cache->find(key);
    if (found != cache->end()) return nb::borrow(found->second);
  }
  PyObject* text = PyUnicode_FromStringAndSize(key.data(), static_cast<Py_ssize_t>(key.size()));
  if (text == nullptr) throw nb::python_error();
  if (key.size() <= kMaxKeyLength && cache->size() < kMaxKeys) {
    cache->emplace(std::string(key), text);
    Py_INCREF(text);
  }
  return nb::steal(text);
}

}  // namespace internal

// Converts `value` to the Python value described above. Throws
// `nanobind::python_error` when Python cannot build it (a string that is not
// UTF-8, for example).
inline nanobind::object JsonToPython(const nlohmann::json& value) {
  namespace nb = nanobind;
  using Type = nlohmann::json::value_t;
  using internal::Checked;
  switch (value.type()) {
    case Type::null:
    case Type::discarded:
      return nb::none();
    case Type::boolean:
      return nb::bool_(value.get<bool>());
    case Type::number_integer:
      return Checked(PyLong_FromLongLong(value.get<int64_t>()));
    case Type::number_unsigned:
      return Checked(PyLong_FromUnsignedLongLong(value.get<uint64_t>()));
    case Type::number_float:
      return Checked(PyFloat_FromDouble(value.get<double>()));
    case Type::string: {
      const std::string& text = value.get_ref<const std::string&>();
      return Checked(
          PyUnicode_FromStringAndSize(text.data(), static_cast<Py_ssize_t>(text.size())));
    }
    case Type::binary: {
      const nlohmann::json::binary_t& bytes = value.get_binary();
      return Checked(PyBytes_FromStringAndSize(reinterpret_cast<const char*>(bytes.data()),
                                               static_cast<Py_ssize_t>(bytes.size())));
    }
    case Type::array: {
      nb::object list = Checked(PyList_New(static_cast<Py_ssize_t>(value.size())));
      Py_ssize_t index = 0;
      for (const nlohmann::json& element : value) {
        PyList_SET_ITEM(list.ptr(), index++, JsonToPython(element).release().ptr());
      }
      return list;
    }
    case Type::object: {
      nb::object dict = Checked(PyDict_New());
      for (const auto& [key, element] : value.items()) {
        nb::object py_key = internal::DictKey(key);
        if (PyDict_SetItem(dict.ptr(), py_key.ptr(), JsonToPython(element).ptr()) != 0) {
          throw nb::python_error();
        }
      }
      return dict;
    }
  }
  return nb::none();
}

// Converts a Python value (None, bool, int, float, str, bytes, and lists,
// tuples and str-keyed dicts of those) to JSON. Throws
// `nanobind::type_error` for anything else, naming the type.
inline nlohmann::json JsonFromPython(nanobind::handle value) {
  namespace nb = nanobind;
  PyObject* object = value.ptr();
  if (object == Py_None) return nullptr;
  if (PyBool_Check(object)) return object == Py_True;
  if (PyLong_Check(object)) {
    int overflow = 0;
    const long long signed_value = PyLong_AsLongLongAndOverflow(object, &overflow);
    if (overflow == 0) {
      if (signed_value == -1 && PyErr_Occurred()) throw nb::python_error();
      return static_cast<int64_t>(signed_value);
    }
    if (overflow > 0) {
      const unsigned long long unsigned_value = PyLong_AsUnsignedLongLong(object);
      if (!PyErr_Occurred()) return static_cast<uint64_t>(unsigned_value);
      PyErr_Clear();
    }
    throw nb::type_error("an int outside the 64-bit range does not convert to JSON");
  }
  if (PyFloat_Check(object)) return PyFloat_AS_DOUBLE(object);
  if (PyUnicode_Check(object)) {
    Py_ssize_t size = 0;
    const char* text = PyUnicode_AsUTF8AndSize(object, &size);
    if (text == nullptr) throw nb::python_error();
    return std::string(text, static_cast<size_t>(size));
  }
  if (PyBytes_Check(object)) {
    const auto* data = reinterpret_cast<const uint8_t*>(PyBytes_AS_STRING(object));
    return nlohmann::json::binary(std::vector<uint8_t>(data, data + PyBytes_GET_SIZE(object)));
  }
  if (PyDict_Check(object)) {
    nlohmann::json result = nlohmann::json::object();
    PyObject* key = nullptr;
    PyObject* element = nullptr;
    Py_ssize_t position = 0;
    while (PyDict_Next(object, &position, &key, &element)) {
      if (!PyUnicode_Check(key))
        throw nb::type_error("a dict with a key that is not a str does not convert to JSON");
      result[nb::cast<std::string>(nb::handle(key))] = JsonFromPython(element);
    }
    return result;
  }
  if (PyList_Check(object) || PyTuple_Check(object)) {
    nlohmann::json result = nlohmann::json::array();
    for (nb::handle element : value) result.push_back(JsonFromPython(element));
    return result;
  }
  throw nb::type_error(
      (nb::type_name(value.type()).c_str() + std::string(" does not convert to JSON")).c_str());
}

// Converts `time` to a timezone-aware `datetime` in UTC, to the microsecond.
// Times beyond `datetime`'s range (including `absl::InfiniteFuture()` and
// `absl::InfinitePast()`) become `datetime.max` or `datetime.min` in UTC.
inline nanobind::object TimeToDatetime(absl::Time time) {
  namespace nb = nanobind;
  // Held for the life of the process: released objects would be destroyed
  // after the interpreter at exit.
  static PyObject* const datetime_module = nb::module_::import_("datetime").release().ptr();
  nb::handle module(datetime_module);
  nb::object utc = module.attr("timezone").attr("utc");
  nb::object datetime = module.attr("datetime");
  static const absl::Time kMin =
      absl::FromCivil(absl::CivilSecond(1, 1, 2, 0, 0, 0), absl::UTCTimeZone());
  static const absl::Time kMax =
      absl::FromCivil(absl::CivilSecond(9999, 12, 30, 0, 0, 0), absl::UTCTimeZone());
  if (time < kMin) return datetime.attr("min").attr("replace")(nb::arg("tzinfo") = utc);
  if (time > kMax) return datetime.attr("max").attr("replace")(nb::arg("tzinfo") = utc);
  const int64_t micros = absl::ToUnixMicros(time);
  int64_t seconds = micros / 1'000'000;
  int64_t remainder = micros % 1'000'000;
  if (remainder < 0) {
    remainder += 1'000'000;
    seconds -= 1;
  }
  nb::object epoch = datetime(1970, 1, 1, nb::arg("tzinfo") = utc);
  return epoch + module.attr("timedelta")(nb::arg("seconds") = seconds,
                                          nb::arg("microseconds") = remainder);
}

}  // namespace inlet::python

namespace nanobind::detail {

template <>
struct type_caster<nlohmann::json> {
  NB_TYPE_CASTER(nlohmann::json, const_name("object"))

  bool from_python(handle source, uint8_t, cleanup_list*) noexcept {
    try {
      value = inlet::python::JsonFromPython(source);
      return true;
    } catch (...) {
      PyErr_Clear();
      return false;
    }
  }

  static handle from_cpp(const nlohmann::json& source, rv_policy, cleanup_list*) noexcept {
    try {
      return inlet::python::JsonToPython(source).release();
    } catch (python_error& error) {
      error.restore();
      return handle();
    } catch (...) {
      return handle();
    }
  }
};

template <>
struct type_caster<std::vector<std::byte>> {
  NB_TYPE_CASTER(std::vector<std::byte>, const_name("bytes"))

  bool from_python(handle source, uint8_t, cleanup_list*) noexcept {
    if (!PyBytes_Check(source.ptr())) return false;
    const auto* data = reinterpret_cast<const std::byte*>(PyBytes_AS_STRING(source.ptr()));
    value.assign(data, data + PyBytes_GET_SIZE(source.ptr()));
    return true;
  }

  static handle from_cpp(const std::vector<std::byte>& source, rv_policy, cleanup_list*) noexcept {
    return PyBytes_FromStringAndSize(reinterpret_cast<const char*>(source.data()),
                                     static_cast<Py_ssize_t>(source.size()));
  }
};

}  // namespace nanobind::detail

#endif  // INLET_PYTHON_CONVERSIONS_H_
