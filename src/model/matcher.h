// Matcher: one label matcher of a series selector (=, !=, =~, !~).
//
// Regular expressions use RE2 (the syntax Prometheus uses, linear time) and
// are fully anchored, as in Prometheus: `job=~"api"` matches only "api".
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace re2 {
class RE2;
}

namespace mytsdb::model {

enum class MatchType { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };

class Matcher {
 public:
  // Compiles the regex for regex types; InvalidArgument if it does not parse.
  static Result<Matcher> Make(MatchType type, std::string name, std::string value);

  MatchType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }

  // Whether a label value satisfies the matcher. An absent label is the empty
  // string, so `foo=""` matches series without `foo`.
  bool Matches(std::string_view label_value) const;
  // Whether the matcher accepts the empty string (then it also selects series
  // that lack the label, which changes how the index must evaluate it).
  bool MatchesEmpty() const { return Matches(""); }

  std::string ToString() const;

 private:
  Matcher() = default;
  MatchType type_ = MatchType::kEqual;
  std::string name_;
  std::string value_;
  std::shared_ptr<const re2::RE2> regex_;  // set for regex types; immutable, shared by copies
};

using Matchers = std::vector<Matcher>;

}  // namespace mytsdb::model
