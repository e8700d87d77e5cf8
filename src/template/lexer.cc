#include "template/lexer.h"

#include <algorithm>
#include <cstdint>
#include <unordered_map>

#include "template/quote.h"

namespace mytsdb::tmpl {

namespace {

constexpr std::string_view kLeftDelim = "{{";
constexpr std::string_view kRightDelim = "}}";
constexpr std::string_view kLeftComment = "/*";
constexpr std::string_view kRightComment = "*/";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Letters, digits and '_'; every byte of a multi-byte UTF-8 sequence
// counts as a letter (Go asks unicode.IsLetter of the rune; names in
// templates are ASCII in practice).
bool IsAlphaNumeric(char c) {
  const auto u = static_cast<unsigned char>(c);
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || u >= 0x80;
}

bool HasLeftTrimMarker(std::string_view s) { return s.size() >= 2 && s[0] == '-' && IsSpace(s[1]); }
bool HasRightTrimMarker(std::string_view s) { return s.size() >= 2 && IsSpace(s[0]) && s[1] == '-'; }

const std::unordered_map<std::string_view, TokenKind>& Keywords() {
  static const auto* keywords = new std::unordered_map<std::string_view, TokenKind>{
      {".", TokenKind::kDot},         {"block", TokenKind::kBlock}, {"break", TokenKind::kBreak},
      {"continue", TokenKind::kContinue}, {"define", TokenKind::kDefine}, {"else", TokenKind::kElse},
      {"end", TokenKind::kEnd},       {"if", TokenKind::kIf},       {"nil", TokenKind::kNil},
      {"range", TokenKind::kRange},   {"template", TokenKind::kTemplate}, {"with", TokenKind::kWith},
  };
  return *keywords;
}

class Lexer {
 public:
  explicit Lexer(std::string_view input) : in_(input) {}

  std::vector<Token> Run() {
    while (!done_) LexText();
    return std::move(tokens_);
  }

 private:
  std::string_view Rest() const { return in_.substr(pos_); }
  char Peek() const { return pos_ < in_.size() ? in_[pos_] : '\0'; }
  bool AtEnd() const { return pos_ >= in_.size(); }

  void Emit(TokenKind kind, std::string_view text) {
    tokens_.push_back(Token{kind, std::string(text), line_});
    line_ += static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  }
  void EmitFromStart(TokenKind kind) { Emit(kind, in_.substr(start_, pos_ - start_)); start_ = pos_; }
  void Skip() {
    line_ += static_cast<int>(std::count(in_.begin() + start_, in_.begin() + pos_, '\n'));
    start_ = pos_;
  }
  void Error(std::string message) {
    tokens_.push_back(Token{TokenKind::kError, std::move(message), line_});
    done_ = true;
  }

  // Text up to the next "{{", then the action.
  void LexText() {
    const size_t found = in_.find(kLeftDelim, pos_);
    if (found == std::string_view::npos) {
      pos_ = in_.size();
      if (pos_ > start_) EmitFromStart(TokenKind::kText);
      Emit(TokenKind::kEof, "");
      done_ = true;
      return;
    }
    pos_ = found;
    if (pos_ > start_) {
      size_t end = pos_;
      if (HasLeftTrimMarker(in_.substr(pos_ + kLeftDelim.size()))) {
        while (end > start_ && IsSpace(in_[end - 1])) --end;
      }
      if (end > start_) Emit(TokenKind::kText, in_.substr(start_, end - start_));
      line_ += static_cast<int>(std::count(in_.begin() + end, in_.begin() + pos_, '\n'));
      start_ = pos_;
    }
    LexLeftDelim();
  }

  void LexLeftDelim() {
    pos_ += kLeftDelim.size();
    const bool trim = HasLeftTrimMarker(Rest());
    const size_t after_marker = trim ? 2 : 0;
    if (in_.substr(pos_ + after_marker).starts_with(kLeftComment)) {
      pos_ += after_marker;
      Skip();
      LexComment();
      return;
    }
    Emit(TokenKind::kLeftDelim, kLeftDelim);
    pos_ += after_marker;
    start_ = pos_;
    paren_depth_ = 0;
    while (!done_ && LexInsideAction()) {
    }
  }

