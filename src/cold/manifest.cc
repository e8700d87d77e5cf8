#include "cold/manifest.h"

#include <cstdio>

#include "cold/delta_protocol.h"

namespace mytsdb::cold {

namespace {

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      *out += buf;
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
  out->push_back('"');
}

}  // namespace

Result<std::string> ManifestJson(const TableSnapshot& snapshot) {
  std::string out = "{\"version\":" + std::to_string(snapshot.version) +
                    ",\"watermark_ms\":" + std::to_string(snapshot.watermark) + ",\"files\":[";
  bool first = true;
  for (const auto& file : snapshot.files) {
    ASSIGN_OR_RETURN(std::string path, DecodeActionPath(file->add.path));
    if (!first) out += ',';
    first = false;
    out += "\n{\"path\":";
    AppendJsonString(path, &out);
    out += ",\"min_ts\":" + std::to_string(file->add.min_ts) +
           ",\"max_ts\":" + std::to_string(file->add.max_ts) +
           ",\"rows\":" + std::to_string(file->add.num_records) +
           ",\"bytes\":" + std::to_string(file->add.size_bytes) +
           ",\"file_version\":" + std::to_string(file->add.version) + "}";
  }
  out += "]}\n";
  return out;
}

}  // namespace mytsdb::cold
