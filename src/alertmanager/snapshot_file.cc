#include "alertmanager/snapshot_file.h"

#include <cstdio>

#include "common/crc32c.h"

namespace mytsdb::alertmanager {

namespace {

constexpr std::string_view kTrailer = "\ncrc32c ";

std::string Hex(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof(buf), "%08x", v);
  return buf;
}

}  // namespace

Status WriteSnapshot(io::FileSystem* fs, const std::string& path, std::string_view body) {
  std::string data(body);
  data += kTrailer;
  data += Hex(crc32c::Value(body));
  data += "\n";
  return fs->WriteFileAtomically(path, data);
}

Result<std::optional<std::string>> ReadSnapshot(io::FileSystem* fs, const std::string& path) {
  auto data = fs->ReadFile(path);
  if (!data.ok()) {
    if (data.status().IsNotFound()) return std::optional<std::string>();
    return data.status();
  }
  const size_t at = data->rfind(kTrailer);
  const size_t hex_at = at + kTrailer.size();
  if (at == std::string::npos || data->size() != hex_at + 9 || data->back() != '\n') {
    return CorruptState(path, "not a complete MyTSDB Alertmanager state file (no checksum line)");
  }
  std::string body = data->substr(0, at);
  if (data->substr(hex_at, 8) != Hex(crc32c::Value(body))) {
    return CorruptState(path, "checksum mismatch");
  }
  return std::optional<std::string>(std::move(body));
}

Status CorruptState(const std::string& path, const std::string& what) {
  return Status::Corruption(path + ": " + what + "; refusing to start rather than guess its contents");
}

Status WriteStateDocument(io::FileSystem* fs, const std::string& path, const char* list_key,
                          const std::function<void(JsonWriter*)>& items) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("version");
  w.Int(1);
  w.Key(list_key);
  w.StartArray();
  items(&w);
  w.EndArray();
  w.EndObject();
  return WriteSnapshot(fs, path, std::string_view(buf.GetString(), buf.GetSize()));
}

Result<std::optional<rapidjson::Document>> ReadStateDocument(io::FileSystem* fs, const std::string& path,
                                                             const char* list_key) {
  ASSIGN_OR_RETURN(std::optional<std::string> body, ReadSnapshot(fs, path));
  if (!body) return std::optional<rapidjson::Document>();
  rapidjson::Document doc;
  doc.Parse(body->data(), body->size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("version") || !doc["version"].IsInt() ||
      doc["version"].GetInt() != 1 || !doc.HasMember(list_key) || !doc[list_key].IsArray()) {
    return CorruptState(path, std::string("not a state file of a known version with \"") + list_key + "\"");
  }
  return std::optional<rapidjson::Document>(std::move(doc));
}

}  // namespace mytsdb::alertmanager