  void LexComment() {
    pos_ += kLeftComment.size();
    const size_t end = in_.find(kRightComment, pos_);
    if (end == std::string_view::npos) return Error("unclosed comment");
    pos_ = end + kRightComment.size();
    const auto [delim, trim] = AtRightDelim();
    if (!delim) return Error("comment ends before closing delimiter");
    pos_ += (trim ? 2 : 0) + kRightDelim.size();
    if (trim) {
      while (!AtEnd() && IsSpace(Peek())) ++pos_;
    }
    Skip();
  }

  // (at the right delimiter, with a trim marker before it)
  std::pair<bool, bool> AtRightDelim() const {
    const std::string_view rest = Rest();
    if (HasRightTrimMarker(rest) && rest.substr(2).starts_with(kRightDelim)) return {true, true};
    return {rest.starts_with(kRightDelim), false};
  }

  void LexRightDelim() {
    const bool trim = AtRightDelim().second;
    if (trim) {
      pos_ += 2;
      Skip();
    }
    pos_ += kRightDelim.size();
    EmitFromStart(TokenKind::kRightDelim);
    if (trim) {
      while (!AtEnd() && IsSpace(Peek())) ++pos_;
      Skip();
    }
  }

  // One token inside an action; false once the action is over.
  bool LexInsideAction() {
    if (AtRightDelim().first) {
      if (paren_depth_ == 0) {
        LexRightDelim();
        return false;
      }
      Error("unclosed left paren");
      return false;
    }
    if (AtEnd()) {
      Error("unclosed action");
      return false;
    }
    const char c = in_[pos_++];
    switch (c) {
      case ' ': case '\t': case '\r': case '\n':
        --pos_;
        return LexSpace();
      case '=':
        EmitFromStart(TokenKind::kAssign);
        return true;
      case ':':
        if (Peek() != '=') {
          Error("expected :=");
          return false;
        }
        ++pos_;
        EmitFromStart(TokenKind::kDeclare);
        return true;
      case '|':
        EmitFromStart(TokenKind::kPipe);
        return true;
      case '"':
        return LexQuote('"', "unterminated quoted string", TokenKind::kString);
      case '\'':
        return LexQuote('\'', "unterminated character constant", TokenKind::kCharConstant);
      case '`':
        return LexRawQuote();
      case '$':
        return LexFieldOrVariable(TokenKind::kVariable);
      case '(':
        ++paren_depth_;
        EmitFromStart(TokenKind::kLeftParen);
        return true;
      case ')':
        if (--paren_depth_ < 0) {
          Error("unexpected right paren");
          return false;
        }
        EmitFromStart(TokenKind::kRightParen);
        return true;
      default:
        break;
    }
    if (c == '.' && !(Peek() >= '0' && Peek() <= '9')) return LexFieldOrVariable(TokenKind::kField);
    if (c == '.' || c == '+' || c == '-' || (c >= '0' && c <= '9')) {
      --pos_;
      return LexNumber();
    }
    if (IsAlphaNumeric(c)) {
      --pos_;
      return LexIdentifier();
    }
    if (c > 0x20 && c < 0x7f) {
      EmitFromStart(TokenKind::kChar);
      return true;
    }
    Error("unrecognized character in action: " + RuneDescription(in_, pos_ - 1));
    return false;
  }

  bool LexSpace() {
    size_t spaces = 0;
    while (!AtEnd() && IsSpace(Peek())) {
      ++pos_;
      ++spaces;
    }
    // " -}}": the last space belongs to the trim marker.
    if (HasRightTrimMarker(in_.substr(pos_ - 1)) && in_.substr(pos_ + 1).starts_with(kRightDelim)) {
      --pos_;
      if (spaces == 1) return true;  // at the delimiter
    }
    EmitFromStart(TokenKind::kSpace);
    return true;
  }

  bool AtTerminator() const {
    if (AtEnd()) return true;
    const char c = Peek();
    if (IsSpace(c)) return true;
    switch (c) {
      case '.': case ',': case '|': case ':': case ')': case '(':
        return true;
      default:
        return Rest().starts_with(kRightDelim);
    }
  }

  bool BadCharacter() {
    Error("bad character " + RuneDescription(in_, pos_));
    return false;
  }

