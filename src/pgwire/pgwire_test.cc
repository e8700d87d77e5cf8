// The PostgreSQL protocol's bytes and the session's reading of statements:
// messages parsed and refused when truncated, numeric's binary form,
// statement splitting and classification, declared parameter types, and
// the SQLSTATE of engine errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pgwire/protocol.h"
#include "pgwire/statements.h"
#include "pgwire/types.h"

namespace mytsdb::pgwire {
namespace {

std::string Be16(int16_t v) { return {static_cast<char>((v >> 8) & 0xff), static_cast<char>(v & 0xff)}; }
std::string Be32(int32_t v) { return Be16(static_cast<int16_t>(v >> 16)) + Be16(static_cast<int16_t>(v)); }
std::string Z(std::string s) { return s + std::string(1, '\0'); }

TEST(PgProtocolTest, ParsesStartupAndItsSpecialRequests) {
  auto startup = ParseStartup(Be32(kProtocolVersion3) + Z("user") + Z("grafana") + Z("database") + Z("db") + Z(""));
  ASSERT_TRUE(startup.ok()) << startup.status().ToString();
  EXPECT_EQ(startup->kind, StartupMessage::Kind::kStartup);
  EXPECT_EQ(startup->parameters.at("user"), "grafana");
  EXPECT_EQ(ParseStartup(Be32(kSslRequestCode))->kind, StartupMessage::Kind::kSslRequest);
  auto cancel = ParseStartup(Be32(kCancelRequestCode) + Be32(7) + Be32(-5));
  ASSERT_TRUE(cancel.ok());
  EXPECT_EQ(cancel->cancel_process_id, 7);
  EXPECT_EQ(cancel->cancel_secret, -5);
  EXPECT_FALSE(ParseStartup(Be32(kCancelRequestCode) + Be32(7)).ok());
  EXPECT_FALSE(ParseStartup(Be32(kProtocolVersion3) + "user").ok());  // no NUL
}

TEST(PgProtocolTest, ParsesBindWithNullsAndRefusesWhatIsCut) {
  const std::string body = Z("portal") + Z("stmt") + Be16(1) + Be16(0) + Be16(3) + Be32(2) + "42" + Be32(-1) +
                           Be32(0) + Be16(1) + Be16(1);
  auto bind = ParseBind(body);
  ASSERT_TRUE(bind.ok()) << bind.status().ToString();
  EXPECT_EQ(bind->portal, "portal");
  ASSERT_EQ(bind->parameters.size(), 3u);
  EXPECT_EQ(*bind->parameters[0], "42");
  EXPECT_FALSE(bind->parameters[1].has_value());
  EXPECT_EQ(*bind->parameters[2], "");
  EXPECT_EQ(bind->result_formats, std::vector<int16_t>{1});
  for (size_t cut = 0; cut < body.size(); ++cut) EXPECT_FALSE(ParseBind(body.substr(0, cut)).ok()) << cut;
  EXPECT_FALSE(ParseBind(Z("") + Z("") + Be16(0) + Be16(1) + Be32(-7) + Be16(0)).ok());  // negative length
  auto parse = ParseParse(Z("s1") + Z("SELECT $1") + Be16(1) + Be32(23));
  ASSERT_TRUE(parse.ok());
  EXPECT_EQ(parse->parameter_types, std::vector<int32_t>{23});
  EXPECT_FALSE(ParseDescribe("X" + Z("a")).ok());
}

TEST(PgProtocolTest, BuildsMessagesWithTheirLength) {
  std::string out;
  AppendCommandComplete(&out, "SELECT 3");
  EXPECT_EQ(out, "C" + Be32(4 + 9) + Z("SELECT 3"));
  out.clear();
  AppendReadyForQuery(&out, 'I');
  EXPECT_EQ(out, "Z" + Be32(5) + "I");
}

// numeric's binary form: ndigits, weight, sign, dscale, base-10000 digits.
std::string Numeric(int16_t weight, uint16_t sign, int16_t dscale, std::vector<int16_t> digits) {
  std::string out = Be16(static_cast<int16_t>(digits.size())) + Be16(weight) + Be16(static_cast<int16_t>(sign)) +
                    Be16(dscale);
  for (int16_t d : digits) out += Be16(d);
  return out;
}

TEST(PgTypesTest, NumericBinaryIsPostgresqls) {
  auto binary = [](std::string_view text) {
    std::string out;
    NumericToBinary(text, &out);
    return out;
  };
  EXPECT_EQ(binary("300"), Numeric(0, 0, 0, {300}));
  EXPECT_EQ(binary("10000"), Numeric(1, 0, 0, {1}));
  EXPECT_EQ(binary("-12.345"), Numeric(0, 0x4000, 3, {12, 3450}));
  EXPECT_EQ(binary("0.0001"), Numeric(-1, 0, 4, {1}));
  EXPECT_EQ(binary("0"), Numeric(0, 0, 0, {}));
  EXPECT_EQ(binary("123456789012345678901234567890"),
            Numeric(7, 0, 0, {12, 3456, 7890, 1234, 5678, 9012, 3456, 7890}));
  EXPECT_EQ(binary("NaN"), Numeric(0, 0xC000, 0, {}));
}

TEST(PgStatementsTest, SplitsAndClassifiesStatements) {
  EXPECT_EQ(SplitStatements("SELECT 1; SELECT ';' -- a;b\n; SELECT 2"),
            (std::vector<std::string>{"SELECT 1", "SELECT ';' -- a;b", "SELECT 2"}));
  EXPECT_EQ(SplitStatements(""), std::vector<std::string>{""});
  EXPECT_EQ(Classify("  ").kind, Command::kEmpty);
  EXPECT_EQ(Classify("SET extra_float_digits = 3").setting, "extra_float_digits");
  EXPECT_EQ(Classify("set session TIME ZONE 'UTC'").setting, "time zone");
  EXPECT_TRUE(IsHarmlessSetting(Classify("SET application_name TO 'x'").setting));
  EXPECT_FALSE(IsHarmlessSetting(Classify("SET enable_external_access = true").setting));
  EXPECT_EQ(Classify("SHOW transaction isolation level").kind, Command::kShow);
  EXPECT_EQ(*ShowValue(Classify("SHOW transaction isolation level").setting, "u", "a"), "read committed");
  EXPECT_EQ(Classify("BEGIN READ ONLY").tag, "BEGIN");
  EXPECT_EQ(Classify("rollback to savepoint s").tag, "ROLLBACK TO");
  EXPECT_EQ(Classify("select  pg_catalog.version()").kind, Command::kVersion);
  EXPECT_EQ(Classify("SELECT * FROM samples").kind, Command::kQuery);
}

TEST(PgStatementsTest, TypesDeclaredParametersOutsideQuotes) {
  EXPECT_EQ(TypeParameters("SELECT 41 + $1, '$1', $2, x$1 -- $1\n", {23, 0}),
            "SELECT 41 + ($1::INTEGER), '$1', $2, x$1 -- $1\n");
  EXPECT_EQ(TypeParameters("SELECT $10", {}), "SELECT $10");
  EXPECT_EQ(*BinaryParameterToText(23, Be32(-42)), "-42");
  EXPECT_FALSE(BinaryParameterToText(23, "abc").ok());
  EXPECT_FALSE(BinaryParameterToText(1700, "x").ok());
}

TEST(PgStatementsTest, EngineErrorsHaveTheirSqlstate) {
  EXPECT_EQ(SqlState(Status::InvalidArgument("SQL: at character 3: Parser Error: syntax error")), "42601");
  EXPECT_EQ(*Position(Status::InvalidArgument("SQL: at character 3: Parser Error: x")), 4);
  EXPECT_EQ(SqlState(Status::InvalidArgument("SQL: Catalog Error: Table with name x does not exist!")), "42P01");
  EXPECT_EQ(SqlState(Status::InvalidArgument("SQL: only SELECT statements are allowed, not COPY")), "42501");
  EXPECT_EQ(SqlState(Status::DeadlineExceeded("SQL: query timed out")), "57014");
  EXPECT_EQ(SqlState(Status::ResourceExhausted("SQL: Out of Memory")), "53200");
  EXPECT_EQ(SqlState(Status::OutOfRange("SQL: Conversion Error")), "22000");
}

}  // namespace
}  // namespace mytsdb::pgwire
