#include "cold/delta_log.h"

#include <fcntl.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>

#include "cold/delta_checkpoint.h"
#include "cold/schema.h"

namespace mytsdb::cold {

namespace fs = std::filesystem;

namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string IsoTime(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(((ms % 1000) + 1000) % 1000));
  return buf;
}

std::string NewUuid() {
  std::random_device rd;
  std::mt19937_64 rng((static_cast<uint64_t>(rd()) << 32) ^ rd());
  uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x4000;          // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

void Key(JsonWriter& w, const char* k) { w.Key(k); }
void Str(JsonWriter& w, const std::string& s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

Status SyncPath(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return Status::IOErrorFromErrno("open", path);
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::OK() : Status::IOErrorFromErrno("fsync", path);
}

}  // namespace

std::string DayOf(int64_t ts_ms) { return IsoTime(ts_ms).substr(0, 10); }

std::string AddStatsJson(const AddFile& f) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  Key(w, "numRecords");
  w.Int64(f.num_records);
  Key(w, "minValues");
  w.StartObject();
  Key(w, "ts");
  Str(w, IsoTime(f.min_ts));
  w.EndObject();
  Key(w, "maxValues");
  w.StartObject();
  Key(w, "ts");
  Str(w, IsoTime(f.max_ts));
  w.EndObject();
  Key(w, "nullCount");
  w.StartObject();
  Key(w, "ts");
  w.Int(0);
  w.EndObject();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string CheckpointFileName(int64_t version) {
  return CommitFileName(version).substr(0, 20) + ".checkpoint.parquet";
}

std::string CommitFileName(int64_t version) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020lld.json", static_cast<long long>(version));
  return buf;
}

Result<std::unique_ptr<DeltaTable>> DeltaTable::Open(const std::string& dir) {
  std::unique_ptr<DeltaTable> table(new DeltaTable(dir));
  fs::path log = fs::path(dir) / "_delta_log";
  std::error_code ec;
  if (!fs::exists(log, ec)) return table;
  std::vector<int64_t> versions;
  for (const auto& e : fs::directory_iterator(log, ec)) {
    std::string name = e.path().filename().string();
    if (name.size() == 25 && name.ends_with(".json") &&
        std::all_of(name.begin(), name.begin() + 20, ::isdigit)) {
      versions.push_back(std::stoll(name.substr(0, 20)));
    }
  }
  if (ec) return Status::IOError("list " + log.string() + ": " + ec.message());
  std::sort(versions.begin(), versions.end());

  // Start from the last checkpoint if there is one, then the commits after it.
  int64_t next = 0;
  std::ifstream last(log / "_last_checkpoint");
  if (last) {
    std::stringstream content;
    content << last.rdbuf();
    rapidjson::Document doc;
    doc.Parse(content.str().c_str());
    if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("version") ||
        !doc["version"].IsInt64()) {
      return Status::Corruption("Delta log " + log.string() + ": unreadable _last_checkpoint");
    }
    int64_t version = doc["version"].GetInt64();
    ASSIGN_OR_RETURN(CheckpointState state,
                     ReadDeltaCheckpoint((log / CheckpointFileName(version)).string()));
    table->table_id_ = state.table_id;
    table->created_time_ms_ = state.created_time_ms;
    RETURN_NOT_OK(table->ApplySchemaString(state.schema_string));
    for (AddFile& f : state.files) {
      if (f.version < 0) f.version = version;  // written by another Delta writer
      table->files_[f.path] = std::move(f);
    }
    if (state.watermark) table->watermark_ = *state.watermark;
    table->version_ = version;
    table->last_checkpoint_ = version;
    next = version + 1;
  }
  for (int64_t v : versions) {
    if (v < next) continue;
    if (v != next) {
      return Status::Corruption("Delta log " + log.string() + ": version " +
                                std::to_string(next) + " is missing");
    }
    std::ifstream in(log / CommitFileName(v));
    std::stringstream content;
    content << in.rdbuf();
    RETURN_NOT_OK(table->ApplyCommit(v, content.str()));
    ++next;
  }
  return table;
}