  bool LexIdentifier() {
    while (!AtEnd() && IsAlphaNumeric(Peek())) ++pos_;
    if (!AtTerminator()) return BadCharacter();
    const std::string_view word = in_.substr(start_, pos_ - start_);
    const auto& keywords = Keywords();
    if (auto it = keywords.find(word); it != keywords.end()) {
      EmitFromStart(it->second);
    } else if (word == "true" || word == "false") {
      EmitFromStart(TokenKind::kBool);
    } else {
      EmitFromStart(TokenKind::kIdentifier);
    }
    return true;
  }

  // After '.' or '$': a name, or alone the dot or the root variable.
  bool LexFieldOrVariable(TokenKind kind) {
    if (AtTerminator()) {
      EmitFromStart(kind == TokenKind::kVariable ? TokenKind::kVariable : TokenKind::kDot);
      return true;
    }
    while (!AtEnd() && IsAlphaNumeric(Peek())) ++pos_;
    if (!AtTerminator()) return BadCharacter();
    EmitFromStart(kind);
    return true;
  }

  bool Accept(std::string_view valid) {
    if (!AtEnd() && valid.find(Peek()) != std::string_view::npos) {
      ++pos_;
      return true;
    }
    return false;
  }
  void AcceptRun(std::string_view valid) {
    while (Accept(valid)) {
    }
  }

  // Go's number scanner: loose on purpose; the parser checks the syntax.
  bool ScanNumber() {
    Accept("+-");
    std::string_view digits = "0123456789_";
    if (Accept("0")) {
      if (Accept("xX")) {
        digits = "0123456789abcdefABCDEF_";
      } else if (Accept("oO")) {
        digits = "01234567_";
      } else if (Accept("bB")) {
        digits = "01_";
      }
    }
    AcceptRun(digits);
    if (Accept(".")) AcceptRun(digits);
    if (digits.size() == 11 && Accept("eE")) {
      Accept("+-");
      AcceptRun("0123456789_");
    }
    if (digits.size() == 23 && Accept("pP")) {
      Accept("+-");
      AcceptRun("0123456789_");
    }
    Accept("i");
    if (!AtEnd() && IsAlphaNumeric(Peek())) {
      ++pos_;
      return false;
    }
    return true;
  }

  bool LexNumber() {
    auto bad = [this] {
      Error("bad number syntax: " + GoQuote(in_.substr(start_, pos_ - start_)));
      return false;
    };
    if (!ScanNumber()) return bad();
    if (Peek() == '+' || Peek() == '-') {
      if (!ScanNumber() || in_[pos_ - 1] != 'i') return bad();
      EmitFromStart(TokenKind::kComplex);
      return true;
    }
    EmitFromStart(TokenKind::kNumber);
    return true;
  }

  bool LexQuote(char quote, const char* unterminated, TokenKind kind) {
    while (true) {
      if (AtEnd()) break;
      const char c = in_[pos_++];
      if (c == '\\') {
        if (AtEnd() || Peek() == '\n') break;
        ++pos_;
        continue;
      }
      if (c == '\n') break;
      if (c == quote) {
        EmitFromStart(kind);
        return true;
      }
    }
    Error(unterminated);
    return false;
  }

  bool LexRawQuote() {
    const size_t end = in_.find('`', pos_);
    if (end == std::string_view::npos) {
      Error("unterminated raw quoted string");
      return false;
    }
    pos_ = end + 1;
    EmitFromStart(TokenKind::kRawString);
    return true;
  }

  std::string_view in_;
  size_t pos_ = 0;
  size_t start_ = 0;
  int line_ = 1;
  int paren_depth_ = 0;
  bool done_ = false;
  std::vector<Token> tokens_;
};

}  // namespace

std::string Describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::kEof: return "EOF";
    case TokenKind::kError: return token.text;
    default: break;
  }
  if (token.kind >= TokenKind::kBlock) return "<" + token.text + ">";
  if (token.text.size() > 10) return GoQuote(token.text.substr(0, 10)) + "...";
  return GoQuote(token.text);
}

std::vector<Token> Lex(std::string_view input) { return Lexer(input).Run(); }

}  // namespace mytsdb::tmpl
