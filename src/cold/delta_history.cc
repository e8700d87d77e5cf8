#include "cold/delta_history.h"

#include <rapidjson/document.h>

#include <charconv>

#include "cold/delta_log.h"

namespace mytsdb::cold {
namespace {

uint64_t UintOf(const rapidjson::Value& v, const char* key) {
  if (!v.HasMember(key)) return 0;
  const auto& x = v[key];
  if (x.IsUint64()) return x.GetUint64();
  if (x.IsString()) {  // MyTSDB's tags are strings
    uint64_t n = 0;
    const char* s = x.GetString();
    std::from_chars(s, s + x.GetStringLength(), n);
    return n;
  }
  return 0;
}

// Rows of an add: MyTSDB's tag, else numRecords of the stats (other writers).
uint64_t RowsOf(const rapidjson::Value& add) {
  if (add.HasMember("tags") && add["tags"].IsObject() && add["tags"].HasMember("mytsdb.rows")) {
    return UintOf(add["tags"], "mytsdb.rows");
  }
  if (add.HasMember("stats") && add["stats"].IsString()) {
    rapidjson::Document stats;
    stats.Parse(add["stats"].GetString(), add["stats"].GetStringLength());
    if (!stats.HasParseError() && stats.IsObject()) return UintOf(stats, "numRecords");
  }
  return 0;
}

Result<CommitSummary> Summarize(int64_t version, const std::string& json, const std::string& file) {
  CommitSummary c;
  c.version = version;
  size_t start = 0;
  while (start < json.size()) {
    size_t end = json.find('\n', start);
    if (end == std::string::npos) end = json.size();
    if (end > start) {
      rapidjson::Document doc;
      doc.Parse(json.data() + start, end - start);
      if (doc.HasParseError() || !doc.IsObject()) {
        return Status::Corruption(file + ": a line is not a JSON object");
      }
      if (doc.HasMember("commitInfo") && doc["commitInfo"].IsObject()) {
        const auto& info = doc["commitInfo"];
        if (info.HasMember("timestamp") && info["timestamp"].IsInt64()) c.timestamp_ms = info["timestamp"].GetInt64();
        if (info.HasMember("operation") && info["operation"].IsString()) c.operation = info["operation"].GetString();
        if (info.HasMember("operationParameters") && info["operationParameters"].IsObject()) {
          for (const auto& p : info["operationParameters"].GetObject()) {
            if (p.value.IsString()) c.parameters[p.name.GetString()] = p.value.GetString();
          }
        }
      } else if (doc.HasMember("add") && doc["add"].IsObject()) {
        const auto& add = doc["add"];
        // An add without a data change only refreshes a file's statistics.
        if (add.HasMember("dataChange") && add["dataChange"].IsBool() && !add["dataChange"].GetBool()) {
          start = end + 1;
          continue;
        }
        ++c.files_added;
        c.bytes_added += UintOf(add, "size");
        c.rows_added += RowsOf(add);
      } else if (doc.HasMember("remove") && doc["remove"].IsObject()) {
        ++c.files_removed;
      }
    }
    start = end + 1;
  }
  return c;
}

}  // namespace

Result<std::vector<CommitSummary>> ReadCommitHistory(io::FileSystem* fs, const std::string& table_dir,
                                                     int64_t newest, size_t limit) {
  std::vector<CommitSummary> commits;
  const std::string log_dir = io::JoinPath(table_dir, "_delta_log");
  for (int64_t v = newest; v >= 0 && commits.size() < limit; --v) {
    const std::string file = io::JoinPath(log_dir, CommitFileName(v));
    auto json = fs->ReadFile(file);
    if (!json.ok()) {
      if (json.status().code() == StatusCode::kNotFound) break;
      return json.status();
    }
    ASSIGN_OR_RETURN(CommitSummary c, Summarize(v, *json, file));
    commits.push_back(std::move(c));
  }
  return commits;
}

std::vector<DaySummary> SummarizeDays(const std::vector<AddFile>& files) {
  std::map<std::string, DaySummary> days;
  for (const AddFile& f : files) {
    DaySummary& d = days[f.day];
    d.day = f.day;
    ++d.files;
    d.bytes += static_cast<uint64_t>(f.size_bytes);
    d.rows += static_cast<uint64_t>(f.num_records);
  }
  std::vector<DaySummary> out;
  for (auto& [day, summary] : days) out.push_back(std::move(summary));
  return out;
}

}  // namespace mytsdb::cold
