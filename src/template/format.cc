#include "template/format.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "template/quote.h"

namespace mytsdb::tmpl {

namespace {

struct Flags {
  bool plus = false, minus = false, sharp = false, space = false, zero = false;
  bool plus_v = false;  // %+v: field names in structs, no '+' on numbers
  bool has_width = false, has_prec = false;
  int width = 0, prec = 0;
};

size_t RuneCount(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); i += DecodeRune(s, i).second) ++n;
  return n;
}

// Shortest decimal digits of a finite, non-zero |v| and the position of
// the decimal point: v = 0.digits × 10^point.
struct Digits {
  std::string digits;
  int point = 0;
};

Digits ShortestDigits(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), std::fabs(v), std::chars_format::scientific);
  const std::string_view text(buf, static_cast<size_t>(end - buf));  // d.ddde±XX
  const size_t e = text.find('e');
  Digits d;
  for (char c : text.substr(0, e)) {
    if (c != '.') d.digits.push_back(c);
  }
  d.point = std::atoi(std::string(text.substr(e + 1)).c_str()) + 1;
  while (d.digits.size() > 1 && d.digits.back() == '0') d.digits.pop_back();
  return d;
}

// %e layout of digits: d.ddd e±XX with `prec` digits after the point.
std::string LayoutE(const Digits& d, int prec, char e) {
  std::string out(1, d.digits[0]);
  if (prec > 0) {
    out.push_back('.');
    for (int i = 1; i <= prec; ++i) out.push_back(static_cast<size_t>(i) < d.digits.size() ? d.digits[i] : '0');
  }
  int exp = d.digits == "0" ? 0 : d.point - 1;
  out.push_back(e);
  out.push_back(exp < 0 ? '-' : '+');
  exp = std::abs(exp);
  if (exp < 10) out.push_back('0');
  out += std::to_string(exp);
  return out;
}

// %f layout of digits with `prec` digits after the point.
std::string LayoutF(const Digits& d, int prec) {
  std::string out;
  if (d.point > 0) {
    for (int i = 0; i < d.point; ++i) out.push_back(static_cast<size_t>(i) < d.digits.size() ? d.digits[i] : '0');
  } else {
    out = "0";
  }
  if (prec > 0) {
    out.push_back('.');
    for (int i = 0; i < prec; ++i) {
      const int j = d.point + i;
      out.push_back(j >= 0 && static_cast<size_t>(j) < d.digits.size() ? d.digits[j] : '0');
    }
  }
  return out;
}

}  // namespace

std::string FormatFloat(double v, char fmt, int prec) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  const std::string sign = std::signbit(v) ? "-" : "";
  if (prec >= 0) {
    // Correctly rounded by the C library, laid out as Go lays it out
    // (both write at least two exponent digits).
    char spec[8];
    std::snprintf(spec, sizeof(spec), "%%.*%c", fmt);
    char buf[512];
    const int n = std::snprintf(buf, sizeof(buf), spec, prec, std::fabs(v));
    if (n > 0 && static_cast<size_t>(n) < sizeof(buf)) return sign + buf;
    std::string big(static_cast<size_t>(n) + 1, '\0');
    std::snprintf(big.data(), big.size(), spec, prec, std::fabs(v));
    big.resize(static_cast<size_t>(n));
    return sign + big;
  }
  Digits d = v == 0 ? Digits{"0", 1} : ShortestDigits(v);
  const int nd = static_cast<int>(d.digits.size());
  switch (fmt) {
    case 'e': case 'E':
      return sign + LayoutE(d, nd - 1, fmt);
    case 'f': case 'F':
      return sign + LayoutF(d, std::max(nd - d.point, 0));
    default: {
      // Go's %g of the shortest digits: exponent form below 1e-4 and from
      // 1e+06 (the precision 6 decides, whatever the digits).
      const int exp = d.point - 1;
      if (v != 0 && (exp < -4 || exp >= 6)) return sign + LayoutE(d, nd - 1, fmt == 'G' ? 'E' : 'e');
      return sign + LayoutF(d, std::max(nd - d.point, 0));
    }
  }
}

namespace {

class Printer {
 public:
  std::string out;

