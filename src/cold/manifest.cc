#include "cold/manifest.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "cold/delta_protocol.h"

namespace mytsdb::cold {

Result<std::string> ManifestJson(const TableSnapshot& snapshot) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("version");
  w.Int64(snapshot.version);
  w.Key("watermark_ms");
  w.Int64(snapshot.watermark);
  w.Key("files");
  w.StartArray();
  for (const auto& file : snapshot.files) {
    ASSIGN_OR_RETURN(std::string path, DecodeActionPath(file->add.path));
    w.StartObject();
    w.Key("path");
    w.String(path.data(), static_cast<rapidjson::SizeType>(path.size()));
    w.Key("min_ts");
    w.Int64(file->add.min_ts);
    w.Key("max_ts");
    w.Int64(file->add.max_ts);
    w.Key("rows");
    w.Int64(file->add.num_records);
    w.Key("bytes");
    w.Int64(file->add.size_bytes);
    w.Key("file_version");
    w.Int64(file->add.version);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

}  // namespace mytsdb::cold