Status DeltaTable::ApplySchemaString(const std::string& schema_string) {
  rapidjson::Document schema;
  schema.Parse(schema_string.c_str());
  if (schema.HasParseError() || !schema.HasMember("fields") || !schema["fields"].IsArray()) {
    return Status::Corruption("Delta log: unreadable schemaString");
  }
  label_columns_.clear();
  for (const auto& field : schema["fields"].GetArray()) {
    if (!field.HasMember("name") || !field["name"].IsString()) continue;
    std::string name = field["name"].GetString();
    if (!LabelForColumn(name).empty()) label_columns_.push_back(name);
  }
  schema_string_ = schema_string;
  return Status::OK();
}

Status DeltaTable::WriteCheckpoint() {
  CheckpointState state;
  state.table_id = table_id_;
  state.created_time_ms = created_time_ms_;
  state.schema_string = schema_string_;
  for (const auto& [path, f] : files_) state.files.push_back(f);
  if (watermark_ != INT64_MIN) state.watermark = watermark_;
  fs::path log = fs::path(dir_) / "_delta_log";
  RETURN_NOT_OK(WriteDeltaCheckpoint((log / CheckpointFileName(version_)).string(), state));
  // _last_checkpoint is replaced atomically; readers that see the old one
  // still find the older checkpoint and the commits after it.
  std::string body = "{\"version\":" + std::to_string(version_) +
                     ",\"size\":" + std::to_string(state.files.size() + 2 + (state.watermark ? 1 : 0)) +
                     "}\n";
  std::string tmp = (log / "._last_checkpoint.tmp").string();
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << body;
    if (!out) return Status::IOError("write " + tmp);
  }
  if (::rename(tmp.c_str(), (log / "_last_checkpoint").c_str()) != 0) {
    return Status::IOErrorFromErrno("rename", tmp);
  }
  last_checkpoint_ = version_;
  return Status::OK();
}

Status DeltaTable::ApplyCommit(int64_t version, const std::string& json) {
  std::istringstream lines(json);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    rapidjson::Document doc;
    doc.Parse(line.c_str(), line.size());
    if (doc.HasParseError() || !doc.IsObject()) {
      return Status::Corruption("Delta log version " + std::to_string(version) +
                                ": a line is not a JSON object");
    }
    if (doc.HasMember("add") && doc["add"].IsObject()) {
      const auto& a = doc["add"];
      AddFile f;
      if (!a.HasMember("path") || !a["path"].IsString()) {
        return Status::Corruption("Delta log version " + std::to_string(version) +
                                  ": add without a path");
      }
      f.path = a["path"].GetString();
      if (a.HasMember("size") && a["size"].IsInt64()) f.size_bytes = a["size"].GetInt64();
      if (a.HasMember("partitionValues") && a["partitionValues"].HasMember("day") &&
          a["partitionValues"]["day"].IsString()) {
        f.day = a["partitionValues"]["day"].GetString();
      }
      if (a.HasMember("modificationTime") && a["modificationTime"].IsInt64()) {
        f.modification_time_ms = a["modificationTime"].GetInt64();
      }
      if (a.HasMember("tags") && a["tags"].IsObject()) {
        const auto& t = a["tags"];
        if (t.HasMember("mytsdb.min_ts") && t["mytsdb.min_ts"].IsString()) {
          f.min_ts = std::stoll(t["mytsdb.min_ts"].GetString());
        }
        if (t.HasMember("mytsdb.max_ts") && t["mytsdb.max_ts"].IsString()) {
          f.max_ts = std::stoll(t["mytsdb.max_ts"].GetString());
        }
        if (t.HasMember("mytsdb.rows") && t["mytsdb.rows"].IsString()) {
          f.num_records = std::stoll(t["mytsdb.rows"].GetString());
        }
        if (t.HasMember("mytsdb.version") && t["mytsdb.version"].IsString()) {
          f.version = std::stoll(t["mytsdb.version"].GetString());
        }
      }
      if (f.version < 0) f.version = version;
      files_[f.path] = f;
    } else if (doc.HasMember("remove") && doc["remove"].IsObject() &&
               doc["remove"].HasMember("path") && doc["remove"]["path"].IsString()) {
      files_.erase(doc["remove"]["path"].GetString());
    } else if (doc.HasMember("txn") && doc["txn"].IsObject()) {
      const auto& t = doc["txn"];
      if (t.HasMember("appId") && t["appId"].IsString() &&
          std::string_view(t["appId"].GetString()) == kWatermarkAppId &&
          t.HasMember("version") && t["version"].IsInt64()) {
        watermark_ = t["version"].GetInt64();
      }
    } else if (doc.HasMember("metaData") && doc["metaData"].IsObject()) {
      const auto& m = doc["metaData"];
      if (m.HasMember("id") && m["id"].IsString()) table_id_ = m["id"].GetString();
      if (m.HasMember("createdTime") && m["createdTime"].IsInt64()) {
        created_time_ms_ = m["createdTime"].GetInt64();
      }
      if (!m.HasMember("schemaString") || !m["schemaString"].IsString()) {
        return Status::Corruption("Delta log: metaData without schemaString");
      }
      RETURN_NOT_OK(ApplySchemaString(m["schemaString"].GetString()));
    }
  }
  version_ = version;
  return Status::OK();
}

