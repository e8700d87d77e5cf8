// The functions Alertmanager 0.25 gives notification templates
// (template.DefaultFuncs): toUpper, toLower, title, join, match, safeHtml,
// reReplaceAll and stringSlice, on the Go template engine of src/template.
#pragma once

#include <memory>

#include "template/template.h"

namespace mytsdb::alertmanager {

std::shared_ptr<const tmpl::FunctionMap> TemplateFunctions();

// golang.org/x/text/cases Title in American English, as Alertmanager's
// `title` uses it: the first letter of each word upper-cased and the rest
// lower-cased ("hELLO wORLD" -> "Hello World"); a word runs over letters,
// digits, '_' and an apostrophe between letters.
std::string TitleCase(std::string_view s);

}  // namespace mytsdb::alertmanager
