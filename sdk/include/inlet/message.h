// `Message` is the item a `ConnectorSubject` produces once the subject
// adapter (subject_input.h) has decoded and validated what the subject pushed;
// `MessageError` says why a pushed message was rejected.

#ifndef INLET_MESSAGE_H_
#define INLET_MESSAGE_H_

#include <cstdint>
#include <string>

#include "nlohmann/json.hpp"

namespace inlet {

// How the adapter reads what a subject pushes (Pathway's `format`).
enum class MessageFormat {
  kJson,   // A JSON value; with a schema, an object whose fields it checks.
  kRaw,    // Text that must be valid UTF-8; the value is a JSON string.
  kBytes,  // Any bytes; the value is a JSON binary.
};

struct Message {
  // The primary key: empty without one; the field's text when the key is one
  // string field; otherwise the key value (or array of values) as JSON text.
  std::string key = {};
  // With a schema, an object holding exactly the schema's fields (defaults
  // filled in); otherwise the decoded message itself.
  nlohmann::json value = {};

  bool operator==(const Message&) const = default;
};

// Written as the value alone, or as `[key, value]` when there is a key.
void to_json(nlohmann::json& json, const Message& message);

struct MessageError {
  std::string subject = {};    // The subject's name (and partition).
  int64_t message_number = 0;  // 1-based, in the order the subject pushed.
  std::string field = {};      // Empty when the message as a whole is bad.
  std::string expected = {};   // For example "int" or "valid UTF-8".
  std::string got = {};        // For example `string "x"` or "byte 0xC3 at offset 5".

  // `subject "orders": message 17: field "id": expected int, got string "x"`.
  std::string ToString() const;
};

}  // namespace inlet

#endif  // INLET_MESSAGE_H_