  void Pad(std::string_view s) {
    if (!flags_.has_width) {
      out += s;
      return;
    }
    const size_t n = RuneCount(s);
    const size_t width = static_cast<size_t>(std::max(flags_.width, 0));
    if (n >= width) {
      out += s;
      return;
    }
    const std::string padding(width - n, flags_.zero && !flags_.minus ? '0' : ' ');
    if (flags_.minus) {
      out += s;
      out += padding;
    } else {
      out += padding;
      out += s;
    }
  }

  // %!d(string=x). The value is printed with the flags as they are, and
  // without its String method (Go's fmt does both).
  void BadVerb(char verb, const Value& v) {
    out += "%!";
    out.push_back(verb);
    out.push_back('(');
    if (v.IsNil()) {
      out += "<nil>";
    } else {
      out += v.TypeName();
      out.push_back('=');
      erroring_ = true;
      Print(v, 'v');
      erroring_ = false;
    }
    out.push_back(')');
  }

  void Integer(int64_t i, char verb) {
    const bool negative = i < 0;
    const uint64_t u = negative ? 0 - static_cast<uint64_t>(i) : static_cast<uint64_t>(i);
    int base = 10;
    std::string prefix;
    switch (verb) {
      case 'b': base = 2; if (flags_.sharp) prefix = "0b"; break;
      case 'o': base = 8; if (flags_.sharp) prefix = "0"; break;
      case 'O': base = 8; prefix = "0o"; break;
      case 'x': base = 16; if (flags_.sharp) prefix = "0x"; break;
      case 'X': base = 16; if (flags_.sharp) prefix = "0X"; break;
      default: break;
    }
    char buf[80];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), u, base);
    std::string digits(buf, end);
    if (verb == 'X') {
      for (char& c : digits) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    // Leading zeros in one insertion (a loop of single ones is quadratic
    // in widths of up to a million).
    auto zero_pad = [&digits](size_t want) {
      if (digits.size() < want) digits.insert(0, want - digits.size(), '0');
    };
    if (flags_.has_prec) {
      if (flags_.prec == 0 && u == 0) digits.clear();
      zero_pad(static_cast<size_t>(flags_.prec));
    } else if (flags_.zero && !flags_.minus && flags_.has_width) {
      // Zero padding goes between the sign and the digits.
      const size_t sign = (negative || flags_.plus || flags_.space) ? 1 : 0;
      zero_pad(static_cast<size_t>(flags_.width) - std::min(static_cast<size_t>(flags_.width), sign + prefix.size()));
    }
    std::string s = negative ? "-" : flags_.plus ? "+" : flags_.space ? " " : "";
    s += prefix;
    s += digits;
    const bool zero = flags_.zero;
    flags_.zero = false;
    Pad(s);
    flags_.zero = zero;
  }

  void Float(double f, char verb) {
    int prec = flags_.has_prec ? flags_.prec : -1;
    char fmt = verb;
    switch (verb) {
      case 'v': fmt = 'g'; break;
      case 'F': fmt = 'f'; [[fallthrough]];
      case 'f': case 'e': case 'E':
        if (!flags_.has_prec) prec = 6;
        break;
      default: break;
    }
    std::string num;
    if (flags_.sharp && fmt != 'b' && std::isfinite(f)) {
      char spec[12];
      std::snprintf(spec, sizeof(spec), "%%#.*%c", fmt);
      char buf[512];
      std::snprintf(buf, sizeof(buf), spec, prec < 0 ? 6 : prec, f);
      num = buf;
    } else {
      num = FormatFloat(f, fmt, prec);
    }
    if (num[0] != '-' && num[0] != '+') num.insert(num.begin(), '+');
    if (flags_.space && num[0] == '+' && !flags_.plus) num[0] = ' ';
    if (num[1] == 'I' || num[1] == 'N') {
      if (num[1] == 'N' && !flags_.space && !flags_.plus) num.erase(0, 1);
      const bool zero = flags_.zero;
      flags_.zero = false;
      Pad(num);
      flags_.zero = zero;
      return;
    }
    if (flags_.plus || num[0] != '+') {
      if (flags_.zero && !flags_.minus && flags_.has_width && static_cast<size_t>(flags_.width) > num.size()) {
        out.push_back(num[0]);
        out.append(static_cast<size_t>(flags_.width) - num.size(), '0');
        out.append(num, 1);
        return;
      }
      Pad(num);
      return;
    }
    Pad(std::string_view(num).substr(1));
  }

