// The importers' field parsers: exact money, dates, CSV, text.
#include <string>
#include <vector>

#include "base/currency.h"
#include "clients/import/csv_reader.h"
#include "clients/import/fields.h"
#include "domain/name_uuid.h"
#include "gtest/gtest.h"

namespace missionlog {
namespace {

int64_t Pence(const std::string& text) {
  absl::StatusOr<int64_t> pence = ParseMinorUnits(text);
  EXPECT_TRUE(pence.ok()) << text << ": " << pence.status();
  return pence.value_or(-999);
}

TEST(MoneyTest, PublishedAmountsToExactPence) {
  EXPECT_EQ(Pence("3961551.51"), 396155151);
  EXPECT_EQ(Pence("-1,234.50"), -123450);
  EXPECT_EQ(Pence("25000"), 2500000);
  EXPECT_EQ(Pence(" 8,000,000 "), 800000000);
  EXPECT_EQ(Pence("120000.0"), 12000000);
  EXPECT_EQ(Pence("114846.4"), 11484640);
  EXPECT_EQ(Pence("(1,234.50)"), -123450);
  EXPECT_EQ(Pence("\xC2\xA3"
                  "1,528.43"),
            152843);
  EXPECT_EQ(Pence("-\xC2\xA3"
                  "25"),
            -2500);
  EXPECT_EQ(Pence("0.07"), 7);
  EXPECT_EQ(Pence("92233720368547758.07"), INT64_MAX);
}

TEST(MoneyTest, ALostPoundSignIsReadAndFlagged) {
  bool mangled = false;
  absl::StatusOr<int64_t> pence = ParseMinorUnits(
      "\xEF\xBF\xBD"
      "102,000.00",
      &mangled);
  ASSERT_TRUE(pence.ok()) << pence.status();
  EXPECT_EQ(*pence, 10200000);
  EXPECT_TRUE(mangled);
}

TEST(MoneyTest, AnythingElseIsRefusedWithTheReason) {
  for (const char* bad :
       {"", "   ", "1,23", "12,3456", ",123", "1.", ".5", "1.2.3", "abc", "--5",
        "(-5)", "1 000", "12.345", "437289.25999999995", "92233720368547758.08",
        "99999999999999999999", "$5", "5e3"}) {
    absl::StatusOr<int64_t> pence = ParseMinorUnits(bad);
    EXPECT_FALSE(pence.ok()) << "\"" << bad << "\" read as " << *pence;
    if (!pence.ok()) {
      EXPECT_EQ(pence.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
  EXPECT_EQ(ParseMinorUnits("437289.25999999995").status().message(),
            "\"437289.25999999995\" is not an amount: more than two decimal "
            "places (not rounded)");
  EXPECT_EQ(ParseMinorUnits(" ").status().message(), "blank amount");
}

TEST(DateTest, DayMonthYear) {
  absl::StatusOr<v1::Date> date = ParseDayMonthYear("14/03/2024");
  ASSERT_TRUE(date.ok());
  EXPECT_EQ(FormatDate(*date), "2024-03-14");
  EXPECT_EQ(FormatDate(*ParseDayMonthYear("1/2/2020")), "2020-02-01");
  EXPECT_EQ(FormatDate(*ParseDayMonthYear("29/02/2024")), "2024-02-29");
  for (const char* bad :
       {"", "29/02/2023", "31/04/2024", "2024-03-14", "14/03/24", "14-03-2024",
        "00/01/2024", "1/13/2024"}) {
    EXPECT_FALSE(ParseDayMonthYear(bad).ok()) << bad;
  }
}

TEST(DateTest, IsoDatesWithOrWithoutATime) {
  EXPECT_EQ(FormatDate(*ParseIsoDate("2023-02-07")), "2023-02-07");
  EXPECT_EQ(FormatDate(*ParseIsoDate("2014-12-17T16:44:57Z")), "2014-12-17");
  for (const char* bad :
       {"", "2023-2-7", "2023-02-30", "07/02/2023", "2023-02-07X"}) {
    EXPECT_FALSE(ParseIsoDate(bad).ok()) << bad;
  }
}

TEST(CsvTest, QuotesCommasLineBreaksAndLineNumbers) {
  CsvReader csv(
      "\xEF\xBB\xBF"
      "a,b,c\r\n"
      "1,\"x, y\",\"say \"\"hi\"\"\"\r\n"
      "2,\"two\nlines\",\n"
      "3,last,row");
  std::vector<std::string> fields;
  int line = 0;
  ASSERT_TRUE(csv.Next(&fields, &line));
  EXPECT_EQ(fields, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(line, 1);
  ASSERT_TRUE(csv.Next(&fields, &line));
  EXPECT_EQ(fields, (std::vector<std::string>{"1", "x, y", "say \"hi\""}));
  EXPECT_EQ(line, 2);
  ASSERT_TRUE(csv.Next(&fields, &line));
  EXPECT_EQ(fields, (std::vector<std::string>{"2", "two\nlines", ""}));
  EXPECT_EQ(line, 3);
  ASSERT_TRUE(csv.Next(&fields, &line));
  EXPECT_EQ(fields, (std::vector<std::string>{"3", "last", "row"}));
  EXPECT_EQ(line, 5);  // the quoted line break counted
  EXPECT_FALSE(csv.malformed());
  EXPECT_FALSE(csv.Next(&fields, &line));
}

TEST(CsvTest, BrokenQuotingIsFlagged) {
  CsvReader unterminated("1,\"open\n2,3\n");
  std::vector<std::string> fields;
  int line = 0;
  ASSERT_TRUE(unterminated.Next(&fields, &line));
  EXPECT_TRUE(unterminated.malformed());
  CsvReader trailing("1,\"a\"b,c\n");
  ASSERT_TRUE(trailing.Next(&fields, &line));
  EXPECT_TRUE(trailing.malformed());
}

TEST(TextTest, CleanTextAndSlugs) {
  EXPECT_EQ(CleanText("  a\r\n\tb   c "), "a b c");
  EXPECT_EQ(CleanText("bad \xFF byte"), "bad \xEF\xBF\xBD byte");
  EXPECT_EQ(CleanText("c1 \xC2\x85 control"), "c1 \xEF\xBF\xBD control");
  EXPECT_EQ(CleanText("\xC2\xA3"
                      "12345",
                      4),
            "\xC2\xA3"
            "12");
  EXPECT_EQ(CleanText(std::string(600, 'x')).size(), 512u);
  EXPECT_EQ(Slug("HM Treasury"), "hm-treasury");
  EXPECT_EQ(Slug("  Met Office (MO) "), "met-office-mo");
  EXPECT_EQ(Slug("---"), "");
}

TEST(NameBasedUuidTest, SameNameSameIdVersion8) {
  const std::string id = NameBasedUuid("command\ndhsc/decision/1\nabc");
  EXPECT_EQ(id, NameBasedUuid("command\ndhsc/decision/1\nabc"));
  EXPECT_NE(id, NameBasedUuid("command\ndhsc/decision/1\nabd"));
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[14], '8');                                          // version 8
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos);  // variant
}

TEST(CurrencyTest, ISO4217MinorUnits) {
  EXPECT_EQ(MinorUnitDigits("GBP"), 2);
  EXPECT_EQ(MinorUnitDigits("JPY"), 0);
  EXPECT_EQ(MinorUnitDigits("KWD"), 3);
  EXPECT_EQ(MinorUnitDigits("CLF"), 4);
  EXPECT_EQ(MinorUnitDigits("XAU"), -1);
  EXPECT_EQ(MinorUnitDigits("gbp"), -1);
  EXPECT_EQ(ToMinorUnits(23105000, "GBP").value(), 2310500000);
  EXPECT_EQ(ToMinorUnits(1500000, "JPY").value(), 1500000);
  EXPECT_EQ(ToMinorUnits(12.345, "KWD").value(), 12345);
  EXPECT_FALSE(ToMinorUnits(12.5, "JPY").ok());
  EXPECT_FALSE(ToMinorUnits(10.005, "GBP").ok());
  EXPECT_EQ(FormatMinorUnits(123456, "GBP"), "1,234.56");
  EXPECT_EQ(FormatMinorUnits(-5, "GBP"), "-0.05");
  EXPECT_EQ(FormatMinorUnits(1234567, "JPY"), "1,234,567");
  EXPECT_EQ(FormatMinorUnits(12345, "KWD"), "12.345");
}

}  // namespace
}  // namespace missionlog
