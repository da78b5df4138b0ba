// MessageDecoder (sdk/src/message_decoder.h) with a schema and format taken
// from the input, against a reference written from the contracts in
// inlet/schema.h and inlet/message.h:
// - Create accepts exactly the schemas those headers allow;
// - a JSON message decodes to the object the schema describes (converted
//   values, defaults, the primary key) or is rejected naming the first bad
//   field in schema order, "valid UTF-8" (at the offset of the first bad
//   byte) or "valid JSON";
// - raw payloads are accepted exactly when they are UTF-8, bytes always;
// - every error message is valid UTF-8 (Python turns it into a str) and a
//   decoded text message serializes as JSON (the sinks write it).
//
// Input layout, so one target covers every type:
//   byte 0: format (% 3: json, raw, bytes); bit 2: the payload is CBOR, decoded
//           into a value and handed to FromJson (the NextJson path);
//   byte 1: number of fields (% 5);
//   per field: a byte (type = % 6 in FieldType order, 0x10 primary key,
//           0x20 has a default), a name length (% 8) and the name, and with a
//           default, a length and the default's JSON text (kept only when it
//           parses);
//   the rest: the message.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fuzz_check.h"
#include "inlet/message.h"
#include "inlet/schema.h"
#include "message_decoder.h"
#include "nlohmann/json.hpp"
#include "utf8.h"

namespace {

using inlet::Field;
using inlet::FieldType;
using inlet::Message;
using inlet::MessageError;
using inlet::MessageFormat;
using nlohmann::json;

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  uint8_t Byte() {
    if (data_.empty()) return 0;
    const uint8_t byte = static_cast<uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return byte;
  }
  std::string_view Bytes(size_t count) {
    const std::string_view taken = data_.substr(0, count);
    data_.remove_prefix(taken.size());
    return taken;
  }
  std::string_view Rest() const { return data_; }

 private:
  std::string_view data_;
};

// The value `type` stores for `value`, or nullopt when it does not have the
// type (inlet/schema.h).
std::optional<json> Converted(FieldType type, const json& value) {
  switch (type) {
    case FieldType::kBool:
      if (value.is_boolean()) return value;
      return std::nullopt;
    case FieldType::kInt:
      if (value.is_number_unsigned()) {
        const uint64_t number = value.get<uint64_t>();
        if (number > uint64_t{std::numeric_limits<int64_t>::max()}) return std::nullopt;
        return json(static_cast<int64_t>(number));
      }
      if (value.is_number_integer()) return value;
      if (value.is_number_float()) {
        // An integral float in (-2^63, 2^63), as the decoder documents.
        const double number = value.get<double>();
        if (number > -9223372036854775808.0 && number < 9223372036854775808.0 &&
            static_cast<double>(static_cast<int64_t>(number)) == number) {
          return json(static_cast<int64_t>(number));
        }
      }
      return std::nullopt;
    case FieldType::kFloat:
      if (value.is_number()) return json(value.get<double>());
      return std::nullopt;
    case FieldType::kString:
      if (value.is_string()) return value;
      return std::nullopt;
    case FieldType::kBytes:
      if (value.is_binary()) return value;
      if (value.is_string()) {
        const std::string& text = value.get_ref<const std::string&>();
        return json::binary(std::vector<uint8_t>(text.begin(), text.end()));
      }
      return std::nullopt;
    case FieldType::kJson:
      return value;
  }
  return std::nullopt;
}

bool SchemaIsValid(MessageFormat format, const std::vector<Field>& schema) {
  if (!schema.empty() && format != MessageFormat::kJson) return false;
  std::set<std::string> names;
  for (const Field& field : schema) {
    if (field.name.empty() || !names.insert(field.name).second) return false;
    if (field.default_value.has_value() && !field.default_value->is_null() &&
        !Converted(field.type, *field.default_value).has_value()) {
      return false;
    }
  }
  return true;
}

