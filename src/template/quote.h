// Go's string quoting and escaping, as templates see it: strconv.Quote for
// %q and error messages, strconv.Unquote for string and character literals,
// %#U for a character in a message, and the html, js and urlquery escapes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace mytsdb::tmpl {

// "..." with Go's escapes; printable UTF-8 is kept, invalid bytes become \x.
std::string GoQuote(std::string_view s);

// `...`, "..." or '...' (one character) to its value; nullopt if the
// literal is not valid Go. A character literal yields its code point as
// UTF-8 in `text` and the code point in `rune`.
struct Unquoted {
  std::string text;
  int32_t rune = -1;  // for '...'
};
std::optional<Unquoted> GoUnquote(std::string_view literal);

// "U+0041 'A'": the character starting at byte `pos` of `s`.
std::string RuneDescription(std::string_view s, size_t pos);

// Appends `rune` as UTF-8 (U+FFFD if it is no valid code point).
void AppendRune(std::string& out, int32_t rune);
// The code point at `pos` and its length in bytes (U+FFFD, 1 when invalid).
std::pair<int32_t, size_t> DecodeRune(std::string_view s, size_t pos);

// What Go's html, js and urlquery template functions (and url.QueryEscape)
// make of a text. With `plus`, '+' too, as html/template escapes page text.
std::string HtmlEscape(std::string_view s, bool plus = false);
std::string JsEscape(std::string_view s);
std::string QueryEscape(std::string_view s);

}  // namespace mytsdb::tmpl
