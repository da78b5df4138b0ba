// The pgoutput decoder on messages laid out as PostgreSQL 15's pgoutput
// writes them (protocol version 1). What a real server sends end to end is
// checked by tests/python against a fresh cluster.

#include "pgoutput.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace {

using ::inlet_postgres_cdc::internal::Decoder;
using ::inlet_postgres_cdc::internal::FormatLsn;
using ::inlet_postgres_cdc::internal::FormatPgTimestamp;
using ::inlet_postgres_cdc::internal::ParseLsn;
using ::testing::HasSubstr;
using Kind = Decoder::Event::Kind;

// Builds a message field by field, big-endian as on the wire.
class Wire {
 public:
  Wire& Byte(char c) {
    out_.push_back(c);
    return *this;
  }
  Wire& Int(uint64_t value, int bytes) {
    for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
      out_.push_back(static_cast<char>(value >> shift));
    }
    return *this;
  }
  Wire& Str(const std::string& s) {
    out_ += s;
    out_.push_back('\0');
    return *this;
  }
  Wire& Text(const std::string& s) {
    Byte('t').Int(s.size(), 4);
    out_ += s;
    return *this;
  }
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

constexpr uint64_t kCommitLsn = 0x16B374D848;

// Relation 16385 "public.items": id int4 (key), price numeric, tags jsonb,
// flag bool, ratio float8, note text.
std::string Relation() {
  Wire w;
  w.Byte('R').Int(16385, 4).Str("public").Str("items").Byte('d').Int(6, 2);
  w.Byte(1).Str("id").Int(23, 4).Int(0xFFFFFFFF, 4);
  w.Byte(0).Str("price").Int(1700, 4).Int(0xFFFFFFFF, 4);
  w.Byte(0).Str("tags").Int(3802, 4).Int(0xFFFFFFFF, 4);
  w.Byte(0).Str("flag").Int(16, 4).Int(0xFFFFFFFF, 4);
  w.Byte(0).Str("ratio").Int(701, 4).Int(0xFFFFFFFF, 4);
  w.Byte(0).Str("note").Int(25, 4).Int(0xFFFFFFFF, 4);
  return w.str();
}

std::vector<Decoder::Event> Decode(Decoder& decoder, const std::string& message) {
  absl::StatusOr<std::vector<Decoder::Event>> events = decoder.Decode(message);
  EXPECT_TRUE(events.ok()) << events.status();
  return events.ok() ? *events : std::vector<Decoder::Event>{};
}

TEST(LsnTest, FormatsAndParsesAsPostgresWritesThem) {
  EXPECT_EQ(FormatLsn(kCommitLsn), "16/B374D848");
  EXPECT_EQ(FormatLsn(0), "0/0");
  EXPECT_EQ(*ParseLsn("16/B374D848"), kCommitLsn);
  EXPECT_EQ(*ParseLsn("FFFFFFFF/FFFFFFFF"), UINT64_MAX);
  for (const char* bad : {"", "16", "16/", "/1", "x/1", "1/2/3", "123456789/0"}) {
    EXPECT_EQ(ParseLsn(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(TimestampTest, CountsMicrosecondsFrom2000) {
  EXPECT_EQ(FormatPgTimestamp(0), "2000-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatPgTimestamp(1'000'001), "2000-01-01T00:00:01.000001Z");
}

TEST(DecoderTest, ATransactionBecomesChangesWithTheirCommitThenACommit) {
  Decoder decoder;
  EXPECT_TRUE(Decode(decoder, Relation()).empty());
  std::vector<Decoder::Event> begin =
      Decode(decoder, Wire().Byte('B').Int(kCommitLsn, 8).Int(1'000'000, 8).Int(731, 4).str());
  ASSERT_EQ(begin.size(), 1u);
  EXPECT_EQ(begin[0].kind, Kind::kBegin);
  EXPECT_TRUE(decoder.in_transaction());

  Wire insert;
  insert.Byte('I').Int(16385, 4).Byte('N').Int(6, 2);
  insert.Text("7").Text("12.50").Text(R"({"a": [1, "ü"]})").Text("t").Text("NaN").Byte('n');
  std::vector<Decoder::Event> inserted = Decode(decoder, insert.str());
  ASSERT_EQ(inserted.size(), 1u);
  EXPECT_EQ(inserted[0].change, nlohmann::json::parse(R"({
    "table": "public.items", "op": "insert", "key": {"id": 7}, "old": null,
    "new": {"id": 7, "price": "12.50", "tags": {"a": [1, "ü"]}, "flag": true,
            "ratio": "NaN", "note": null},
    "commit_lsn": "16/B374D848", "commit_time": "2000-01-01T00:00:01.000000Z", "xid": 731})"));

  Wire update;  // The key changed: the old key comes first ('K'); "note" is unchanged TOAST.
  update.Byte('U').Int(16385, 4).Byte('K').Int(6, 2);
  update.Text("7").Byte('n').Byte('n').Byte('n').Byte('n').Byte('n');
  update.Byte('N').Int(6, 2).Text("8").Text("1e3").Text("[]").Text("f").Text("0.5").Byte('u');
  std::vector<Decoder::Event> updated = Decode(decoder, update.str());
  ASSERT_EQ(updated.size(), 1u);
  EXPECT_EQ(updated[0].change["op"], "update");
  EXPECT_EQ(updated[0].change["key"], nlohmann::json({{"id", 8}}));
  EXPECT_EQ(updated[0].change["old"], nlohmann::json({{"id", 7}}));
  EXPECT_EQ(updated[0].change["new"],
            nlohmann::json::parse(R"({"id": 8, "price": "1e3", "tags": [], "flag": false,
                                      "ratio": 0.5})"));

  Wire del;
  del.Byte('D').Int(16385, 4).Byte('K').Int(6, 2).Text("8");
  for (int i = 0; i < 5; ++i) del.Byte('n');
  std::vector<Decoder::Event> deleted = Decode(decoder, del.str());
  ASSERT_EQ(deleted.size(), 1u);
  EXPECT_EQ(deleted[0].change["op"], "delete");
  EXPECT_EQ(deleted[0].change["key"], nlohmann::json({{"id", 8}}));
  EXPECT_EQ(deleted[0].change["new"], nullptr);

  std::vector<Decoder::Event> commit = Decode(
      decoder,
      Wire().Byte('C').Byte(0).Int(kCommitLsn, 8).Int(kCommitLsn + 48, 8).Int(1'000'000, 8).str());
  ASSERT_EQ(commit.size(), 1u);
  EXPECT_EQ(commit[0].kind, Kind::kCommit);
  EXPECT_EQ(commit[0].commit_end_lsn, kCommitLsn + 48);
  EXPECT_FALSE(decoder.in_transaction());
}

TEST(DecoderTest, MalformedMessagesAreErrorsNamingWhatWasWrong) {
  Decoder decoder;
  EXPECT_THAT(decoder.Decode(Wire().Byte('I').Int(99, 4).Byte('N').str()).status().message(),
              HasSubstr("relation 99 came before its Relation message"));
  EXPECT_THAT(decoder.Decode(Relation().substr(0, 20)).status().message(), HasSubstr("truncated"));
  ASSERT_TRUE(decoder.Decode(Relation()).ok());
  EXPECT_THAT(
      decoder.Decode(Wire().Byte('I').Int(16385, 4).Byte('N').Int(2, 2).str()).status().message(),
      HasSubstr("has 2 columns, its Relation message 6"));
  EXPECT_THAT(decoder.Decode(Wire().Byte('Z').str()).status().message(),
              HasSubstr("unknown message type 'Z'"));
}

}  // namespace