// The expected decoding of a JSON value: the message, or the name of the
// field that is rejected ("" for the message as a whole).
std::variant<Message, std::string> Expected(const std::vector<Field>& schema, const json& value) {
  if (schema.empty()) return Message{.value = value};
  if (!value.is_object()) return std::string();
  Message message{.value = json::object()};
  std::vector<json> key;
  for (const Field& field : schema) {
    auto found = value.find(field.name);
    const bool absent =
        found == value.end() || (found->is_null() && field.type != FieldType::kJson);
    json stored;
    if (absent) {
      if (!field.default_value.has_value()) return field.name;
      stored = *field.default_value;
    } else {
      std::optional<json> converted = Converted(field.type, *found);
      if (!converted.has_value()) return field.name;
      stored = *std::move(converted);
    }
    if (field.primary_key) key.push_back(stored);
    message.value[field.name] = std::move(stored);
  }
  if (key.size() == 1 && key[0].is_string()) {
    message.key = key[0].get<std::string>();
  } else if (key.size() == 1) {
    message.key = key[0].dump();
  } else if (!key.empty()) {
    message.key = json(key).dump();
  }
  return message;
}

std::string Show(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// REQUIRES: the schema's names are UTF-8 (an error may quote them).
void CheckErrorText(const MessageError& error) {
  MessageError named = error;
  named.subject = "fuzz";
  named.message_number = 1;
  const std::string text = named.ToString();
  const std::optional<size_t> invalid = inlet::internal::FindInvalidUtf8(text);
  FUZZ_CHECK(!invalid.has_value(), "the error message is not UTF-8 (byte ", invalid.value_or(0),
             "): ", text);
}

void CheckDecoded(const inlet::internal::MessageDecoder::Result& result,
                  const std::vector<Field>& schema, const json& value) {
  const std::variant<Message, std::string> expected = Expected(schema, value);
  if (const auto* error = std::get_if<MessageError>(&result)) {
    CheckErrorText(*error);
    const auto* field = std::get_if<std::string>(&expected);
    FUZZ_CHECK(field != nullptr, "rejected (", error->field, ": expected ", error->expected,
               ", got ", error->got, ") but the reference accepts ", Show(value));
    FUZZ_CHECK(error->field == *field, "rejected field \"", error->field,
               "\", the reference rejects \"", *field, "\"");
    return;
  }
  const Message& got = std::get<Message>(result);
  const auto* message = std::get_if<Message>(&expected);
  FUZZ_CHECK(message != nullptr, "accepted ", Show(value), " as ", Show(got.value),
             " but the reference rejects field \"", std::get<std::string>(expected), "\"");
  // Compared as text: a float and an int of one value are equal as JSON values.
  FUZZ_CHECK(Show(got.value) == Show(message->value) && got.key == message->key, "decoded ",
             Show(value), " to key [", got.key, "] ", Show(got.value), ", the reference to key [",
             message->key, "] ", Show(message->value));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader input(std::string_view(reinterpret_cast<const char*>(data), size));
  const uint8_t mode = input.Byte();
  const auto format = static_cast<MessageFormat>(mode % 3);
  const bool cbor = (mode & 4) != 0;
  std::vector<Field> schema(input.Byte() % 5);
  for (Field& field : schema) {
    const uint8_t kind = input.Byte();
    field.type = static_cast<FieldType>(kind % 6);
    field.primary_key = (kind & 0x10) != 0;
    field.name = std::string(input.Bytes(input.Byte() % 8));
    if ((kind & 0x20) != 0) {
      json default_value = json::parse(input.Bytes(input.Byte()), nullptr, false);
      if (!default_value.is_discarded()) field.default_value = std::move(default_value);
    }
  }
  const std::string_view payload = input.Rest();

  absl::StatusOr<inlet::internal::MessageDecoder> decoder =
      inlet::internal::MessageDecoder::Create(format, schema);
  FUZZ_CHECK(decoder.ok() == SchemaIsValid(format, schema), "Create says ", decoder.status(),
             " for ", schema.size(), " fields, format ", mode % 3);
  // Messages quote field names and values; they are text when those are.
  bool names_are_text = true;
  for (const Field& field : schema) {
    names_are_text = names_are_text && !inlet::internal::FindInvalidUtf8(field.name).has_value();
  }
  if (!decoder.ok()) {
    const std::string message(decoder.status().message());
    FUZZ_CHECK(!names_are_text || !inlet::internal::FindInvalidUtf8(message).has_value(),
               "Create's message is not UTF-8: ", message);
    return 0;
  }
  if (!names_are_text) return 0;

  const std::optional<size_t> invalid = inlet::internal::FindInvalidUtf8(payload);
  switch (format) {
    case MessageFormat::kJson: {
      FUZZ_CHECK(decoder->decodes_json(), "a JSON decoder says it does not decode JSON");
      if (cbor) {
        // What a C++ subject may push with NextJson, binary values included.
        // Strings that are not UTF-8 are left out: no JSON text can carry them.
        // from_cbor throws out_of_range for a huge declared size even when
        // asked not to throw.
        json value;
        try {
          value = json::from_cbor(payload, true, false);
        } catch (const json::exception&) {
          return 0;
        }
        if (value.is_discarded()) return 0;
        try {
          value.dump();
        } catch (const json::type_error&) {
          return 0;
        }
        CheckDecoded(decoder->FromJson(value), schema, value);
        return 0;
      }
      const inlet::internal::MessageDecoder::Result result = decoder->FromText(payload);
      if (invalid.has_value()) {
        const auto* error = std::get_if<MessageError>(&result);
        FUZZ_CHECK(error != nullptr && error->expected == "valid UTF-8" &&
                       error->got.ends_with(absl::StrCat("at offset ", *invalid)),
                   "text that is not UTF-8 at ", *invalid, " was not rejected for it");
        CheckErrorText(*error);
        return 0;
      }
      const json value = json::parse(payload, nullptr, false);
      if (value.is_discarded()) {
        const auto* error = std::get_if<MessageError>(&result);
        FUZZ_CHECK(error != nullptr && error->expected == "valid JSON",
                   "text that is not JSON was not rejected for it");
        CheckErrorText(*error);
        return 0;
      }
      CheckDecoded(result, schema, value);
      if (const auto* message = std::get_if<Message>(&result)) {
        json written;
        to_json(written, *message);
        try {
          written.dump();
        } catch (const json::exception& e) {
          FUZZ_CHECK(false, "a decoded message does not serialize: ", e.what());
        }
      }
      return 0;
    }
    case MessageFormat::kRaw: {
      FUZZ_CHECK(!decoder->decodes_json(), "a raw decoder says it decodes JSON");
      const std::optional<MessageError> error = decoder->CheckPayload(payload);
      FUZZ_CHECK(error.has_value() == invalid.has_value(), "CheckPayload ",
                 error.has_value() ? "rejects" : "accepts", " a payload whose first bad byte is ",
                 invalid.has_value() ? absl::StrCat(*invalid) : "none");
      if (error.has_value()) {
        FUZZ_CHECK(error->got.ends_with(absl::StrCat("at offset ", *invalid)),
                   "the error names the wrong offset: ", error->got);
        CheckErrorText(*error);
        return 0;
      }
      const Message message = decoder->FromPayload(payload);
      FUZZ_CHECK(message.key.empty() && message.value == json(std::string(payload)),
                 "a raw payload decoded to ", Show(message.value));
      return 0;
    }
    case MessageFormat::kBytes: {
      FUZZ_CHECK(!decoder->CheckPayload(payload).has_value(), "a bytes payload was rejected");
      const Message message = decoder->FromPayload(payload);
      FUZZ_CHECK(message.key.empty() && message.value == json::binary(std::vector<uint8_t>(
                                                             payload.begin(), payload.end())),
                 "a bytes payload decoded to ", Show(message.value));
      return 0;
    }
  }
  return 0;
}
