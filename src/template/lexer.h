// The tokens of Go's text/template language, as Go's own lexer produces
// them (text/template/parse/lex.go): text between actions, and inside
// "{{ }}" identifiers, fields, variables, literals, keywords and
// punctuation. Trim markers ("{{- " and " -}}") are applied here, to the
// text next to them; comments are dropped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mytsdb::tmpl {

enum class TokenKind {
  kError,         // text is the message
  kBool,          // true, false
  kChar,          // one printable ASCII character (',' and the like)
  kCharConstant,  // 'a'
  kComplex,       // 1+2i
  kAssign,        // =
  kDeclare,       // :=
  kEof,
  kField,       // .Name
  kIdentifier,  // a function's name
  kLeftDelim,
  kLeftParen,
  kNumber,
  kPipe,
  kRawString,  // `...`, quotes included
  kRightDelim,
  kRightParen,
  kSpace,
  kString,  // "...", quotes included
  kText,
  kVariable,  // $ or $name
  // Keywords.
  kBlock,
  kBreak,
  kContinue,
  kDot,
  kDefine,
  kElse,
  kEnd,
  kIf,
  kNil,
  kRange,
  kTemplate,
  kWith,
};

struct Token {
  TokenKind kind = TokenKind::kEof;
  std::string text;
  int line = 1;  // where the token starts
};

// How a token is named in error messages, as Go names it: "<if>" for a
// keyword, "EOF", the quoted text otherwise.
std::string Describe(const Token& token);

// All tokens of `input`, ending with kEof or, on a lexical error, kError.
std::vector<Token> Lex(std::string_view input);

}  // namespace mytsdb::tmpl
