#include "message_decoder.h"

#include <string>
#include <variant>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "utf8.h"

namespace inlet::internal {
namespace {

using ::testing::HasSubstr;

MessageDecoder Decoder(MessageFormat format, std::vector<Field> schema = {}) {
  absl::StatusOr<MessageDecoder> decoder = MessageDecoder::Create(format, std::move(schema));
  EXPECT_TRUE(decoder.ok()) << decoder.status();
  return *std::move(decoder);
}

Message Accepted(const MessageDecoder::Result& result) {
  if (const MessageError* error = std::get_if<MessageError>(&result)) {
    ADD_FAILURE() << "rejected: " << error->ToString();
    return {};
  }
  return std::get<Message>(result);
}

MessageError Rejected(const MessageDecoder::Result& result) {
  if (const Message* message = std::get_if<Message>(&result)) {
    ADD_FAILURE() << "accepted: " << nlohmann::json(*message).dump();
    return {};
  }
  return std::get<MessageError>(result);
}

const std::vector<Field> kOrders = {
    {.name = "id", .type = FieldType::kInt, .primary_key = true},
    {.name = "item", .type = FieldType::kString},
    {.name = "price", .type = FieldType::kFloat, .default_value = 0.0},
    {.name = "paid", .type = FieldType::kBool, .default_value = false},
    {.name = "photo", .type = FieldType::kBytes, .default_value = nullptr},
    {.name = "extra", .type = FieldType::kJson, .default_value = nullptr},
};

TEST(MessageDecoderTest, SchemaFillsDefaultsDropsUnknownFieldsAndSetsTheKey) {
  MessageDecoder decoder = Decoder(MessageFormat::kJson, kOrders);
  Message message = Accepted(decoder.FromText(R"({"id": 7, "item": "tea", "color": "red"})"));
  EXPECT_EQ(message.key, "7");
  EXPECT_EQ(message.value, nlohmann::json::parse(
                               R"({"id": 7, "item": "tea", "price": 0.0, "paid": false,
                                   "photo": null, "extra": null})"));
}

TEST(MessageDecoderTest, ConvertsNumbersAndBytesToTheFieldType) {
  MessageDecoder decoder = Decoder(MessageFormat::kJson, kOrders);
  Message message =
      Accepted(decoder.FromJson({{"id", 3.0}, {"item", "x"}, {"price", 2}, {"photo", "ab"}}));
  EXPECT_TRUE(message.value["id"].is_number_integer());
  EXPECT_TRUE(message.value["price"].is_number_float());
  EXPECT_EQ(message.value["photo"], nlohmann::json::binary({'a', 'b'}));
}

TEST(MessageDecoderTest, MissingRequiredFieldNamesTheField) {
  MessageError error = Rejected(Decoder(MessageFormat::kJson, kOrders).FromText(R"({"id": 1})"));
  EXPECT_EQ(error.field, "item");
  EXPECT_EQ(error.expected, "string");
  EXPECT_EQ(error.got, "nothing (the field is missing)");
}

TEST(MessageDecoderTest, WrongTypeSaysWhatWasExpectedAndWhatCame) {
  MessageError error =
      Rejected(Decoder(MessageFormat::kJson, kOrders).FromText(R"({"id": "x", "item": "a"})"));
  EXPECT_EQ(error.field, "id");
  EXPECT_EQ(error.expected, "int");
  EXPECT_EQ(error.got, R"(string "x")");
  error.subject = "orders";
  error.message_number = 17;
  EXPECT_EQ(error.ToString(),
            R"(subject "orders": message 17: field "id": expected int, got string "x")");
}

TEST(MessageDecoderTest, RejectsFractionsForIntAndNullForRequiredFields) {
  MessageDecoder decoder = Decoder(MessageFormat::kJson, kOrders);
  EXPECT_EQ(Rejected(decoder.FromText(R"({"id": 1.5, "item": "a"})")).got, "float 1.5");
  EXPECT_EQ(Rejected(decoder.FromText(R"({"id": 1, "item": null})")).got, "null");
  EXPECT_EQ(Rejected(decoder.FromText(R"({"id": 18446744073709551615, "item": "a"})")).field, "id");
}

TEST(MessageDecoderTest, MalformedJsonSaysWhere) {
  MessageError error = Rejected(Decoder(MessageFormat::kJson).FromText(R"({"id": 1,)"));
  EXPECT_EQ(error.field, "");
  EXPECT_EQ(error.expected, "valid JSON");
  EXPECT_THAT(error.got, HasSubstr("line 1, column 10"));
}

TEST(MessageDecoderTest, NonObjectWithSchemaIsRejected) {
  MessageError error = Rejected(Decoder(MessageFormat::kJson, kOrders).FromText("[1, 2]"));
  EXPECT_EQ(error.expected, "a JSON object");
  EXPECT_EQ(error.got, "array [1,2]");
}

TEST(MessageDecoderTest, WithoutSchemaAnyJsonPasses) {
  EXPECT_EQ(Accepted(Decoder(MessageFormat::kJson).FromText("[1, 2]")).value,
            nlohmann::json({1, 2}));
}

TEST(MessageDecoderTest, CompositeAndStringKeys) {
  MessageDecoder by_name = Decoder(
      MessageFormat::kJson, {{.name = "name", .type = FieldType::kString, .primary_key = true}});
  EXPECT_EQ(Accepted(by_name.FromJson({{"name", "ada"}})).key, "ada");
  MessageDecoder by_pair =
      Decoder(MessageFormat::kJson, {{.name = "a", .type = FieldType::kString, .primary_key = true},
                                     {.name = "b", .type = FieldType::kInt, .primary_key = true}});
  EXPECT_EQ(Accepted(by_pair.FromJson({{"a", "x"}, {"b", 2}})).key, R"(["x",2])");
}

TEST(MessageDecoderTest, RawFormatChecksUtf8AndSaysWhichByte) {
  MessageDecoder decoder = Decoder(MessageFormat::kRaw);
  EXPECT_EQ(decoder.CheckPayload("h\xC3\xA9llo"), std::nullopt);
  EXPECT_EQ(decoder.FromPayload("h\xC3\xA9llo").value, "h\xC3\xA9llo");
  std::optional<MessageError> error = decoder.CheckPayload("abcd\xC3(");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->expected, "valid UTF-8");
  EXPECT_EQ(error->got, "byte 0xC3 at offset 4");
}

TEST(MessageDecoderTest, BytesFormatTakesAnyBytes) {
  MessageDecoder decoder = Decoder(MessageFormat::kBytes);
  const std::string_view bytes("\xFF\x00", 2);
  EXPECT_EQ(decoder.CheckPayload(bytes), std::nullopt);
  EXPECT_EQ(decoder.FromPayload(bytes).value, nlohmann::json::binary({0xFF, 0x00}));
}

TEST(MessageDecoderTest, InvalidSchemasAreRefusedWithTheReason) {
  EXPECT_THAT(MessageDecoder::Create(MessageFormat::kRaw, kOrders).status().message(),
              HasSubstr("only to the JSON format"));
  EXPECT_THAT(MessageDecoder::Create(MessageFormat::kJson, {{.name = "a"}, {.name = "a"}})
                  .status()
                  .message(),
              HasSubstr("\"a\" appears twice"));
  EXPECT_THAT(
      MessageDecoder::Create(MessageFormat::kJson,
                             {{.name = "n", .type = FieldType::kInt, .default_value = "zero"}})
          .status()
          .message(),
      HasSubstr("field \"n\" has type int but its default is string \"zero\""));
}

TEST(Utf8Test, FindsTheFirstInvalidByte) {
  EXPECT_EQ(FindInvalidUtf8("plain ascii text, longer than eight"), std::nullopt);
  EXPECT_EQ(FindInvalidUtf8("\xE2\x82\xAC \xF0\x9F\x98\x80"), std::nullopt);  // Euro, emoji.
  EXPECT_EQ(FindInvalidUtf8("\xC0\xAF"), 0u);                                 // Overlong.
  EXPECT_EQ(FindInvalidUtf8("ab\xED\xA0\x80"), 2u);                           // Surrogate.
  EXPECT_EQ(FindInvalidUtf8("\xF4\x90\x80\x80"), 0u);                         // > U+10FFFF.
  EXPECT_EQ(FindInvalidUtf8("12345678\xE2\x82"), 8u);                         // Truncated.
  EXPECT_EQ(FindInvalidUtf8("\x80"), 0u);                                     // Lone continuation.
}

}  // namespace
}  // namespace inlet::internal
