// A Go text/template, parsed and run in C++: Prometheus's alert labels and
// annotations and Alertmanager's notification templates are written in it
// (docs/TEMPLATES.md). Parsing checks what Go checks; execution follows
// text/template/exec.go (fields and map keys, methods, variables, if,
// range, with, break/continue, template and block, the builtin functions)
// and Go's fmt for output, with limits on work, output and depth so that
// no template can hang or exhaust the server.
//
//   auto t = Template::Parse("summary", "{{ $labels.job }} is down", funcs);
//   auto text = t->Execute(data);
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "template/parser.h"
#include "template/value.h"

namespace mytsdb::tmpl {

// A function templates may call (Go's FuncMap entry). A failed call's
// Status message becomes "error calling NAME: message".
struct Function {
  std::vector<Param> params;  // fixed parameters
  bool variadic = false;      // then more arguments of type `rest`
  Param rest = Param::kAny;
  std::function<Result<Value>(std::span<const Value> args)> call;
};
using FunctionMap = std::map<std::string, Function, std::less<>>;

// What a missing map key yields: "<no value>" (Go's default, Alertmanager),
// the map's zero value ("missingkey=zero", Prometheus) or an error.
enum class MissingKey { kDefault, kZero, kError };

struct ExecOptions {
  MissingKey missing_key = MissingKey::kDefault;
  size_t max_output_bytes = 1 << 20;
  size_t max_steps = 1'000'000;  // nodes and range iterations
  // Bytes of the strings functions return, together: a template that
  // builds ever larger values (print $x $x in a loop, printf with huge
  // widths) stops here rather than after minutes of work.
  size_t max_value_bytes = 16 << 20;
  int max_depth = 100;           // nested {{template}} calls
  // What actions print is HTML-escaped, as Go's html/template escapes text
  // in an HTML page (values of the type template.HTML, which `safeHtml`
  // returns, are not). Attributes, scripts and URLs get the same escaping,
  // not html/template's context-dependent one.
  bool escape_html = false;
};

// The name of html/template's HTML type: a value of a Type with this name
// is printed as it is under escape_html.
inline constexpr const char* kHtmlTypeName = "template.HTML";

class Template {
 public:
  // Parses `text` as the template `name`; `funcs` (with Go's builtins)
  // are the functions it may call.
  static Result<Template> Parse(std::string name, std::string_view text,
                                std::shared_ptr<const FunctionMap> funcs = nullptr);

  // Parses more text into this set: its {{define}}s become callable (Go's
  // Template.Parse on an existing template, as ParseFiles does).
  Status AddText(std::string_view name, std::string_view text);

  // Runs the template named at Parse (or `name`) on `data`.
  Result<std::string> Execute(const Value& data, const ExecOptions& options = {}) const;
  Result<std::string> ExecuteTemplate(std::string_view name, const Value& data,
                                      const ExecOptions& options = {}) const;

  const std::string& name() const { return name_; }
  bool HasTemplate(std::string_view name) const { return trees_.count(name) > 0; }

 private:
  std::string name_;
  std::shared_ptr<const FunctionMap> funcs_;
  TreeSet trees_;
};

// Go's builtin functions (and, or, not, len, index, slice, print, printf,
// println, html, js, urlquery, eq, ne, lt, le, gt, ge, call); and/or are
// evaluated lazily by the executor, the entries here make the names known.
const FunctionMap& Builtins();

}  // namespace mytsdb::tmpl
