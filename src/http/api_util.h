// Helpers for the Prometheus-style JSON responses.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace mytsdb::http {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// A string of any bytes (rapidjson's String takes a length).
inline void WriteString(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// A label set as a JSON object: model::Labels, or a map of names to values.
template <typename LabelSet>
void WriteLabelObject(JsonWriter& w, const LabelSet& labels) {
  w.StartObject();
  for (const auto& [name, value] : labels) {
    WriteString(w, name);
    WriteString(w, value);
  }
  w.EndObject();
}

// A time as Go's encoding/json writes a time.Time (RFC 3339 with as many
// fraction digits as needed); Go's zero time for 0 ("never").
std::string GoJsonTime(int64_t ms);

// {"status":"error","errorType":"bad_data","error":"..."} with `code`.
// An error as Prometheus's protobuf endpoints (remote write and read) answer
// one: the status and the message as plain text.
void PlainError(Response& res, int code, const std::string& msg);
void WriteApiError(Response& res, int code, std::string_view error_type,
                   std::string_view message);
// {"status":"success","data":<data_json>}; `data_json` is already JSON.
void WriteApiSuccess(Response& res, std::string_view data_json);
// All values of a repeated parameter, from the query string or a form body.
std::vector<std::string> ParamValues(const Request& req, const char* name);
std::string ParamValue(const Request& req, const char* name);

}  // namespace mytsdb::http