std::string DeltaTable::SchemaString(const std::vector<std::string>& label_columns) const {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  Key(w, "type");
  w.String("struct");
  Key(w, "fields");
  w.StartArray();
  auto field = [&](const std::string& name, const char* type, bool nullable) {
    w.StartObject();
    Key(w, "name");
    Str(w, name);
    Key(w, "type");
    w.String(type);
    Key(w, "nullable");
    w.Bool(nullable);
    Key(w, "metadata");
    w.StartObject();
    w.EndObject();
    w.EndObject();
  };
  field(std::string(kMetricColumn), "string", false);
  field(std::string(kSeriesIdColumn), "long", false);
  field(std::string(kTimestampColumn), "timestamp", false);
  field(std::string(kValueColumn), "double", false);
  for (const std::string& c : label_columns) field(c, "string", true);
  field(std::string(kDayColumn), "string", false);
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

Status DeltaTable::Commit(const CommitRequest& request) {
  const std::vector<AddFile>& adds = request.adds;
  const std::vector<std::string>& removes = request.removes;
  const std::vector<std::string>& label_columns = request.label_columns;
  std::vector<std::string> columns = label_columns_;
  bool schema_changed = version_ < 0;
  for (const std::string& c : label_columns) {
    if (std::find(columns.begin(), columns.end(), c) == columns.end()) {
      columns.push_back(c);
      schema_changed = true;
    }
  }
  int64_t now = NowMs();
  std::string out;
  auto line = [&](const std::function<void(JsonWriter&)>& body) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    body(w);
    w.EndObject();
    out.append(buf.GetString(), buf.GetSize());
    out += '\n';
  };
  line([&](JsonWriter& w) {
    Key(w, "commitInfo");
    w.StartObject();
    Key(w, "timestamp");
    w.Int64(now);
    Key(w, "operation");
    Str(w, request.operation);
    Key(w, "engineInfo");
    w.String("MyTSDB");
    w.EndObject();
  });
  std::string table_id = table_id_.empty() ? NewUuid() : table_id_;
  int64_t created = created_time_ms_ == 0 ? now : created_time_ms_;
  if (version_ < 0) {
    line([&](JsonWriter& w) {
      Key(w, "protocol");
      w.StartObject();
      Key(w, "minReaderVersion");
      w.Int(1);
      Key(w, "minWriterVersion");
      w.Int(2);
      w.EndObject();
    });
  }
  if (schema_changed) {
    std::string schema = SchemaString(columns);
    line([&](JsonWriter& w) {
      Key(w, "metaData");
      w.StartObject();
      Key(w, "id");
      Str(w, table_id);
      Key(w, "format");
      w.StartObject();
      Key(w, "provider");
      w.String("parquet");
      Key(w, "options");
      w.StartObject();
      w.EndObject();
      w.EndObject();
      Key(w, "schemaString");
      Str(w, schema);
      Key(w, "partitionColumns");
      w.StartArray();
      w.String("day");
      w.EndArray();
      Key(w, "configuration");
      w.StartObject();
      w.EndObject();
      Key(w, "createdTime");
      w.Int64(created);
      w.EndObject();
    });
  }
  if (request.watermark.has_value()) {
    line([&](JsonWriter& w) {
      Key(w, "txn");
      w.StartObject();
      Key(w, "appId");
      w.String(kWatermarkAppId);
      Key(w, "version");
      w.Int64(*request.watermark);
      Key(w, "lastUpdated");
      w.Int64(now);
      w.EndObject();
    });
  }
  for (const AddFile& f : adds) {
    line([&](JsonWriter& w) {
      Key(w, "add");
      w.StartObject();
      Key(w, "path");
      Str(w, f.path);
      Key(w, "partitionValues");
      w.StartObject();
      Key(w, "day");
      Str(w, f.day);
      w.EndObject();
      Key(w, "size");
      w.Int64(f.size_bytes);
      Key(w, "modificationTime");
      w.Int64(f.modification_time_ms ? f.modification_time_ms : now);
      Key(w, "dataChange");
      w.Bool(true);
      Key(w, "stats");
      Str(w, AddStatsJson(f));
      // Exact millisecond bounds for MyTSDB itself.
      Key(w, "tags");
      w.StartObject();
      Key(w, "mytsdb.min_ts");
      Str(w, std::to_string(f.min_ts));
      Key(w, "mytsdb.max_ts");
      Str(w, std::to_string(f.max_ts));
      Key(w, "mytsdb.rows");
      Str(w, std::to_string(f.num_records));
      // The commit that first added the file's rows: orders files for "last
      // write wins", also once a checkpoint has replaced the commits.
      Key(w, "mytsdb.version");
      Str(w, std::to_string(version_ + 1));
      w.EndObject();
      w.EndObject();
    });
  }
  for (const std::string& path : removes) {
    line([&](JsonWriter& w) {
      Key(w, "remove");
      w.StartObject();
      Key(w, "path");
      Str(w, path);
      Key(w, "deletionTimestamp");
      w.Int64(now);
      Key(w, "dataChange");
      w.Bool(true);
      w.EndObject();
    });
  }

  fs::path log = fs::path(dir_) / "_delta_log";
  std::error_code ec;
  fs::create_directories(log, ec);
  if (ec) return Status::IOError("create " + log.string() + ": " + ec.message());
  int64_t version = version_ + 1;
  std::string final_path = (log / CommitFileName(version)).string();
  std::string tmp = (log / ("." + CommitFileName(version) + ".tmp")).string();
  {
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return Status::IOErrorFromErrno("create", tmp);
    size_t off = 0;
    while (off < out.size()) {
      ssize_t n = ::write(fd, out.data() + off, out.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        Status st = Status::IOErrorFromErrno("write", tmp);
        ::close(fd);
        ::unlink(tmp.c_str());
        return st;
      }
      off += static_cast<size_t>(n);
    }
    int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) {
      ::unlink(tmp.c_str());
      return Status::IOErrorFromErrno("fsync", tmp);
    }
  }
  // link(2) refuses to replace an existing file: the version is claimed at
  // most once.
  if (::link(tmp.c_str(), final_path.c_str()) != 0) {
    Status st = errno == EEXIST ? Status::AlreadyExists("Delta log version " +
                                                        std::to_string(version) + " exists")
                                : Status::IOErrorFromErrno("link", final_path);
    ::unlink(tmp.c_str());
    return st;
  }
  ::unlink(tmp.c_str());
  RETURN_NOT_OK(SyncPath(log.string(), /*directory=*/true));
  RETURN_NOT_OK(ApplyCommit(version, out));
  if (version % kCheckpointInterval == 0 && version > 0) {
    // The commit stands either way; a missing checkpoint only costs readers
    // time.
    Status st = WriteCheckpoint();
    if (!st.ok()) spdlog::warn("Delta checkpoint at version {} failed: {}", version, st.ToString());
  }
  return Status::OK();
}

}  // namespace mytsdb::cold
