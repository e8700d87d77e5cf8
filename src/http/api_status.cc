// Prometheus's status endpoints (docs/API.md), with its shapes:
//
//   GET /api/v1/status/tsdb         the head's cardinality: headStats and
//                                   the `limit` (default 10, at most 10,000)
//                                   largest metrics, label names and pairs
//   GET /api/v1/status/flags        every flag with its effective value
//   GET /api/v1/status/config       the configuration file as last loaded
//   GET /api/v1/status/runtimeinfo  start time, working directory, last
//                                   reload, retention, threads and CPUs
//   GET /api/v1/status/cold         MyTSDB's own: the cold tier's Delta table
//                                   (counts, samples per day, the newest
//                                   `limit` commits with their operations)

#include <charconv>
#include <climits>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "http/api_util.h"
#include "http/server.h"
#include "storage/storage.h"

namespace mytsdb::http {
namespace {

// Prometheus's bound on `limit`.
constexpr int64_t kMaxTsdbLimit = 10'000;
// Commits listed by /api/v1/status/cold at most (a file read each).
constexpr int64_t kMaxCommits = 1'000;

void WriteStats(JsonWriter& w, const char* key, const std::vector<index::CountStat>& stats) {
  w.Key(key);
  w.StartArray();
  for (const auto& s : stats) {
    w.StartObject();
    w.Key("name");
    WriteString(w, s.name);
    w.Key("value");
    w.Uint64(s.count);
    w.EndObject();
  }
  w.EndArray();
}

int64_t ToUnixMs(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// The `limit` parameter: `fallback` when absent; nullopt, with a 400
// answered, when it is not an integer from 1 to `max`.
std::optional<int64_t> LimitParam(const Request& req, int64_t fallback, int64_t max, const std::string& not_positive,
                                  const std::string& too_large, Response& res) {
  const std::string s = ParamValue(req, "limit");
  if (s.empty()) return fallback;
  int64_t limit = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), limit);
  if (ec != std::errc() || end != s.data() + s.size() || limit < 1) {
    WriteApiError(res, 400, "bad_data", not_positive);
    return std::nullopt;
  }
  if (limit > max) {
    WriteApiError(res, 400, "bad_data", too_large);
    return std::nullopt;
  }
  return limit;
}

// Threads of this process, from /proc (0 where it cannot be read).
int ThreadCount() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("Threads:")) return std::atoi(line.c_str() + 8);
  }
  return 0;
}

}  // namespace

void Server::HandleTsdbStatus(const Request& req, Response& res) {
  // Prometheus's messages.
  const auto limit = LimitParam(req, 10, kMaxTsdbLimit, "limit must be a positive number",
                                "limit must not exceed " + std::to_string(kMaxTsdbLimit), res);
  if (!limit) return;
  storage::Storage* storage = StorageOr503(res);
  if (storage == nullptr) return;
  const head::HeadStats head = storage->head_stats();
  const index::PostingsStats stats = storage->head_cardinality(static_cast<size_t>(*limit));
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("headStats");
  w.StartObject();
  w.Key("numSeries");
  w.Uint64(head.num_series);
  w.Key("numLabelPairs");
  w.Uint64(stats.num_label_pairs);
  w.Key("chunkCount");
  w.Uint64(head.num_chunks);
  w.Key("minTime");
  w.Int64(head.min_time);
  w.Key("maxTime");
  w.Int64(head.max_time);
  w.EndObject();
  WriteStats(w, "seriesCountByMetricName", stats.series_by_metric);
  WriteStats(w, "labelValueCountByLabelName", stats.values_by_label);
  WriteStats(w, "memoryInBytesByLabelName", stats.bytes_by_label);
  WriteStats(w, "seriesCountByLabelValuePair", stats.series_by_label_pair);
  w.EndObject();
  WriteApiSuccess(res, buf.GetString());
}

