#include "template/quote.h"

#include <cstdio>

#include "common/utf8.h"

namespace mytsdb::tmpl {

namespace {

constexpr int32_t kReplacement = 0xFFFD;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Go's unicode.IsPrint, closely enough: the C0 and C1 controls, DEL, the
// soft hyphen, line and paragraph separators, the byte order mark and
// unassigned surrogates are not printable.
bool IsPrint(int32_t r) {
  if (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xad) return false;
  if (r == 0x2028 || r == 0x2029 || r == 0xfeff) return false;
  return r <= 0x10ffff;
}

void AppendHex(std::string& out, uint32_t value, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out.push_back(kHex[(value >> shift) & 0xf]);
}

}  // namespace

void AppendRune(std::string& out, int32_t r) {
  if (r < 0 || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) r = kReplacement;
  AppendUtf8(&out, static_cast<uint32_t>(r));
}

std::pair<int32_t, size_t> DecodeRune(std::string_view s, size_t pos) {
  const auto [cp, len] = DecodeUtf8(s, pos);
  return {static_cast<int32_t>(cp), len};
}

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    const auto [r, len] = DecodeRune(s, i);
    if (len == 1 && static_cast<unsigned char>(s[i]) >= 0x80) {  // not UTF-8
      out += "\\x";
      AppendHex(out, static_cast<unsigned char>(s[i]), 2);
      ++i;
      continue;
    }
    i += len;
    if (r == '"' || r == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(r));
    } else if (IsPrint(r)) {
      AppendRune(out, r);
    } else {
      switch (r) {
        case '\a': out += "\\a"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\v': out += "\\v"; break;
        default:
          if (r < 0x20 || r == 0x7f) {
            out += "\\x";
            AppendHex(out, static_cast<uint32_t>(r), 2);
          } else if (r < 0x10000) {
            out += "\\u";
            AppendHex(out, static_cast<uint32_t>(r), 4);
          } else {
            out += "\\U";
            AppendHex(out, static_cast<uint32_t>(r), 8);
          }
      }
    }
  }
  out.push_back('"');
  return out;
}

std::optional<Unquoted> GoUnquote(std::string_view literal) {
  if (literal.size() < 2) return std::nullopt;
  const char quote = literal.front();
  if (literal.back() != quote) return std::nullopt;
  const std::string_view body = literal.substr(1, literal.size() - 2);
  Unquoted result;
  if (quote == '`') {
    if (body.find('`') != std::string_view::npos) return std::nullopt;
    for (char c : body) {
      if (c != '\r') result.text.push_back(c);  // Go drops carriage returns from raw strings
    }
    return result;
  }
  if (quote != '"' && quote != '\'') return std::nullopt;
  int runes = 0;
  int32_t last_rune = -1;
  for (size_t i = 0; i < body.size();) {
    const char c = body[i];
    if (c == quote || c == '\n') return std::nullopt;
    if (c != '\\') {
      const auto [r, len] = DecodeRune(body, i);
      result.text.append(body.substr(i, len));
      last_rune = r;
      i += len;
      ++runes;
      continue;
    }
    if (i + 1 >= body.size()) return std::nullopt;
    const char e = body[i + 1];
    i += 2;
    int32_t r = -1;
    switch (e) {
      case 'a': r = '\a'; break;
      case 'b': r = '\b'; break;
      case 'f': r = '\f'; break;
      case 'n': r = '\n'; break;
      case 'r': r = '\r'; break;
      case 't': r = '\t'; break;
      case 'v': r = '\v'; break;
      case '\\': r = '\\'; break;
      case '\'': case '"':
        if (e != quote) return std::nullopt;
        r = e;
        break;
      case 'x': case 'u': case 'U': {
        const size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (i + digits > body.size()) return std::nullopt;
        uint32_t v = 0;
        for (size_t k = 0; k < digits; ++k) {
          const int h = HexValue(body[i + k]);
          if (h < 0) return std::nullopt;
          v = v * 16 + static_cast<uint32_t>(h);
        }
        i += digits;
        if (e == 'x') {
          // A byte: in a string as is, in a character constant its value.
          if (quote == '\'') {
            r = static_cast<int32_t>(v);
            break;
          }
          result.text.push_back(static_cast<char>(v));
          last_rune = static_cast<int32_t>(v);
          ++runes;
          continue;
        }
        if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return std::nullopt;
        r = static_cast<int32_t>(v);
        break;
      }
      case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
        if (i + 2 > body.size()) return std::nullopt;
        uint32_t v = static_cast<uint32_t>(e - '0');
        for (size_t k = 0; k < 2; ++k) {
          const char d = body[i + k];
          if (d < '0' || d > '7') return std::nullopt;
          v = v * 8 + static_cast<uint32_t>(d - '0');
        }
        i += 2;
        if (v > 255) return std::nullopt;
        if (quote == '\'') {
          r = static_cast<int32_t>(v);
          break;
        }
        result.text.push_back(static_cast<char>(v));
        last_rune = static_cast<int32_t>(v);
        ++runes;
        continue;
      }
      default:
        return std::nullopt;
    }
    AppendRune(result.text, r);
    last_rune = r;
    ++runes;
  }
  if (quote == '\'') {
    if (runes != 1) return std::nullopt;
    result.rune = last_rune;
  }
  return result;
}

std::string RuneDescription(std::string_view s, size_t pos) {
  const auto [r, len] = DecodeRune(s, pos);
  char code[16];
  std::snprintf(code, sizeof(code), "U+%04X", static_cast<unsigned>(r));
  std::string out = code;
  if (IsPrint(r)) {
    out += " '";
    AppendRune(out, r);
    out += "'";
  }
  return out;
}

std::string HtmlEscape(std::string_view s, bool plus) {
  std::string out;
  for (char c : s) {
    if (plus && c == '+') {
      out += "&#43;";
      continue;
    }
    switch (c) {
      case '\0': out += "\xef\xbf\xbd"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string JsEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const auto [r, len] = DecodeRune(s, i);
      const bool printable = !(r >= 0x80 && r < 0xa0) && r != 0xad && r != 0x2028 && r != 0x2029 && r != 0xfeff &&
                             !(r == 0xfffd && len == 1);
      if (printable) {
        out.append(s.substr(i, len));
      } else {
        char buf[16];
        std::snprintf(buf, sizeof(buf), "\\u%04X", static_cast<unsigned>(r));
        out += buf;
      }
      i += len;
      continue;
    }
    ++i;
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\'': out += "\\'"; break;
      case '"': out += "\\\""; break;
      case '<': out += "\\u003C"; break;
      case '>': out += "\\u003E"; break;
      case '&': out += "\\u0026"; break;
      case '=': out += "\\u003D"; break;
      default:
        if (c < ' ') {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

std::string QueryEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out.push_back(ch);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

}  // namespace mytsdb::tmpl
