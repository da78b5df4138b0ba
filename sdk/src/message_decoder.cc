#include "message_decoder.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "utf8.h"

namespace inlet::internal {
namespace {

constexpr size_t kDescribedTextLimit = 40;

// The field's value converted to its type, or `std::nullopt` when it does
// not have that type.
std::optional<nlohmann::json> Convert(FieldType type, const nlohmann::json& value) {
  switch (type) {
    case FieldType::kBool:
      if (value.is_boolean()) return value;
      break;
    case FieldType::kInt:
      if (value.is_number_unsigned()) {
        if (value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          break;
        }
        return nlohmann::json(value.get<int64_t>());
      }
      if (value.is_number_integer()) return value;
      if (value.is_number_float()) {
        const double number = value.get<double>();
        // Within (-2^63, 2^63): every such integral double is an int64.
        if (std::trunc(number) == number && std::fabs(number) < 9.2233720368547758e18) {
          return nlohmann::json(static_cast<int64_t>(number));
        }
      }
      break;
    case FieldType::kFloat:
      if (value.is_number()) return nlohmann::json(value.get<double>());
      break;
    case FieldType::kString:
      if (value.is_string()) return value;
      break;
    case FieldType::kBytes:
      if (value.is_binary()) return value;
      if (value.is_string()) {
        const std::string& text = value.get_ref<const std::string&>();
        return nlohmann::json::binary(std::vector<uint8_t>(text.begin(), text.end()));
      }
      break;
    case FieldType::kJson:
      return value;
  }
  return std::nullopt;
}

MessageError Rejected(std::string field, std::string expected, std::string got) {
  return MessageError{
      .field = std::move(field), .expected = std::move(expected), .got = std::move(got)};
}

std::vector<uint8_t> BytesOf(std::string_view text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

}  // namespace

std::string DescribeJson(const nlohmann::json& value) {
  if (value.is_null()) return "null";
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > kDescribedTextLimit) {
    // Cut before a whole character: the message must stay UTF-8 (Python
    // makes a str of it).
    size_t cut = kDescribedTextLimit;
    while (cut > 0 && (static_cast<uint8_t>(text[cut]) & 0xC0) == 0x80) --cut;
    text = absl::StrCat(text.substr(0, cut), "...");
  }
  absl::string_view kind = value.type_name();
  if (value.is_number_float()) kind = "float";
  if (value.is_number_integer()) kind = "int";
  return absl::StrCat(kind, " ", text);
}

absl::StatusOr<MessageDecoder> MessageDecoder::Create(MessageFormat format,
                                                      std::vector<Field> schema) {
  if (!schema.empty() && format != MessageFormat::kJson) {
    return absl::InvalidArgumentError(
        "a schema applies only to the JSON format; the raw and bytes formats have no fields");
  }
  std::set<std::string> names;
  for (const Field& field : schema) {
    if (field.name.empty()) return absl::InvalidArgumentError("schema: a field has no name");
    if (!names.insert(field.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("schema: field \"", field.name, "\" appears twice; names must be unique"));
    }
    if (field.default_value.has_value() && !field.default_value->is_null() &&
        !Convert(field.type, *field.default_value).has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("schema: field \"", field.name, "\" has type ", FieldTypeName(field.type),
                       " but its default is ", DescribeJson(*field.default_value)));
    }
  }
  return MessageDecoder(format, std::move(schema));
}

MessageError MessageDecoder::InvalidUtf8(size_t offset, std::string_view text) {
  return Rejected(
      "", "valid UTF-8",
      absl::StrFormat("byte 0x%02X at offset %d", static_cast<uint8_t>(text[offset]), offset));
}

Message MessageDecoder::FromPayload(std::string_view payload) const {
  if (format_ == MessageFormat::kBytes)
    return Message{.value = nlohmann::json::binary(BytesOf(payload))};
  return Message{.value = std::string(payload)};
}

MessageDecoder::Result MessageDecoder::FromText(std::string_view text) const {
  if (std::optional<size_t> invalid = FindInvalidUtf8(text)) return InvalidUtf8(*invalid, text);
  nlohmann::json message;
  try {
    message = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // A parse_error, or out_of_range for 1e400.
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 5: ..."
    if (size_t bracket = what.find("] "); bracket != std::string::npos) what.erase(0, bracket + 2);
    // Its "last read: '...'" may end inside a character; the message must
    // stay UTF-8.
    while (std::optional<size_t> bad = FindInvalidUtf8(what)) what[*bad] = '?';
    return Rejected("", "valid JSON", what);
  }
  return Validate(std::move(message));
}

MessageDecoder::Result MessageDecoder::Validate(nlohmann::json message) const {
  if (schema_.empty()) return Message{.value = std::move(message)};
  if (!message.is_object()) return Rejected("", "a JSON object", DescribeJson(message));
  Message result{.value = nlohmann::json::object()};
  std::vector<const nlohmann::json*> key_values;
  bool one_string_key = true;
  for (const Field& field : schema_) {
    auto found = message.find(field.name);
    const bool absent =
        found == message.end() || (found->is_null() && field.type != FieldType::kJson);
    nlohmann::json value;
    if (absent) {
      if (!field.default_value.has_value()) {
        return Rejected(field.name, FieldTypeName(field.type),
                        found == message.end() ? "nothing (the field is missing)" : "null");
      }
      value = *field.default_value;
    } else {
      std::optional<nlohmann::json> converted = Convert(field.type, *found);
      if (!converted.has_value()) {
        return Rejected(field.name, FieldTypeName(field.type), DescribeJson(*found));
      }
      value = *std::move(converted);
    }
    nlohmann::json& stored = result.value[field.name] = std::move(value);
    if (field.primary_key) {
      key_values.push_back(&stored);
      one_string_key = one_string_key && stored.is_string();
    }
  }
  if (key_values.size() == 1 && one_string_key) {
    result.key = key_values[0]->get<std::string>();
  } else if (key_values.size() == 1) {
    result.key = key_values[0]->dump();
  } else if (!key_values.empty()) {
    nlohmann::json key = nlohmann::json::array();
    for (const nlohmann::json* value : key_values) key.push_back(*value);
    result.key = key.dump();
  }
  return result;
}

}  // namespace inlet::internal
