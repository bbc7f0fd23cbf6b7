// The record format, UUIDs and text validation, below the store.
#include "eventstore/record.h"

#include <string>

#include "base/uuid.h"
#include "eventstore/prepared_append.h"
#include "gtest/gtest.h"
#include "tlog/leaf.h"
#include "tlog/sha256.h"

namespace missionlog {
namespace {

// A format-v1 record when `salt` is empty, else v2.
std::string EncodeSample(uint64_t position, const std::string& payload,
                         const Digest& digest, const std::string& salt = "") {
  std::optional<Uuid> id = Uuid::Parse("0190a2b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b");
  RecordHeader header;
  header.format = salt.empty() ? kLeafFormatV1 : kLeafFormatV2;
  header.position = position;
  header.stream_version = 9;
  header.recorded_at_us = 1700000000123456;
  header.occurred_at_us = -86400000000;  // before the epoch is allowed
  header.event_id = id->bytes();
  header.payload_size = static_cast<uint32_t>(payload.size());
  header.payload_sha256 = &digest;
  header.stream = "dhsc/decision/2025-014";
  header.type = "missionlog.decision.recorded.v1";
  header.source = "urn:uk:dhsc:board";
  header.recorded_by = "writer@dhsc";
  header.correlation_id = "c";
  header.causation_id = "";
  header.content_type = "application/json";
  std::string header_bytes;
  EncodeRecordHeader(header, &header_bytes);
  std::string value;
  EncodeRecordValue(header_bytes, LeafHash(header_bytes), salt, payload,
                    &value);
  return value;
}

TEST(RecordTest, RoundTrip) {
  const std::string payload = "{\"decided\":true}";
  std::string value = EncodeSample(77, payload, Sha256(payload));
  RecordedEvent event;
  ASSERT_TRUE(DecodeRecord(77, value, /*verify=*/true, &event).ok());
  EXPECT_EQ(event.position(), 77u);
  EXPECT_EQ(event.stream_version(), 9u);
  EXPECT_EQ(event.id(), "0190a2b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b");
  EXPECT_EQ(event.recorded_at_us(), 1700000000123456);
  EXPECT_EQ(event.occurred_at_us(), -86400000000);
  EXPECT_EQ(event.stream(), "dhsc/decision/2025-014");
  EXPECT_EQ(event.type(), "missionlog.decision.recorded.v1");
  EXPECT_EQ(event.source(), "urn:uk:dhsc:board");
  EXPECT_EQ(event.recorded_by(), "writer@dhsc");
  EXPECT_EQ(event.correlation_id(), "c");
  EXPECT_EQ(event.causation_id(), "");
  EXPECT_EQ(event.content_type(), "application/json");
  EXPECT_EQ(event.payload(), payload);
  EXPECT_EQ(event.payload_sha256(), DigestView(Sha256(payload)));
  EXPECT_EQ(event.leaf_hash(), DigestView(LeafHash(event.header())));
  EXPECT_EQ(event.record(), value);

  absl::string_view stream, type;
  ASSERT_TRUE(PeekStreamAndType(77, event.header(), &stream, &type).ok());
  EXPECT_EQ(stream, "dhsc/decision/2025-014");
  EXPECT_EQ(type, "missionlog.decision.recorded.v1");
}

TEST(RecordTest, CopiesKeepTheirOwnBytes) {
  const std::string payload = "p";
  RecordedEvent original;
  ASSERT_TRUE(DecodeRecord(1, EncodeSample(1, payload, Sha256(payload)), true,
                           &original)
                  .ok());
  RecordedEvent copy = original;
  original = RecordedEvent();
  EXPECT_EQ(copy.stream(), "dhsc/decision/2025-014");
  EXPECT_EQ(copy.payload(), "p");
}

TEST(RecordTest, LeafHashIsRfc6962) {
  // SHA-256 of the single byte 0x00: the RFC 6962 hash of an empty leaf.
  EXPECT_EQ(
      std::string(DigestView(LeafHash(""))),
      std::string("\x6e\x34\x0b\x9c\xff\xb3\x7a\x98\x9c\xa5\x44\xe6\xbb\x78\x0a"
                  "\x2c\x78\x90\x1d\x3f\xb3\x37\x38\x76\x85\x11\xa3\x06\x17\xaf"
                  "\xa0\x1d",
                  32));
}

TEST(RecordTest, WrongDigestIsDataLoss) {
  std::string value = EncodeSample(5, "real", Sha256("forged"));
  RecordedEvent event;
  EXPECT_EQ(DecodeRecord(5, value, true, &event).code(),
            absl::StatusCode::kDataLoss);
  EXPECT_TRUE(DecodeRecord(5, value, false, &event).ok());
}

TEST(RecordTest, EveryTruncationIsDataLoss) {
  std::string value = EncodeSample(5, "payload", Sha256("payload"));
  for (size_t size = 0; size < value.size(); ++size) {
    RecordedEvent event;
    EXPECT_EQ(DecodeRecord(5, value.substr(0, size), true, &event).code(),
              absl::StatusCode::kDataLoss)
        << "size " << size;
  }
}

const std::string kSalt = "0123456789abcdef";

TEST(RecordTest, V2CommitsToASaltedDigest) {
  const std::string payload = "{\"raised\":true}";
  const Digest salted = SaltedPayloadDigest(kSalt, payload);
  ASSERT_NE(salted, Sha256(payload));
  const std::string value = EncodeSample(8, payload, salted, kSalt);
  RecordedEvent event;
  ASSERT_TRUE(DecodeRecord(8, value, /*verify=*/true, &event).ok());
  EXPECT_EQ(event.format(), kLeafFormatV2);
  EXPECT_EQ(event.payload(), payload);
  EXPECT_EQ(event.payload_salt(), kSalt);
  EXPECT_FALSE(event.payload_erased());
  EXPECT_EQ(event.payload_sha256(), DigestView(salted));

  // The leaf parser a verifier uses agrees, and checks the payload the
  // same way; a guess without the salt, or with another, does not match.
  LeafFields fields;
  ASSERT_TRUE(ParseLeafFields(event.header(), &fields));
  EXPECT_EQ(fields.format, kLeafFormatV2);
  EXPECT_EQ(fields.position, 8u);
  EXPECT_EQ(fields.stream, "dhsc/decision/2025-014");
  EXPECT_EQ(fields.type, "missionlog.decision.recorded.v1");
  EXPECT_TRUE(PayloadMatches(fields, kSalt, payload));
  EXPECT_FALSE(PayloadMatches(fields, "", payload));
  EXPECT_FALSE(PayloadMatches(fields, "fedcba9876543210", payload));
  EXPECT_NE(fields.payload_sha256, DigestView(Sha256(payload)));

  // A v2 header that claims an unsalted digest does not verify.
  RecordedEvent wrong;
  EXPECT_EQ(DecodeRecord(8, EncodeSample(8, payload, Sha256(payload), kSalt),
                         true, &wrong)
                .code(),
            absl::StatusCode::kDataLoss);
}

TEST(RecordTest, V1AndV2HeadersDifferOnlyInFormatAndDigest) {
  const std::string payload = "p";
  RecordedEvent v1, v2;
  ASSERT_TRUE(
      DecodeRecord(3, EncodeSample(3, payload, Sha256(payload)), true, &v1)
          .ok());
  ASSERT_TRUE(
      DecodeRecord(
          3,
          EncodeSample(3, payload, SaltedPayloadDigest(kSalt, payload), kSalt),
          true, &v2)
          .ok());
  ASSERT_EQ(v1.header().size(), v2.header().size());
  EXPECT_EQ(v1.header()[0], kLeafFormatV1);
  EXPECT_EQ(v2.header()[0], kLeafFormatV2);
  EXPECT_EQ(v1.header().substr(1, kLeafPayloadSha256Offset - 1),
            v2.header().substr(1, kLeafPayloadSha256Offset - 1));
  EXPECT_EQ(v1.header().substr(kLeafFixedSize),
            v2.header().substr(kLeafFixedSize));
  EXPECT_TRUE(v1.payload_salt().empty());
}

TEST(RecordTest, ErasedFormKeepsHeaderAndLeafOnly) {
  const std::string payload = "personal data sent in error";
  for (const std::string& salt : {std::string(), kSalt}) {
    const Digest digest =
        salt.empty() ? Sha256(payload) : SaltedPayloadDigest(salt, payload);
    RecordedEvent original;
    ASSERT_TRUE(
        DecodeRecord(4, EncodeSample(4, payload, digest, salt), true, &original)
            .ok());
    std::string erased;
    EncodeErasedRecordValue(original.header(), original.leaf_hash(), &erased);
    EXPECT_EQ(erased.find(payload), std::string::npos);
    if (!salt.empty()) {
      EXPECT_EQ(erased.find(salt), std::string::npos);
    }
    RecordedEvent event;
    ASSERT_TRUE(DecodeRecord(4, erased, /*verify=*/true, &event).ok());
    EXPECT_TRUE(event.payload_erased());
    EXPECT_TRUE(event.payload().empty());
    EXPECT_TRUE(event.payload_salt().empty());
    EXPECT_EQ(event.header(), original.header());
    EXPECT_EQ(event.leaf_hash(), original.leaf_hash());
    EXPECT_EQ(event.id(), original.id());
    EXPECT_EQ(event.payload_sha256(), original.payload_sha256());
    // Nothing may follow an erased record's leaf hash.
    RecordedEvent padded;
    EXPECT_EQ(DecodeRecord(4, erased + "x", true, &padded).code(),
              absl::StatusCode::kDataLoss);
  }
}

TEST(RecordTest, EveryTruncationOfAV2RecordIsDataLoss) {
  const std::string value =
      EncodeSample(5, "payload", SaltedPayloadDigest(kSalt, "payload"), kSalt);
  for (size_t size = 0; size < value.size(); ++size) {
    RecordedEvent event;
    EXPECT_EQ(DecodeRecord(5, value.substr(0, size), true, &event).code(),
              absl::StatusCode::kDataLoss)
        << "size " << size;
  }
}

TEST(UuidTest, ParseAndFormat) {
  auto id = Uuid::Parse("6BA7B810-9DAD-11D1-80B4-00C04FD430C8");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->ToString(), "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
  EXPECT_FALSE(Uuid::Parse("6ba7b8109dad11d180b400c04fd430c8").has_value());
  EXPECT_FALSE(Uuid::Parse("6ba7b810-9dad-11d1-80b4-00c04fd430c").has_value());
  EXPECT_FALSE(Uuid::Parse("6ba7b810-9dad-11d1-80b4-00c04fd430cz").has_value());
  EXPECT_FALSE(Uuid::Parse("6ba7b81-09dad-11d1-80b4-00c04fd430c8").has_value());
}

TEST(UuidTest, Version7IsTimeOrderedAndMarked) {
  Uuid earlier = Uuid::NewV7(1700000000000);
  Uuid later = Uuid::NewV7(1700000000001);
  EXPECT_LT(earlier.bytes(), later.bytes());
  std::string text = earlier.ToString();
  EXPECT_EQ(text[14], '7');
  EXPECT_TRUE(text[19] == '8' || text[19] == '9' || text[19] == 'a' ||
              text[19] == 'b');
  EXPECT_FALSE(Uuid::NewV7(1) == Uuid::NewV7(1));
}

TEST(UuidTest, Version7IdsOfOneMillisecondCountUp) {
  Uuid previous = Uuid::NewV7(1700000000000);
  for (int i = 0; i < 10000; ++i) {
    Uuid next = Uuid::NewV7(1700000000000);
    ASSERT_LT(previous.bytes(), next.bytes()) << i;
    EXPECT_EQ(next.bytes().substr(0, 6), previous.bytes().substr(0, 6));
    const std::string text = next.ToString();
    ASSERT_EQ(text[14], '7');
    ASSERT_TRUE(text[19] == '8' || text[19] == '9' || text[19] == 'a' ||
                text[19] == 'b')
        << text;
    previous = next;
  }
  // A clock that goes back still gets its own millisecond in the id.
  Uuid earlier = Uuid::NewV7(1600000000000);
  EXPECT_LT(earlier.bytes(), previous.bytes());
  EXPECT_EQ(earlier.bytes().substr(0, 6),
            Uuid::NewV7(1600000000000).bytes().substr(0, 6));
}

TEST(TextTest, PrintableUtf8) {
  EXPECT_TRUE(IsPrintableUtf8(""));
  EXPECT_TRUE(IsPrintableUtf8("plain/ascii-text_1"));
  EXPECT_TRUE(IsPrintableUtf8("\xc2\xa3 \xe2\x82\xac \xf0\x9f\x8f\xb4"));
  EXPECT_FALSE(IsPrintableUtf8(std::string("\0", 1)));
  EXPECT_FALSE(IsPrintableUtf8("\x1b[31m"));
  EXPECT_FALSE(IsPrintableUtf8("\x7f"));
  EXPECT_FALSE(IsPrintableUtf8("\xc2\x9f"));          // C1 control
  EXPECT_FALSE(IsPrintableUtf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(IsPrintableUtf8("\xed\xb0\x80"));      // surrogate
  EXPECT_FALSE(IsPrintableUtf8("\xf4\x90\x80\x80"));  // beyond U+10FFFF
  EXPECT_FALSE(IsPrintableUtf8("\xff"));
  EXPECT_FALSE(IsPrintableUtf8("\xe2\x82"));  // truncated
}

}  // namespace
}  // namespace missionlog
