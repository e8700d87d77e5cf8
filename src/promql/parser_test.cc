#include "promql/parser.h"

#include <gtest/gtest.h>

#include <cmath>

namespace mytsdb::promql {
namespace {

std::string RoundTrip(const std::string& q) {
  auto e = ParseExpr(q);
  if (!e.ok()) return "ERROR: " + e.status().message();
  return Format(**e);
}

std::string ErrorOf(const std::string& q) {
  auto e = ParseExpr(q);
  return e.ok() ? "no error: " + Format(**e) : e.status().message();
}

TEST(ParserTest, CanonicalFormsAsPrometheusPrintsThem) {
  const std::pair<const char*, const char*> cases[] = {
      {"1", "1"},
      {"-1.5", "-1.5"},
      {"0x1F", "31"},
      {"1e3", "1000"},
      {".5", "0.5"},
      {"Inf", "+Inf"},
      {"-inf", "-Inf"},
      {"NaN", "NaN"},
      {"'a\\nb'", "\"a\\nb\""},
      {"`raw\\n`", "\"raw\\\\n\""},
      {"foo", "foo"},
      {"foo:bar_total{job=\"api\"}", "foo:bar_total{job=\"api\"}"},
      {"{job=~\"a.*\", env!=\"prod\"}", "{job=~\"a.*\", env!=\"prod\"}"},
      {"foo{a!~'x'}", "foo{a!~\"x\"}"},
      {"foo offset 5m", "foo offset 5m"},
      {"foo offset -1h30m", "foo offset -1h30m"},
      {"foo @ 1700000000", "foo @ 1700000000.000"},
      {"foo @ start()", "foo @ start()"},
      {"foo offset 1m @ end()", "foo @ end() offset 1m"},
      {"rate(foo[5m])", "rate(foo[5m])"},
      {"foo[90s]", "foo[1m30s]"},
      {"foo[5m] offset 1w", "foo[5m] offset 1w"},
      {"foo[300]", "foo[5m]"},
      {"max_over_time(rate(foo[1m])[1h:5m])", "max_over_time(rate(foo[1m])[1h:5m])"},
      {"foo[1h:]", "foo[1h:]"},
      {"(foo)[1h:1m] offset 10m", "(foo)[1h:1m] offset 10m"},
      {"sum by (job) (rate(foo[5m]))", "sum by (job) (rate(foo[5m]))"},
      {"sum(rate(foo[5m])) by (job, le)", "sum by (job, le) (rate(foo[5m]))"},
      {"sum without (instance) (foo)", "sum without (instance) (foo)"},
      {"sum by () (foo)", "sum(foo)"},
      {"topk(5, foo)", "topk(5, foo)"},
      {"count_values(\"v\", foo)", "count_values(\"v\", foo)"},
      {"quantile by (a) (0.9, foo)", "quantile by (a) (0.9, foo)"},
      {"a + b * c", "a + b * c"},
      {"a * b + c", "a * b + c"},
      {"(a + b) * c", "(a + b) * c"},
      {"a == bool b", "a == bool b"},
      {"a / on (x, y) group_left (z) b", "a / on (x, y) group_left (z) b"},
      {"a - ignoring (x) group_right b", "a - ignoring (x) group_right () b"},
      {"a and on () b", "a and on () b"},
      {"a or b unless c", "a or b unless c"},
      {"2 ^ 3 ^ 2", "2 ^ 3 ^ 2"},
      {"-foo", "-foo"},
      {"- 2 ^ 2", "-2 ^ 2"},
      {"1 + -1", "1 + -1"},
      {"foo atan2 bar", "foo atan2 bar"},
      {"label_replace(up, \"dst\", \"$1\", \"src\", \"(.*)\")",
       "label_replace(up, \"dst\", \"$1\", \"src\", \"(.*)\")"},
      {"label_join(up, \"dst\", \",\")", "label_join(up, \"dst\", \",\")"},
      {"round(foo)", "round(foo)"},
      {"round(foo, 0.5)", "round(foo, 0.5)"},
      {"hour()", "hour()"},
      {"time() - 5m", "time() - 300"},
      {"histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))",
       "histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))"},
      {"foo # a comment\n + bar", "foo + bar"},
      {"sum", "sum"},
      // Found by the fuzzer: a sign before a signed operand keeps its meaning.
      {"-3e999 ^ 2", "-(+Inf ^ 2)"},
      {"-2 / +on != x", "-2 / {__name__=\"on\"} != x"},
      {"{\"http.requests\", \"k8s.pod\"=\"x\"}", "{__name__=\"http.requests\", \"k8s.pod\"=\"x\"}"},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(RoundTrip(in), want) << in;
}

TEST(ParserTest, PrecedenceAndAssociativity) {
  auto tree = [](const std::string& q) { return ParseExpr(q).MoveValue(); };
  // 2 ^ 3 ^ 2 is right-associative: 2 ^ (3 ^ 2).
  {
    auto e = tree("2 ^ 3 ^ 2");
    auto* b = static_cast<BinaryExpr*>(e.get());
    ASSERT_EQ(b->op, BinaryOp::kPow);
    EXPECT_EQ(b->lhs->kind, NodeKind::kNumber);
    EXPECT_EQ(b->rhs->kind, NodeKind::kBinary);
  }
  // a - b - c is left-associative: (a - b) - c.
  {
    auto e = tree("a - b - c");
    auto* b = static_cast<BinaryExpr*>(e.get());
    EXPECT_EQ(b->lhs->kind, NodeKind::kBinary);
    EXPECT_EQ(b->rhs->kind, NodeKind::kVectorSelector);
  }
  // -2 ^ 2 is -(2 ^ 2); -a * b is (-a) * b.
  {
    auto e = tree("-2 ^ 2");
    ASSERT_EQ(e->kind, NodeKind::kUnary);
    EXPECT_EQ(static_cast<UnaryExpr*>(e.get())->expr->kind, NodeKind::kBinary);
    auto f = tree("-a * b");
    ASSERT_EQ(f->kind, NodeKind::kBinary);
    EXPECT_EQ(static_cast<BinaryExpr*>(f.get())->lhs->kind, NodeKind::kUnary);
  }
  // or < and/unless < comparisons < +,- < *,/,%,atan2 < ^
  {
    auto e = tree("a or b and c == d + e * f ^ g");
    auto* b = static_cast<BinaryExpr*>(e.get());
    EXPECT_EQ(b->op, BinaryOp::kOr);
    auto* r = static_cast<BinaryExpr*>(b->rhs.get());
    EXPECT_EQ(r->op, BinaryOp::kAnd);
    auto* r2 = static_cast<BinaryExpr*>(r->rhs.get());
    EXPECT_EQ(r2->op, BinaryOp::kEql);
    auto* r3 = static_cast<BinaryExpr*>(r2->rhs.get());
    EXPECT_EQ(r3->op, BinaryOp::kAdd);
    auto* r4 = static_cast<BinaryExpr*>(r3->rhs.get());
    EXPECT_EQ(r4->op, BinaryOp::kMul);
    EXPECT_EQ(static_cast<BinaryExpr*>(r4->rhs.get())->op, BinaryOp::kPow);
  }
  // Set operators match many-to-many.
  {
    auto e = tree("a and b");
    auto* b = static_cast<BinaryExpr*>(e.get());
    ASSERT_TRUE(b->matching.has_value());
    EXPECT_EQ(b->matching->card, VectorMatching::Card::kManyToMany);
  }
}

TEST(ParserTest, SelectorsModifiersAndTypes) {
  auto e = ParseExpr("rate(http_requests_total{code=~\"5..\"}[5m] offset 1h @ 100)").MoveValue();
  ASSERT_EQ(e->kind, NodeKind::kCall);
  EXPECT_EQ(e->type(), ValueType::kVector);
  auto* call = static_cast<Call*>(e.get());
  ASSERT_EQ(call->args.size(), 1u);
  ASSERT_EQ(call->args[0]->kind, NodeKind::kMatrixSelector);
  auto* ms = static_cast<MatrixSelector*>(call->args[0].get());
  EXPECT_EQ(ms->range_ms, 300'000);
  EXPECT_EQ(ms->selector->offset_ms, 3'600'000);
  EXPECT_EQ(ms->selector->at.kind, AtModifier::Kind::kTime);
  EXPECT_EQ(ms->selector->at.time_ms, 100'000);
  ASSERT_EQ(ms->selector->matchers.size(), 2u);
  EXPECT_EQ(ms->selector->matchers[0].name(), "__name__");
  EXPECT_EQ(ms->selector->matchers[1].type(), model::MatchType::kRegexMatch);
  EXPECT_TRUE(ms->selector->matchers[1].Matches("503"));
  EXPECT_FALSE(ms->selector->matchers[1].Matches("1503"));  // anchored

  EXPECT_EQ(ParseExpr("1 + 2").MoveValue()->type(), ValueType::kScalar);
  EXPECT_EQ(ParseExpr("1 + foo").MoveValue()->type(), ValueType::kVector);
  EXPECT_EQ(ParseExpr("foo[5m]").MoveValue()->type(), ValueType::kMatrix);
  EXPECT_EQ(ParseExpr("\"s\"").MoveValue()->type(), ValueType::kString);
  EXPECT_EQ(ParseExpr("scalar(foo)").MoveValue()->type(), ValueType::kScalar);
}

TEST(ParserTest, ErrorsSayWhatAndWhere) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "1:1: parse error: no expression found in input"},
      {"foo +", "1:6: parse error: unexpected end of input"},
      {"rate(foo)", "expected type range vector in call to function \"rate\", got instant vector"},
      {"rate(foo[5m], 1)", "expected 1 argument(s) in call to \"rate\", got 2"},
      {"round()", "expected at least 1 argument(s) in call to \"round\", got 0"},
      {"round(a, 1, 2)", "expected at most 2 argument(s) in call to \"round\", got 3"},
      {"nosuchfn(foo)", "1:1: parse error: unknown function with name \"nosuchfn\""},
      {"sum(foo[5m])", "expected type instant vector in aggregation expression, got range vector"},
      {"topk(foo)", "wrong number of arguments for aggregate expression provided, expected 2, got 1"},
      {"topk(\"a\", foo)", "expected type scalar in aggregation parameter, got string"},
      {"count_values(1, foo)", "expected type string in aggregation parameter, got scalar"},
      {"1 == 1", "comparisons between scalars must use BOOL modifier"},
      {"a + bool b", "bool modifier can only be used on comparison operators"},
      {"1 and foo", "set operator \"and\" not allowed in binary scalar expression"},
      {"a and on (x) group_left b", "no grouping allowed for \"and\" operation"},
      {"1 + on (x) foo", "vector matching only allowed between instant vectors"},
      {"a * on (x) group_left (x) b", "label \"x\" must not occur in ON and GROUP clause at once"},
      {"foo[5m] + 1", "binary expression must contain only scalar and instant vector types"},
      {"(1 + 2)[5m]", "ranges only allowed for vector selectors"},
      {"foo[5m][1h:]", "subquery is only allowed on instant vector, got range vector"},
      {"sum(foo) offset 5m", "offset modifier must be preceded by an instant vector selector"},
      {"foo offset 5m offset 1m", "offset may not be set multiple times"},
      {"foo @ 1 @ 2", "@ <timestamp> may not be set multiple times"},
      {"foo offset 1m [5m]", "no offset or @ modifiers allowed before range"},
      {"{}", "vector selector must contain at least one non-empty matcher"},
      {"{job=~\".*\"}", "vector selector must contain at least one non-empty matcher"},
      {"foo{job=\"a\"", "unexpected end of input inside braces"},
      {"foo[5x]", "1:5: parse error: unexpected character"},
      {"-\"s\"", "unary expression only allowed on expressions of type scalar or instant vector"},
      {"foo bar", "1:5: parse error: unexpected identifier \"bar\""},
      {"sum by (a) (foo) by (b)", "unexpected identifier \"by\" in aggregation"},
      {"\"unterminated", "unterminated quoted string"},
      {"foo[1h30]", "1:5: parse error"},
      {"foo[30m1h]", "not a valid duration string"},
      // Found by the fuzzer: a number of seconds beyond int64 milliseconds.
      {"foo offset 66666666666666666666666107", "duration out of range"},
  };
  for (const auto& [in, want] : cases) {
    std::string got = ErrorOf(in);
    EXPECT_NE(got.find(want), std::string::npos) << in << "\n  got: " << got;
  }
}

TEST(ParserTest, DeepNestingIsAnErrorNotACrash) {
  // Found by the fuzzer: thousands of parentheses overflowed the stack.
  std::string deep(5000, '(');
  EXPECT_NE(ErrorOf(deep + "1").find("nested too deeply"), std::string::npos);
  std::string unary(5000, '-');
  EXPECT_NE(ErrorOf(unary + "1").find("nested too deeply"), std::string::npos);
  std::string ok = std::string(100, '(') + "1" + std::string(100, ')');
  EXPECT_EQ(RoundTrip(ok), ok);
}

TEST(ParserTest, Durations) {
  EXPECT_EQ(ParseDurationMs("5m").MoveValue(), 300'000);
  EXPECT_EQ(ParseDurationMs("1h30m").MoveValue(), 5'400'000);
  EXPECT_EQ(ParseDurationMs("250ms").MoveValue(), 250);
  EXPECT_EQ(ParseDurationMs("1y2w3d").MoveValue(), (365LL + 14 + 3) * 86'400'000);
  EXPECT_FALSE(ParseDurationMs("1m1h").ok());
  EXPECT_FALSE(ParseDurationMs("5").ok());
  EXPECT_FALSE(ParseDurationMs("m").ok());
  EXPECT_FALSE(ParseDurationMs("99999999999999999999y").ok());
  EXPECT_EQ(FormatDuration(5'400'000), "1h30m");
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(1'500), "1s500ms");
}

}  // namespace
}  // namespace mytsdb::promql