void Server::HandleColdStatus(const Request& req, Response& res) {
  const std::string bad = "limit must be a number from 1 to " + std::to_string(kMaxCommits);
  const auto limit = LimitParam(req, 50, kMaxCommits, bad, bad, res);
  if (!limit) return;
  storage::Storage* storage = StorageOr503(res);
  if (storage == nullptr) return;
  auto status = storage->cold_status(static_cast<size_t>(*limit));
  if (!status.ok()) return WriteApiError(res, 500, "internal", status.status().message());
  const cold::ColdStats& st = status->stats;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("table");
  w.StartObject();
  w.Key("version");
  w.Int64(st.version);
  w.Key("files");
  w.Uint64(st.files);
  w.Key("bytes");
  w.Uint64(st.bytes);
  w.Key("samples");
  w.Uint64(st.rows);
  w.Key("series");
  w.Uint64(st.catalog_series);
  w.Key("minTime");
  w.Int64(st.min_time);
  w.Key("maxTime");
  w.Int64(st.max_time);
  w.Key("persistedUpTo");
  st.watermark == INT64_MIN ? w.Null() : w.Int64(st.watermark);
  w.EndObject();
  w.Key("days");
  w.StartArray();
  for (const auto& d : status->days) {
    w.StartObject();
    w.Key("day");
    WriteString(w, d.day);
    w.Key("files");
    w.Uint64(d.files);
    w.Key("bytes");
    w.Uint64(d.bytes);
    w.Key("samples");
    w.Uint64(d.rows);
    w.EndObject();
  }
  w.EndArray();
  w.Key("commits");
  w.StartArray();
  for (const auto& c : status->commits) {
    w.StartObject();
    w.Key("version");
    w.Int64(c.version);
    w.Key("timestamp");
    w.Int64(c.timestamp_ms);
    w.Key("operation");
    WriteString(w, c.operation);
    w.Key("parameters");
    WriteLabelObject(w, c.parameters);
    w.Key("filesAdded");
    w.Uint64(c.files_added);
    w.Key("filesRemoved");
    w.Uint64(c.files_removed);
    w.Key("bytesAdded");
    w.Uint64(c.bytes_added);
    w.Key("samplesAdded");
    w.Uint64(c.rows_added);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  WriteApiSuccess(res, buf.GetString());
}

void Server::HandleFlags(const Request&, Response& res) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  for (const auto& [name, value] : status_.flags) {
    WriteString(w, name);
    WriteString(w, value);
  }
  w.EndObject();
  WriteApiSuccess(res, buf.GetString());
}

void Server::HandleConfig(const Request&, Response& res) {
  const ConfigStatus config = status_.config ? status_.config() : ConfigStatus{};
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("yaml");
  WriteString(w, config.yaml);
  w.EndObject();
  WriteApiSuccess(res, buf.GetString());
}

void Server::HandleRuntimeInfo(const Request&, Response& res) {
  const ConfigStatus config = status_.config ? status_.config() : ConfigStatus{};
  std::error_code ec;
  const std::string cwd = std::filesystem::current_path(ec).string();
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("startTime");
  WriteString(w, GoJsonTime(ToUnixMs(status_.start_time)));
  w.Key("CWD");
  WriteString(w, cwd);
  w.Key("reloadConfigSuccess");
  w.Bool(config.reload_success);
  w.Key("lastConfigTime");
  WriteString(w, GoJsonTime(ToUnixMs(config.loaded_at)));
  w.Key("storageRetention");
  WriteString(w, status_.storage_retention);
  // In place of Go's goroutine count and GOMAXPROCS: the process's threads
  // and the CPUs it may use.
  w.Key("threadCount");
  w.Int(ThreadCount());
  w.Key("cpuCount");
  w.Uint(std::thread::hardware_concurrency());
  w.EndObject();
  WriteApiSuccess(res, buf.GetString());
}

}  // namespace mytsdb::http
