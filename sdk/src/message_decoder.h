// Turns what a `ConnectorSubject` pushes into a `Message`, following the
// adapter's format and schema, or says why it cannot.

#ifndef INLET_SRC_MESSAGE_DECODER_H_
#define INLET_SRC_MESSAGE_DECODER_H_

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "inlet/message.h"
#include "inlet/schema.h"
#include "nlohmann/json.hpp"
#include "utf8.h"

namespace inlet::internal {

class MessageDecoder {
 public:
  // A decoded message, or the reason it was rejected (without the subject's
  // name and the message number, which the caller knows).
  using Result = std::variant<Message, MessageError>;

  // Fails on a schema with a non-JSON format, an empty or duplicate field
  // name, or a default value of the wrong type.
  static absl::StatusOr<MessageDecoder> Create(MessageFormat format, std::vector<Field> schema);

  bool decodes_json() const { return format_ == MessageFormat::kJson; }

  // The JSON format: a value checked against the schema, or text parsed
  // into one first.
  Result FromJson(nlohmann::json message) const { return Validate(std::move(message)); }
  Result FromText(std::string_view text) const;

  // The raw and bytes formats in two steps, so a payload can travel as bytes
  // and become a `Message` on another thread: why `payload` is rejected (raw:
  // invalid UTF-8), then the message of an accepted payload.
  std::optional<MessageError> CheckPayload(std::string_view payload) const {
    if (format_ != MessageFormat::kRaw) return std::nullopt;
    std::optional<size_t> invalid = FindInvalidUtf8(payload);
    if (!invalid.has_value()) return std::nullopt;
    return InvalidUtf8(*invalid, payload);
  }
  Message FromPayload(std::string_view payload) const;

 private:
  MessageDecoder(MessageFormat format, std::vector<Field> schema)
      : format_(format), schema_(std::move(schema)) {}

  static MessageError InvalidUtf8(size_t offset, std::string_view text);
  Result Validate(nlohmann::json message) const;

  MessageFormat format_;
  std::vector<Field> schema_;
};

// A short description of a JSON value for error messages: its type and,
// abbreviated, its text (`string "x"`, `number 1.5`, `null`).
std::string DescribeJson(const nlohmann::json& value);

}  // namespace inlet::internal

#endif  // INLET_SRC_MESSAGE_DECODER_H_