  void String(const std::string& s, char verb) {
    switch (verb) {
      case 'v': case 's': {
        if (flags_.has_prec) {
          size_t i = 0;
          for (int n = 0; n < flags_.prec && i < s.size(); ++n) i += DecodeRune(s, i).second;
          Pad(std::string_view(s).substr(0, i));
        } else {
          Pad(s);
        }
        return;
      }
      case 'q':
        if (flags_.sharp && s.find('`') == std::string::npos && s.find('\n') == std::string::npos) {
          Pad("`" + s + "`");
        } else {
          Pad(GoQuote(s));
        }
        return;
      case 'x': case 'X': {
        static constexpr char kLower[] = "0123456789abcdef";
        static constexpr char kUpper[] = "0123456789ABCDEF";
        const char* hex = verb == 'x' ? kLower : kUpper;
        std::string h;
        for (size_t i = 0; i < s.size(); ++i) {
          if (flags_.space && i > 0) h.push_back(' ');
          if (flags_.sharp && (flags_.space || i == 0)) h += verb == 'x' ? "0x" : "0X";
          const auto b = static_cast<unsigned char>(s[i]);
          h.push_back(hex[b >> 4]);
          h.push_back(hex[b & 0xf]);
        }
        Pad(h);
        return;
      }
      default:
        BadVerb(verb, Value::String(s));
    }
  }

  void Print(const Value& v, char verb) {
    if (verb == 'T') {
      Pad(v.IsNil() ? "<nil>" : v.TypeName());
      return;
    }
    if (v.IsNil()) {
      if (verb == 'v') {
        Pad("<nil>");
      } else {
        BadVerb(verb, v);
      }
      return;
    }
    // A fmt.Stringer prints its String() for the verbs of strings.
    if (!erroring_ && v.type() && v.type()->string_method && (verb == 'v' || verb == 's' || verb == 'q' || verb == 'x' || verb == 'X')) {
      String(v.type()->string_method(v), verb);
      return;
    }
    switch (v.kind()) {
      case Kind::kBool:
        if (verb == 't' || verb == 'v') {
          Pad(v.AsBool() ? "true" : "false");
        } else {
          BadVerb(verb, v);
        }
        return;
      case Kind::kInt:
        switch (verb) {
          case 'v': case 'd': case 'b': case 'o': case 'O': case 'x': case 'X':
            Integer(v.AsInt(), verb == 'v' ? 'd' : verb);
            return;
          case 'c': {
            std::string s;
            AppendRune(s, static_cast<int32_t>(v.AsInt()));
            Pad(s);
            return;
          }
          case 'q': {
            std::string s;
            AppendRune(s, static_cast<int32_t>(v.AsInt()));
            std::string quoted = GoQuote(s);
            if (s == "'") quoted = "\"\\'\"";
            if (s == "\"") quoted = "\"\"\"";
            Pad("'" + quoted.substr(1, quoted.size() - 2) + "'");
            return;
          }
          case 'U': {
            char buf[32];
            std::snprintf(buf, sizeof(buf), "U+%04llX", static_cast<unsigned long long>(v.AsInt()));
            std::string s = buf;
            if (flags_.sharp) {
              s += " '";
              AppendRune(s, static_cast<int32_t>(v.AsInt()));
              s += "'";
            }
            Pad(s);
            return;
          }
          default:
            BadVerb(verb, v);
            return;
        }
      case Kind::kFloat:
        switch (verb) {
          case 'v': case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
            Float(v.AsFloat(), verb);
            return;
          default:
            BadVerb(verb, v);
            return;
        }
      case Kind::kString:
        String(v.AsString(), verb);
        return;
      case Kind::kList: {
        out.push_back('[');
        bool first = true;
        for (const Value& item : v.AsList()) {
          if (!first) out.push_back(' ');
          first = false;
          Print(item, verb);
        }
        out.push_back(']');
        return;
      }
      case Kind::kMap: {
        out += "map[";
        bool first = true;
        for (const auto& [key, item] : v.AsMap().entries) {
          if (!first) out.push_back(' ');
          first = false;
          String(key, verb == 'v' ? 'v' : verb);
          out.push_back(':');
          Print(item, verb);
        }
        out.push_back(']');
        return;
      }
      case Kind::kStruct: {
        out.push_back('{');
        bool first = true;
        for (const auto& [name, item] : v.AsFields()) {
          if (!first) out.push_back(' ');
          first = false;
          if (flags_.plus_v) {
            out += name;
            out.push_back(':');
          }
          Print(item, verb);
        }
        out.push_back('}');
        return;
      }
      case Kind::kNil:
        return;
    }
  }

