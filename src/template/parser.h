// Go's template parser (text/template/parse/parse.go): checks what Go
// checks when a template is parsed (syntax, that every function exists,
// that every variable is declared, {{break}} only inside {{range}}) and
// reports errors with Go's wording: `template: NAME:LINE: message`.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "template/ast.h"

namespace mytsdb::tmpl {

using TreeSet = std::map<std::string, std::shared_ptr<const Tree>, std::less<>>;

// Parses `text` as the template `name`; it and the templates it defines go
// into `trees`. An empty template does not replace a defined one; two
// non-empty definitions of one name are an error.
Status Parse(std::string_view name, std::string_view text, const std::function<bool(std::string_view)>& has_function,
             TreeSet* trees);

}  // namespace mytsdb::tmpl
