// Writing the Alertmanager's JSON (API answers, webhook and Slack bodies,
// state files) with rapidjson: strings with their length (label values may
// hold NULs), label sets and string maps as objects.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string_view>

#include "model/labels.h"

namespace mytsdb::alertmanager {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

inline void WriteJsonString(JsonWriter* w, std::string_view s) {
  w->String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// {"name": "value", ...} of a map of strings (or any range of pairs).
template <typename Pairs>
void WriteStringMapJson(JsonWriter* w, const Pairs& pairs) {
  w->StartObject();
  for (const auto& [k, v] : pairs) {
    WriteJsonString(w, k);
    WriteJsonString(w, v);
  }
  w->EndObject();
}

inline void WriteLabelsJson(JsonWriter* w, const model::Labels& labels) {
  w->StartObject();
  for (const model::Label& l : labels) {
    WriteJsonString(w, l.name);
    WriteJsonString(w, l.value);
  }
  w->EndObject();
}

}  // namespace mytsdb::alertmanager
