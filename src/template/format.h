// Go's fmt for template values: what {{ . }}, print, println and printf
// write, to the letter where templates can see it ("1e+06" for a million,
// "+Inf", "%!d(string=x)" for a wrong verb, "map[a:1 b:2]").
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "template/value.h"

namespace mytsdb::tmpl {

// strconv.FormatFloat(v, fmt, prec, 64) for fmt in "eEfgG"; prec -1 is the
// shortest text that reads back as v.
std::string FormatFloat(double v, char fmt, int prec);

// fmt.Sprint(v): %v of one value.
std::string ToText(const Value& v);

// fmt.Sprint, fmt.Sprintln and fmt.Sprintf of a list of values.
std::string Sprint(std::span<const Value> args);
std::string Sprintln(std::span<const Value> args);
std::string Sprintf(std::string_view format, std::span<const Value> args);

}  // namespace mytsdb::tmpl
