// Inputs the fuzz targets (fuzz/) found, each fed to the same code as the
// target fed it; the inputs are also in the targets' seed corpora
// (fuzz/corpus/<target>/crash-*), so every fuzz run tries them again.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "inlet/message.h"
#include "inlet/schema.h"
#include "message_decoder.h"
#include "recovery_store.h"
#include "test_support.h"
#include "utf8.h"

namespace inlet::internal {
namespace {

MessageError Rejected(const MessageDecoder& decoder, const std::string& text) {
  const MessageDecoder::Result result = decoder.FromText(text);
  EXPECT_TRUE(std::holds_alternative<MessageError>(result)) << "accepted: " << text;
  return std::holds_alternative<MessageError>(result) ? std::get<MessageError>(result)
                                                      : MessageError{};
}

// message_decoder_fuzzer: the abbreviated value in a rejection was cut at 40
// bytes, inside a two-byte character, so the message was not UTF-8 (and
// Python, which makes a str of it, raised UnicodeDecodeError instead).
TEST(FuzzRegressionTest, AbbreviatedValuesInRejectionsStayUtf8) {
  absl::StatusOr<MessageDecoder> decoder =
      MessageDecoder::Create(MessageFormat::kJson, {{.name = "n", .type = FieldType::kInt}});
  ASSERT_TRUE(decoder.ok()) << decoder.status();
  std::string accents;
  for (int i = 0; i < 30; ++i) accents += "\xC3\xA9";  // U+00E9, two bytes each.
  const MessageError error = Rejected(*decoder, "{\"n\": \"" + accents + "\"}");
  EXPECT_EQ(FindInvalidUtf8(error.got), std::nullopt) << error.got;
  // The quote and 19 whole characters (39 bytes) fit in the 40-byte budget.
  EXPECT_EQ(error.got, "string \"" + accents.substr(0, 38) + "...");
}

// message_decoder_fuzzer (crash-parse-error-cuts-character): the JSON
// parser's "last read: '...'" ended inside a three-byte character.
TEST(FuzzRegressionTest, JsonParseErrorsStayUtf8) {
  absl::StatusOr<MessageDecoder> decoder = MessageDecoder::Create(MessageFormat::kJson, {});
  ASSERT_TRUE(decoder.ok()) << decoder.status();
  const MessageError error = Rejected(*decoder, "[\"\xE2\x82\xAC\", \xE2\x82\xAC]");
  EXPECT_EQ(error.expected, "valid JSON");
  EXPECT_TRUE(absl::StrContains(error.got, "invalid literal")) << error.got;
  EXPECT_EQ(FindInvalidUtf8(error.got), std::nullopt) << error.got;
  EXPECT_EQ(FindInvalidUtf8(error.ToString()), std::nullopt);
}

// message_decoder_fuzzer (crash-number-overflow): a number too large for a
// double made the parser throw out_of_range, not parse_error, and the
// exception escaped the decoder instead of rejecting the message.
TEST(FuzzRegressionTest, ANumberTooLargeIsRejectedAsInvalidJson) {
  absl::StatusOr<MessageDecoder> decoder =
      MessageDecoder::Create(MessageFormat::kJson, {{.name = "x", .type = FieldType::kFloat}});
  ASSERT_TRUE(decoder.ok()) << decoder.status();
  const MessageError error = Rejected(*decoder, "{\"x\": 1e338}");
  EXPECT_EQ(error.expected, "valid JSON");
  EXPECT_EQ(error.got, "number overflow parsing '1e338'");
}

class FuzzRegressionStoreTest : public inlet_test::TempDirTest {};

// recovery_store_fuzzer (crash-unsupported-file-format): 76 bytes that start
// as an SQLite header SQLite cannot read were refused as INTERNAL instead of
// DATA_LOSS, the code Open documents for a file that is not a store.
TEST_F(FuzzRegressionStoreTest, AnUnreadableSqliteHeaderIsDataLossAndLeftUntouched) {
  const std::string bytes(
      "\x53\x51\x4C\x69\x74\x65\x20\x66\x6F\x72\x6D\x61\x74\x20\x33\x00"
      "\x02\x00\x02\x02\x00\x40\x20\x20\x00\x00\x00\x02\x00\x00\x00\x04"
      "\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x69\x6E\x6C\x74"
      "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
      "\x00\x00\x00\x00\x00\x00\x00\x02\x00\x2E\x63\x01",
      76);
  const std::filesystem::path path = Write("recovery.db", bytes);
  absl::StatusOr<std::unique_ptr<RecoveryStore>> store = RecoveryStore::Open(path, 2);
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(absl::IsDataLoss(store.status())) << store.status();
  EXPECT_TRUE(absl::StartsWith(store.status().message(),
                               "recovery file " + path.string() + ": not an inlet recovery file ("))
      << store.status();
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(std::string(std::istreambuf_iterator<char>(in), {}) == bytes) << "the file changed";
  EXPECT_FALSE(std::filesystem::exists(path.string() + "-wal"));
  EXPECT_FALSE(std::filesystem::exists(path.string() + "-shm"));
}

// recovery_store_fuzzer (crash-keys-out-of-order): a store whose keys are out
// of order passed quick_check, and `Latest` then missed a committed state
// without an error. Open refuses it as corrupt and leaves it as it was.
TEST_F(FuzzRegressionStoreTest, AStoreWithKeysOutOfOrderIsRefusedAsCorrupt) {
  const std::filesystem::path finding = std::filesystem::path(INLET_EXAMPLES_DIR) / ".." /
                                        "fuzz/corpus/recovery_store/crash-keys-out-of-order";
  std::ifstream source(finding, std::ios::binary);
  const std::string bytes(std::istreambuf_iterator<char>(source), {});
  ASSERT_EQ(bytes.size(), 2048u) << finding;
  const std::filesystem::path path = Write("recovery.db", bytes);
  absl::StatusOr<std::unique_ptr<RecoveryStore>> store = RecoveryStore::Open(path, 2);
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(absl::IsDataLoss(store.status())) << store.status();
  EXPECT_TRUE(absl::StrContains(store.status().message(), "corrupt")) << store.status();
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(std::string(std::istreambuf_iterator<char>(in), {}) == bytes) << "the file changed";
}

// recovery_store_fuzzer (crash-newer-write-version): an empty SQLite file
// whose header asks for a newer write format opens read-only, and creating
// the tables failed as PERMISSION_DENIED, which Open keeps for a file the
// process may not write. Open refuses it as not a store and leaves it as it was.
TEST_F(FuzzRegressionStoreTest, AFileFormatSqliteCannotWriteIsFailedPreconditionNotPermission) {
  const std::filesystem::path finding = std::filesystem::path(INLET_EXAMPLES_DIR) / ".." /
                                        "fuzz/corpus/recovery_store/crash-newer-write-version";
  std::ifstream source(finding, std::ios::binary);
  const std::string bytes(std::istreambuf_iterator<char>(source), {});
  ASSERT_EQ(bytes.size(), 1024u) << finding;
  ASSERT_EQ(bytes[18], '\x21') << "the header's write version";
  const std::filesystem::path path = Write("recovery.db", bytes);
  absl::StatusOr<std::unique_ptr<RecoveryStore>> store = RecoveryStore::Open(path, 2);
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(store.status())) << store.status();
  EXPECT_TRUE(absl::StrContains(store.status().message(), "can be read but not written"))
      << store.status();
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(std::string(std::istreambuf_iterator<char>(in), {}) == bytes) << "the file changed";
  EXPECT_FALSE(std::filesystem::exists(path.string() + "-wal"));
  EXPECT_FALSE(std::filesystem::exists(path.string() + "-shm"));
}

}  // namespace
}  // namespace inlet::internal
