// Alertmanager's label matchers (pkg/labels): `name="value"`, `!=`, `=~`,
// `!~`, as routes' `matchers`, inhibition rules, silences and amtool
// write them, parsed as Alertmanager 0.25 parses them (a tolerant syntax:
// optional braces and quotes, OpenMetrics escapes in quoted values).
// Regexes are anchored (^(?:...)$) and run by RE2, Go's syntax.
//
// Not model::Matcher (PromQL's): Alertmanager compiles regexes without
// (?s), so `.` does not match a newline here, and it words its errors and
// prints its matchers (OpenMetrics escapes) its own way.
#pragma once

#include <re2/re2.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/labels.h"

namespace mytsdb::alertmanager {

enum class MatchType { kEqual, kNotEqual, kRegexp, kNotRegexp };
const char* MatchTypeString(MatchType type);  // "=", "!=", "=~", "!~"

class Matcher {
 public:
  // InvalidArgument if a regex does not compile.
  static Result<Matcher> Make(MatchType type, std::string name, std::string value);

  MatchType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }
  bool Matches(std::string_view value) const;
  // As Alertmanager prints it: name, operator, the value quoted with
  // OpenMetrics escapes (`team=~"front.*"`).
  std::string String() const;

 private:
  MatchType type_ = MatchType::kEqual;
  std::string name_;
  std::string value_;
  std::shared_ptr<const RE2> re_;  // regex types only
};

using Matchers = std::vector<Matcher>;

// Whether `anchored` compiles, with Go's message when it does not
// ("error parsing regexp: missing closing ): `(`"). The legacy match_re
// fields compile their regex anchored once before it becomes a matcher.
Status CheckRegex(const std::string& anchored);

// Whether every matcher matches `labels` (an absent label is "").
bool MatchesAll(const Matchers& matchers, const model::Labels& labels);
// Sorted as Alertmanager sorts a route's matchers: by name, value, type.
void SortMatchers(Matchers* matchers);
// "{a="b",c=~"d"}".
std::string MatchersString(const Matchers& matchers);

// One matcher ("severity = page", `quote="a \"b\""`), with Alertmanager's
// messages ("bad matcher format: ...").
Result<Matcher> ParseMatcher(std::string_view s);
// A comma-separated list, braces optional ("{a=b, c!~"x,y"}").
Result<Matchers> ParseMatchers(std::string_view s);

}  // namespace mytsdb::alertmanager
