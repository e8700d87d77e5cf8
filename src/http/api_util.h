// Helpers for the Prometheus-style JSON responses.
#pragma once

#include <httplib.h>

#include <string>
#include <string_view>
#include <vector>

namespace mytsdb::http {

// {"status":"error","errorType":"bad_data","error":"..."} with `code`.
void WriteApiError(httplib::Response& res, int code, std::string_view error_type,
                   std::string_view message);
// {"status":"success","data":<data_json>}; `data_json` is already JSON.
void WriteApiSuccess(httplib::Response& res, std::string_view data_json);
// All values of a repeated parameter, from the query string or a form body.
std::vector<std::string> ParamValues(const httplib::Request& req, const char* name);
std::string ParamValue(const httplib::Request& req, const char* name);

}  // namespace mytsdb::http
