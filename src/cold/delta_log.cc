#include "cold/delta_log.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <set>
#include <ctime>
#include <functional>
#include <random>

#include "cold/delta_checkpoint.h"
#include "cold/file_stats.h"
#include "cold/schema.h"

namespace mytsdb::cold {

namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;
using io::JoinPath;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
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

void Str(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// "00000000000000000012" -> 12 for a name of exactly `digits` digits + suffix.
bool ParseVersionName(std::string_view name, std::string_view suffix, int64_t* version) {
  if (name.size() != 20 + suffix.size() || !name.ends_with(suffix)) return false;
  auto r = std::from_chars(name.data(), name.data() + 20, *version);
  return r.ec == std::errc() && r.ptr == name.data() + 20;
}

bool ParseInt64(std::string_view s, int64_t* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

std::vector<std::string> StringArray(const rapidjson::Value& v) {
  std::vector<std::string> out;
  if (!v.IsArray()) return out;
  for (const auto& item : v.GetArray()) {
    if (item.IsString()) out.emplace_back(item.GetString());
  }
  return out;
}

}  // namespace

std::string DayOf(int64_t ts_ms) {
  std::time_t secs = static_cast<std::time_t>(ts_ms >= 0 ? ts_ms / 1000 : (ts_ms - 999) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return buf;
}

std::string CheckpointFileName(int64_t version) {
  return CommitFileName(version).substr(0, 20) + ".checkpoint.parquet";
}

std::string CommitFileName(int64_t version) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020lld.json", static_cast<long long>(version));
  return buf;
}

std::string DeltaTable::log_dir() const { return JoinPath(dir_, "_delta_log"); }

std::vector<std::string> DeltaTable::PartitionColumns() const {
  if (fixed_ && !fixed_->partitioned_by_day) return {};
  return {std::string(kDayColumn)};
}

std::string DeltaTable::PartitionMismatch() const {
  return PartitionColumns().empty() ? "the table is partitioned, where MyTSDB writes it unpartitioned"
                                    : "the table is not partitioned by day alone";
}

int64_t DeltaTable::watermark() const {
  auto it = transactions_.find(WatermarkAppId(writer_));
  return it == transactions_.end() ? INT64_MIN : it->second;
}

std::vector<std::string> DeltaTable::StatsColumns() const { return StatsColumnsWith(label_columns_); }

std::vector<std::string> DeltaTable::StatsColumnsWith(
    const std::vector<std::string>& label_columns) const {
  return fixed_ ? fixed_->stats_columns : cold::StatsColumns(label_columns);
}

Result<std::unique_ptr<DeltaTable>> DeltaTable::Open(const std::string& dir, io::FileSystem* fs,
                                                     std::optional<FixedLayout> fixed) {
  std::unique_ptr<DeltaTable> table(new DeltaTable(dir, fs, std::move(fixed)));
  const std::string log = table->log_dir();
  ASSIGN_OR_RETURN(io::FileStatus log_status, fs->Stat(log));
  if (!log_status.exists) return table;
  ASSIGN_OR_RETURN(std::vector<io::DirEntry> entries, fs->ListDir(log));
  std::vector<int64_t> versions, checkpoints;
  for (const io::DirEntry& e : entries) {
    int64_t v;
    if (ParseVersionName(e.name, ".json", &v)) versions.push_back(v);
    if (ParseVersionName(e.name, ".checkpoint.parquet", &v)) checkpoints.push_back(v);
  }
  std::sort(versions.begin(), versions.end());
  std::sort(checkpoints.begin(), checkpoints.end());

  // Start from the newest checkpoint (found by listing: _last_checkpoint is
  // only a hint, and may be older), then the commits after it.
  int64_t next = 0;
  if (!checkpoints.empty()) {
    const int64_t version = checkpoints.back();
    const std::string path = JoinPath(log, CheckpointFileName(version));
    ASSIGN_OR_RETURN(CheckpointState state, ReadDeltaCheckpoint(fs, path));
    RETURN_NOT_OK(CheckProtocol(state.protocol).WithContext("Delta checkpoint " + path));
    if (state.uses_deletion_vectors) {
      return Status::Unimplemented("Delta checkpoint " + path +
                                   ": the table uses deletion vectors, which MyTSDB does not "
                                   "implement");
    }
    if (state.partition_columns != table->PartitionColumns()) {
      return Status::Unimplemented("Delta checkpoint " + path + ": " + table->PartitionMismatch());
    }
    table->protocol_ = state.protocol;
    table->have_protocol_ = true;
    table->table_id_ = state.table_id;
    table->created_time_ms_ = state.created_time_ms;
    table->configuration_ = state.configuration;
    RETURN_NOT_OK(table->ApplySchemaString(state.schema_string, path));
    for (AddFile& f : state.files) {
      auto decoded = DecodeActionPath(f.path);
      if (!decoded.ok()) return decoded.status().WithContext("Delta checkpoint " + path);
      if (f.version < 0) f.version = version;  // written by another Delta writer
      table->files_[f.path] = std::move(f);
    }
    table->tombstones_ = std::move(state.tombstones);
    table->transactions_ = std::move(state.transactions);
    table->version_ = version;
    table->last_checkpoint_ = version;
    next = version + 1;
  }
  for (int64_t v : versions) {
    if (v < next) continue;
    const std::string path = JoinPath(log, CommitFileName(v));
    if (v != next) {
      return Status::Corruption("Delta log " + log + ": version " + std::to_string(next) +
                                " is missing (the next file is " + CommitFileName(v) + ")");
    }
    auto content = fs->ReadFile(path);
    if (!content.ok()) return content.status().WithContext("Delta log: cannot read a commit");
    RETURN_NOT_OK(table->ApplyCommit(v, *content, path));
    ++next;
  }
  if (table->version_ < 0) {
    if (!versions.empty()) {
      return Status::Corruption("Delta log " + log + ": version 0 is missing and there is no "
                                "checkpoint");
    }
    return table;
  }
  if (table->schema_string_.empty() || !table->have_protocol_) {
    return Status::Corruption("Delta log " + log + ": no metaData or protocol action up to "
                              "version " + std::to_string(table->version_));
  }
  RETURN_NOT_OK(CheckConfiguration(table->configuration_).WithContext("Delta log " + log));
  RETURN_NOT_OK(CheckSchemaString(table->schema_string_).WithContext("Delta log " + log));
  return table;
}

Status DeltaTable::ApplySchemaString(const std::string& schema_string, const std::string& file) {
  rapidjson::Document schema;
  schema.Parse(schema_string.c_str());
  if (schema.HasParseError() || !schema.IsObject() || !schema.HasMember("fields") ||
      !schema["fields"].IsArray()) {
    return Status::Corruption(file + ": unreadable schemaString");
  }
  if (fixed_) {
    if (schema_string != fixed_->schema_string) {
      return Status::Unimplemented(file + ": the table's schema is not the one this version of MyTSDB "
                                   "writes (a newer version's, or another program's table)");
    }
    schema_string_ = schema_string;
    return Status::OK();
  }
  label_columns_.clear();
  for (const auto& field : schema["fields"].GetArray()) {
    if (!field.IsObject() || !field.HasMember("name") || !field["name"].IsString()) continue;
    std::string name = field["name"].GetString();
    const bool is_string = field.HasMember("type") && field["type"].IsString() &&
                           std::string_view(field["type"].GetString()) == "string";
    if ((name == kValueIntColumn || name == kValueDivColumn) && is_string) {
      // Before values were stored as decimals, a label of that name had
      // this column; its files would now be misread.
      return Status::Unimplemented(file + ": the table has a label column " + name +
                                   " from before MyTSDB stored values as decimals "
                                   "(docs/FORMAT.md, \"Values\"); this version cannot read it");
    }
    if (!LabelForColumn(name).empty()) label_columns_.push_back(name);
  }
  schema_string_ = schema_string;
  return Status::OK();
}

Status DeltaTable::WriteCheckpoint() {
  CheckpointState state;
  state.protocol = protocol_;
  state.table_id = table_id_;
  state.created_time_ms = created_time_ms_;
  state.schema_string = schema_string_;
  state.partition_columns = PartitionColumns();
  state.configuration = configuration_;
  for (const auto& [path, f] : files_) state.files.push_back(f);
  // Tombstones older than the retention period are dropped from here on.
  const int64_t expired_before = NowMs() - kTombstoneRetentionMs;
  std::erase_if(tombstones_, [&](const auto& t) { return t.second < expired_before; });
  state.tombstones = tombstones_;
  state.transactions = transactions_;
  const std::string log = log_dir();
  RETURN_NOT_OK(WriteDeltaCheckpoint(fs_, JoinPath(log, CheckpointFileName(version_)), state));
  // _last_checkpoint tells other readers where to start; MyTSDB itself lists
  // the directory, so an old or missing one only costs them time.
  std::string body = "{\"version\":" + std::to_string(version_) +
                     ",\"size\":" + std::to_string(state.files.size() + 2 + state.transactions.size()) +
                     "}\n";
  RETURN_NOT_OK(fs_->WriteFileAtomically(JoinPath(log, "_last_checkpoint"), body));
  last_checkpoint_ = version_;
  return Status::OK();
}

Status DeltaTable::ApplyCommit(int64_t version, const std::string& json, const std::string& file,
                               CommitEffects* effects) {
  auto corrupt = [&](const std::string& why) {
    return Status::Corruption("Delta log " + file + ": " + why);
  };
  if (json.find_first_not_of(" \t\r\n") == std::string::npos) return corrupt("the commit is empty");
  size_t start = 0;
  while (start < json.size()) {
    size_t end = json.find('\n', start);
    if (end == std::string::npos) end = json.size();
    std::string_view line(json.data() + start, end - start);
    start = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    rapidjson::Document doc;
    doc.Parse(line.data(), line.size());
    if (doc.HasParseError() || !doc.IsObject()) return corrupt("a line is not a JSON object");
    if (doc.HasMember("add") && doc["add"].IsObject()) {
      const auto& a = doc["add"];
      if (!a.HasMember("path") || !a["path"].IsString()) return corrupt("an add without a path");
      AddFile f;
      f.path = a["path"].GetString();
      RETURN_NOT_OK(DecodeActionPath(f.path).status().WithContext("Delta log " + file));
      if (a.HasMember("deletionVector") && !a["deletionVector"].IsNull()) {
        return Status::Unimplemented("Delta log " + file + ": " + f.path +
                                     " has a deletion vector, which MyTSDB does not implement");
      }
      if (a.HasMember("size") && a["size"].IsInt64()) f.size_bytes = a["size"].GetInt64();
      if (a.HasMember("partitionValues") && a["partitionValues"].IsObject() &&
          a["partitionValues"].HasMember("day") && a["partitionValues"]["day"].IsString()) {
        f.day = a["partitionValues"]["day"].GetString();
      }
      if (a.HasMember("modificationTime") && a["modificationTime"].IsInt64()) {
        f.modification_time_ms = a["modificationTime"].GetInt64();
      }
      if (a.HasMember("dataChange") && a["dataChange"].IsBool()) {
        f.data_change = a["dataChange"].GetBool();
      }
      if (a.HasMember("stats") && a["stats"].IsString()) f.stats_json = a["stats"].GetString();
      if (a.HasMember("tags") && a["tags"].IsObject()) {
        const auto& t = a["tags"];
        auto tag = [&](const char* key, int64_t* out) -> Status {
          if (!t.HasMember(key)) return Status::OK();
          if (!t[key].IsString() || !ParseInt64(t[key].GetString(), out)) {
            return corrupt(std::string("bad tag ") + key + " of " + f.path);
          }
          return Status::OK();
        };
        f.has_mytsdb_tags = t.HasMember("mytsdb.min_ts");
        RETURN_NOT_OK(tag("mytsdb.min_ts", &f.min_ts));
        RETURN_NOT_OK(tag("mytsdb.max_ts", &f.max_ts));
        RETURN_NOT_OK(tag("mytsdb.rows", &f.num_records));
        RETURN_NOT_OK(tag("mytsdb.version", &f.version));
      }
      if (f.version < 0) {
        // A re-add that only refreshes statistics keeps the rows' version.
        auto it = files_.find(f.path);
        f.version = !f.data_change && it != files_.end() ? it->second.version : version;
      }
      if (effects != nullptr && f.data_change) {
        // Another engine's file: its time bounds are not known here.
        effects->added.push_back(f.has_mytsdb_tags ? model::TimeRange{f.min_ts, f.max_ts}
                                                   : model::TimeRange{});
      }
      tombstones_.erase(f.path);
      files_[f.path] = std::move(f);
    } else if (doc.HasMember("remove") && doc["remove"].IsObject()) {
      const auto& r = doc["remove"];
      if (!r.HasMember("path") || !r["path"].IsString()) return corrupt("a remove without a path");
      int64_t when = 0;
      if (r.HasMember("deletionTimestamp") && r["deletionTimestamp"].IsInt64()) {
        when = r["deletionTimestamp"].GetInt64();
      }
      files_.erase(r["path"].GetString());
      tombstones_[r["path"].GetString()] = when;
      if (effects != nullptr) effects->removed.insert(r["path"].GetString());
    } else if (doc.HasMember("txn") && doc["txn"].IsObject()) {
      const auto& t = doc["txn"];
      if (t.HasMember("appId") && t["appId"].IsString() && t.HasMember("version") &&
          t["version"].IsInt64()) {
        transactions_[t["appId"].GetString()] = t["version"].GetInt64();
        if (effects != nullptr) effects->app_ids.insert(t["appId"].GetString());
      }
    } else if (doc.HasMember("protocol") && doc["protocol"].IsObject()) {
      const auto& p = doc["protocol"];
      ProtocolAction protocol;
      if (p.HasMember("minReaderVersion") && p["minReaderVersion"].IsInt()) {
        protocol.min_reader_version = p["minReaderVersion"].GetInt();
      }
      if (p.HasMember("minWriterVersion") && p["minWriterVersion"].IsInt()) {
        protocol.min_writer_version = p["minWriterVersion"].GetInt();
      }
      if (p.HasMember("readerFeatures")) protocol.reader_features = StringArray(p["readerFeatures"]);
      if (p.HasMember("writerFeatures")) protocol.writer_features = StringArray(p["writerFeatures"]);
      RETURN_NOT_OK(CheckProtocol(protocol).WithContext("Delta log " + file));
      if (effects != nullptr && have_protocol_ && !(protocol == protocol_)) {
        effects->protocol_changed = true;
      }
      protocol_ = protocol;
      have_protocol_ = true;
    } else if (doc.HasMember("metaData") && doc["metaData"].IsObject()) {
      const auto& m = doc["metaData"];
      if (m.HasMember("id") && m["id"].IsString()) table_id_ = m["id"].GetString();
      if (m.HasMember("createdTime") && m["createdTime"].IsInt64()) {
        created_time_ms_ = m["createdTime"].GetInt64();
      }
      if (!m.HasMember("schemaString") || !m["schemaString"].IsString()) {
        return corrupt("metaData without schemaString");
      }
      std::vector<std::string> partitions;
      if (m.HasMember("partitionColumns")) partitions = StringArray(m["partitionColumns"]);
      if (partitions != PartitionColumns()) {
        return Status::Unimplemented("Delta log " + file + ": " + PartitionMismatch());
      }
      configuration_.clear();
      if (m.HasMember("configuration") && m["configuration"].IsObject()) {
        for (const auto& kv : m["configuration"].GetObject()) {
          if (kv.value.IsString()) configuration_[kv.name.GetString()] = kv.value.GetString();
        }
      }
      RETURN_NOT_OK(ApplySchemaString(m["schemaString"].GetString(), file));
    }
  }
  version_ = version;
  if (effects != nullptr) effects->last_version = version;
  return Status::OK();
}

std::string DeltaTable::SchemaString(const std::vector<std::string>& label_columns) const {
  if (fixed_) return fixed_->schema_string;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("type");
  w.String("struct");
  w.Key("fields");
  w.StartArray();
  auto field = [&](const std::string& name, const char* type, bool nullable) {
    w.StartObject();
    w.Key("name");
    Str(w, name);
    w.Key("type");
    w.String(type);
    w.Key("nullable");
    w.Bool(nullable);
    w.Key("metadata");
    w.StartObject();
    w.EndObject();
    w.EndObject();
  };
  field(std::string(kMetricColumn), "string", false);
  field(std::string(kSeriesIdColumn), "long", false);
  field(std::string(kTimestampColumn), "timestamp", false);
  // value is null where value_int / value_div holds it (value_encoding.h).
  field(std::string(kValueColumn), "double", true);
  field(std::string(kValueIntColumn), "long", true);
  field(std::string(kValueDivColumn), "long", true);
  for (const std::string& c : label_columns) field(c, "string", true);
  field(std::string(kDayColumn), "string", false);
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string DeltaTable::RenderCommit(const CommitRequest& request, int64_t version,
                                     int64_t now) const {
  std::vector<std::string> columns = label_columns_;
  bool schema_changed = version_ < 0;
  for (const std::string& c : request.label_columns) {
    if (std::find(columns.begin(), columns.end(), c) == columns.end()) {
      columns.push_back(c);
      schema_changed = true;
    }
  }
  std::map<std::string, std::string> configuration = configuration_;
  configuration[kStatsColumnsProperty] = StatsColumnsProperty(StatsColumnsWith(columns));
  // A table written before the decimal columns gets them (and a nullable
  // value) with its next commit.
  schema_changed = schema_changed || SchemaString(columns) != schema_string_;
  const bool write_metadata = schema_changed || configuration != configuration_;

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
    w.Key("commitInfo");
    w.StartObject();
    w.Key("timestamp");
    w.Int64(now);
    w.Key("operation");
    Str(w, request.operation);
    if (!request.operation_parameters.empty()) {
      w.Key("operationParameters");
      w.StartObject();
      for (const auto& [name, value] : request.operation_parameters) {
        Str(w, name);
        Str(w, value);
      }
      w.EndObject();
    }
    w.Key("engineInfo");
    w.String("MyTSDB");
    // Makes every attempt's bytes unique, so that a commit whose answer was
    // lost can be recognised as its own by reading it back (object stores).
    w.Key("txnId");
    Str(w, NewUuid());
    if (!writer_.empty()) {
      w.Key("mytsdb.writer");
      Str(w, writer_);
    }
    w.EndObject();
  });
  if (version_ < 0) {
    line([&](JsonWriter& w) {
      w.Key("protocol");
      w.StartObject();
      w.Key("minReaderVersion");
      w.Int(1);
      w.Key("minWriterVersion");
      w.Int(2);
      w.EndObject();
    });
  }
  if (write_metadata) {
    const std::string table_id = table_id_.empty() ? NewUuid() : table_id_;
    const int64_t created = created_time_ms_ == 0 ? now : created_time_ms_;
    const std::string schema = SchemaString(columns);
    line([&](JsonWriter& w) {
      w.Key("metaData");
      w.StartObject();
      w.Key("id");
      Str(w, table_id);
      w.Key("format");
      w.StartObject();
      w.Key("provider");
      w.String("parquet");
      w.Key("options");
      w.StartObject();
      w.EndObject();
      w.EndObject();
      w.Key("schemaString");
      Str(w, schema);
      w.Key("partitionColumns");
      w.StartArray();
      for (const std::string& column : PartitionColumns()) Str(w, column);
      w.EndArray();
      w.Key("configuration");
      w.StartObject();
      for (const auto& [k, v] : configuration) {
        w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
        Str(w, v);
      }
      w.EndObject();
      w.Key("createdTime");
      w.Int64(created);
      w.EndObject();
    });
  }
  // Delta's application transaction ids: this writer's watermark and its
  // claim of the compactor's lease.
  auto txn = [&](const std::string& app_id, int64_t txn_version) {
    line([&](JsonWriter& w) {
      w.Key("txn");
      w.StartObject();
      w.Key("appId");
      Str(w, app_id);
      w.Key("version");
      w.Int64(txn_version);
      w.Key("lastUpdated");
      w.Int64(now);
      w.EndObject();
    });
  };
  if (request.watermark.has_value()) txn(WatermarkAppId(writer_), *request.watermark);
  if (request.compactor_lease_until.has_value()) {
    txn(CompactorLeaseAppId(writer_), *request.compactor_lease_until);
  }
  for (const AddFile& f : request.adds) {
    line([&](JsonWriter& w) {
      w.Key("add");
      w.StartObject();
      w.Key("path");
      Str(w, f.path);
      w.Key("partitionValues");
      w.StartObject();
      if (!PartitionColumns().empty()) {
        w.Key("day");
        Str(w, f.day);
      }
      w.EndObject();
      w.Key("size");
      w.Int64(f.size_bytes);
      w.Key("modificationTime");
      w.Int64(f.modification_time_ms ? f.modification_time_ms : now);
      w.Key("dataChange");
      w.Bool(f.data_change);
      if (!f.stats_json.empty()) {
        w.Key("stats");
        Str(w, f.stats_json);
      }
      w.Key("tags");
      w.StartObject();
      if (f.has_mytsdb_tags) {
        // Exact millisecond bounds and row count for MyTSDB itself.
        w.Key("mytsdb.min_ts");
        Str(w, std::to_string(f.min_ts));
        w.Key("mytsdb.max_ts");
        Str(w, std::to_string(f.max_ts));
        w.Key("mytsdb.rows");
        Str(w, std::to_string(f.num_records));
      }
      // The commit that first added the file's rows: orders files for "last
      // write wins", also once a checkpoint has replaced the commits. A
      // re-add that only refreshes statistics keeps its rows' version.
      int64_t rows_version = f.version >= 0 ? f.version : version;
      if (f.version < 0 && !f.data_change) {
        auto it = files_.find(f.path);
        if (it != files_.end()) rows_version = it->second.version;
      }
      w.Key("mytsdb.version");
      Str(w, std::to_string(rows_version));
      w.EndObject();
      w.EndObject();
    });
  }
  for (const std::string& path : request.removes) {
    line([&](JsonWriter& w) {
      w.Key("remove");
      w.StartObject();
      w.Key("path");
      Str(w, path);
      w.Key("deletionTimestamp");
      w.Int64(now);
      w.Key("dataChange");
      w.Bool(true);
      w.EndObject();
    });
  }
  return out;
}

std::string RandomFileSuffix() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  char buf[20];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

Status CopyDeltaSnapshot(io::FileSystem* fs, const std::string& table_dir, int64_t version,
                         const std::vector<std::string>& file_paths, const std::string& target) {
  const std::string log = JoinPath(table_dir, "_delta_log");
  const std::string target_log = JoinPath(target, "_delta_log");
  RETURN_NOT_OK(fs->CreateDirs(target_log));
  // Data files are immutable: links cost nothing and survive the table's
  // own deletions.
  std::set<std::string> dirs;
  for (const std::string& path : file_paths) {
    ASSIGN_OR_RETURN(std::string relative, DecodeActionPath(path));
    const std::string to = JoinPath(target, relative);
    if (dirs.insert(io::DirName(to)).second) RETURN_NOT_OK(fs->CreateDirs(io::DirName(to)));
    RETURN_NOT_OK(io::LinkOrCopyFile(fs, JoinPath(table_dir, relative), to));
  }
  // The log up to this version; commits and checkpoints never change.
  int64_t newest_checkpoint = -1;
  if (version >= 0) {
    ASSIGN_OR_RETURN(std::vector<io::DirEntry> entries, fs->ListDir(log));
    for (const io::DirEntry& e : entries) {
      int64_t v = -1;
      const bool commit = e.name.size() == 25 && e.name.ends_with(".json");
      const bool checkpoint = e.name.size() == 39 && e.name.ends_with(".checkpoint.parquet");
      if (!commit && !checkpoint) continue;
      auto r = std::from_chars(e.name.data(), e.name.data() + 20, v);
      if (r.ec != std::errc() || v > version) continue;
      if (checkpoint) newest_checkpoint = std::max(newest_checkpoint, v);
      RETURN_NOT_OK(io::LinkOrCopyFile(fs, JoinPath(log, e.name), JoinPath(target_log, e.name)));
    }
  }
  if (newest_checkpoint >= 0) {
    RETURN_NOT_OK(fs->WriteFileAtomically(JoinPath(target_log, "_last_checkpoint"),
                                          "{\"version\":" + std::to_string(newest_checkpoint) + "}\n"));
  }
  for (const std::string& d : dirs) RETURN_NOT_OK(fs->SyncDir(d));
  RETURN_NOT_OK(fs->SyncDir(target_log));
  RETURN_NOT_OK(fs->SyncDir(target));
  return Status::OK();
}

}  // namespace mytsdb::cold
