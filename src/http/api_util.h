// Helpers for the Prometheus-style JSON responses.
#pragma once

#include "http/message.h"

#include <string>
#include <string_view>
#include <vector>

namespace mytsdb::http {

// {"status":"error","errorType":"bad_data","error":"..."} with `code`.
void WriteApiError(Response& res, int code, std::string_view error_type,
                   std::string_view message);
// {"status":"success","data":<data_json>}; `data_json` is already JSON.
void WriteApiSuccess(Response& res, std::string_view data_json);
// All values of a repeated parameter, from the query string or a form body.
std::vector<std::string> ParamValues(const Request& req, const char* name);
std::string ParamValue(const Request& req, const char* name);

}  // namespace mytsdb::http
