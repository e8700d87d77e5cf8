#include "http/api_util.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/time_format.h"

namespace mytsdb::http {

std::string GoJsonTime(int64_t ms) { return ms == 0 ? "0001-01-01T00:00:00Z" : FormatUtcMs(ms, true) + "Z"; }

void PlainError(Response& res, int code, const std::string& msg) {
  res.status = code;
  res.set_content(msg + "\n", "text/plain; charset=utf-8");
}

void WriteApiError(Response& res, int code, std::string_view error_type,
                   std::string_view message) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("status");
  w.String("error");
  w.Key("errorType");
  w.String(error_type.data(), error_type.size());
  w.Key("error");
  w.String(message.data(), message.size());
  w.EndObject();
  res.status = code;
  res.set_content(std::string(buf.GetString(), buf.GetSize()), "application/json");
}

void WriteApiSuccess(Response& res, std::string_view data_json) {
  std::string body = "{\"status\":\"success\",\"data\":";
  body += data_json;
  body += '}';
  res.status = 200;
  res.set_content(body, "application/json");
}

std::vector<std::string> ParamValues(const Request& req, const char* name) {
  std::vector<std::string> out;
  size_t n = req.get_param_value_count(name);
  for (size_t i = 0; i < n; ++i) out.push_back(req.get_param_value(name, i));
  return out;
}

std::string ParamValue(const Request& req, const char* name) {
  return req.has_param(name) ? req.get_param_value(name) : std::string();
}

}  // namespace mytsdb::http
