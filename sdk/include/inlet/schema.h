// A schema for the messages of a `ConnectorSubject` read in the JSON format
// (Pathway's `pw.Schema`): named, typed fields, each required or defaulted,
// and optionally a primary key that becomes the message's key.
//
//   std::vector<inlet::Field> schema = {
//       {.name = "id", .type = inlet::FieldType::kInt, .primary_key = true},
//       {.name = "text", .type = inlet::FieldType::kString},
//       {.name = "score", .type = inlet::FieldType::kFloat, .default_value = 0.0},
//   };

#ifndef INLET_SCHEMA_H_
#define INLET_SCHEMA_H_

#include <optional>
#include <string>

#include "nlohmann/json.hpp"

namespace inlet {

enum class FieldType {
  kBool,
  kInt,     // A JSON integer (a float with a fractional part is rejected).
  kFloat,   // Any JSON number, stored as a float.
  kString,  // A JSON string.
  kBytes,   // A JSON binary, or a string taken as its bytes; stored as binary.
  kJson,    // Any JSON value, null included.
};

struct Field {
  std::string name = {};
  FieldType type = FieldType::kJson;
  // A field with a default may be missing (or null) and then takes it; a
  // field without one is required, and null is accepted only for kJson.
  std::optional<nlohmann::json> default_value = std::nullopt;
  // The primary key fields, in schema order, make up `Message::key`.
  bool primary_key = false;
};

// The type's name as error messages and the Python side spell it: "bool",
// "int", "float", "string", "bytes" or "json".
const char* FieldTypeName(FieldType type);

}  // namespace inlet

#endif  // INLET_SCHEMA_H_