  void Printf(std::string_view format, std::span<const Value> args) {
    size_t arg = 0;
    for (size_t i = 0; i < format.size();) {
      const size_t pct = format.find('%', i);
      out.append(format.substr(i, pct == std::string_view::npos ? std::string_view::npos : pct - i));
      if (pct == std::string_view::npos) break;
      i = pct + 1;
      flags_ = Flags{};
      for (; i < format.size(); ++i) {
        const char c = format[i];
        if (c == '#') flags_.sharp = true;
        else if (c == '0') flags_.zero = true;
        else if (c == '+') flags_.plus = true;
        else if (c == '-') flags_.minus = true;
        else if (c == ' ') flags_.space = true;
        else break;
      }
      // Width, then precision: digits or '*' (an int argument).
      auto number = [&](int& target, bool& present) {
        if (i < format.size() && format[i] == '*') {
          ++i;
          if (arg < args.size() && args[arg].kind() == Kind::kInt) {
            target = static_cast<int>(std::clamp<int64_t>(args[arg].AsInt(), -1000000, 1000000));
            present = true;
          } else {
            out += "%!(BADWIDTH)";
          }
          ++arg;
          return;
        }
        const size_t start = i;
        while (i < format.size() && format[i] >= '0' && format[i] <= '9' && i - start < 7) {
          target = target * 10 + (format[i] - '0');
          ++i;
        }
        present = i > start;
      };
      number(flags_.width, flags_.has_width);
      if (flags_.has_width && flags_.width < 0) {
        flags_.minus = true;
        flags_.width = -flags_.width;
      }
      if (i < format.size() && format[i] == '.') {
        ++i;
        number(flags_.prec, flags_.has_prec);
        if (flags_.prec < 0) {
          flags_.prec = 0;
          flags_.has_prec = false;
        }
        flags_.has_prec = true;
      }
      if (i >= format.size()) {
        out += "%!(NOVERB)";
        break;
      }
      const auto [rune, len] = DecodeRune(format, i);
      i += len;
      if (rune == '%') {
        out.push_back('%');
        continue;
      }
      if (arg >= args.size()) {
        out += "%!";
        AppendRune(out, rune);
        out += "(MISSING)";
        continue;
      }
      if (rune >= 0x80) {
        std::string verb;
        AppendRune(verb, rune);
        out += "%!" + verb + "(" + args[arg].TypeName() + "=";
        flags_ = Flags{};
        Print(args[arg++], 'v');
        out += ")";
        continue;
      }
      if (flags_.minus) flags_.zero = false;
      if (rune == 'v' && flags_.plus) {
        flags_.plus = false;
        flags_.plus_v = true;
      }
      Print(args[arg++], static_cast<char>(rune));
    }
    if (arg < args.size()) {
      flags_ = Flags{};
      out += "%!(EXTRA ";
      for (size_t k = arg; k < args.size(); ++k) {
        if (k > arg) out += ", ";
        if (args[k].IsNil()) {
          out += "<nil>";
          continue;
        }
        out += args[k].TypeName();
        out.push_back('=');
        Print(args[k], 'v');
      }
      out.push_back(')');
    }
  }

 private:
  Flags flags_;
  bool erroring_ = false;
};

}  // namespace

std::string ToText(const Value& v) {
  Printer p;
  p.Print(v, 'v');
  return std::move(p.out);
}

std::string Sprint(std::span<const Value> args) {
  Printer p;
  for (size_t i = 0; i < args.size(); ++i) {
    // A space between operands when neither is a string.
    if (i > 0 && args[i].kind() != Kind::kString && args[i - 1].kind() != Kind::kString) p.out.push_back(' ');
    p.Print(args[i], 'v');
  }
  return std::move(p.out);
}

std::string Sprintln(std::span<const Value> args) {
  Printer p;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) p.out.push_back(' ');
    p.Print(args[i], 'v');
  }
  p.out.push_back('\n');
  return std::move(p.out);
}

std::string Sprintf(std::string_view format, std::span<const Value> args) {
  Printer p;
  p.Printf(format, args);
  return std::move(p.out);
}

}  // namespace mytsdb::tmpl
