// The web UI's files (issue 17; docs/design/ui.md), served from a
// directory the build fills (build/ui): its assets as they are, with
// long-lived caching for the hashed ones under assets/, and index.html for
// every other path of one name without a file extension (/query,
// /alerts), so that a shared URL of a page opens that page. index.html's `<base href="/">` gets the route
// prefix, so that the UI's relative URLs work behind a proxy. Paths that
// climb out of the directory are refused.
#pragma once

#include <string>
#include <string_view>

#include "http/message.h"

namespace mytsdb::http {

// `path`: the request's path below the route prefix ("/", "/query",
// "/assets/app-3f2a.js"), or "" for a request outside the prefix that is
// redirected to it (`/` or `/prom` → `/prom/`). `prefix`:
// --web.route-prefix ("" or "/prom").
void ServeUiFile(const std::string& dir, std::string_view prefix, std::string_view path, Response& res);

// Whether `dir` holds a UI to serve (its index.html).
bool HasUi(const std::string& dir);

}  // namespace mytsdb::http
