#include "sql_command.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <httplib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "duckdb.hpp"
#include "io/lock_file.h"
#include "sql/engine.h"
#include "sql/result_writer.h"
#include "storage/storage.h"

namespace mytsdb::app {

namespace {

namespace fs = std::filesystem;

int Fail(const std::string& message) {
  std::fprintf(stderr, "mytsdb sql: error: %s\n", message.c_str());
  return 1;
}

using Rows = std::vector<std::vector<std::optional<std::string>>>;

// Columns aligned, NULL as NULL, then the row count (and how many more rows
// were left out).
void PrintTable(const std::vector<std::string>& columns, const Rows& rows, bool more) {
  std::vector<size_t> width(columns.size());
  for (size_t c = 0; c < columns.size(); ++c) width[c] = columns[c].size();
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c] ? row[c]->size() : 4);
  }
  auto line = [&](auto cell) {
    std::string out;
    for (size_t c = 0; c < columns.size(); ++c) {
      if (c > 0) out += " | ";
      std::string text = cell(c);
      out += text + std::string(width[c] - std::min(width[c], text.size()), ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    std::printf("%s\n", out.c_str());
  };
  line([&](size_t c) { return columns[c]; });
  std::string rule;
  for (size_t c = 0; c < columns.size(); ++c) rule += (c > 0 ? "-+-" : "") + std::string(width[c], '-');
  std::printf("%s\n", rule.c_str());
  for (const auto& row : rows) line([&](size_t c) { return row[c] ? *row[c] : std::string("NULL"); });
  std::printf("(%zu row%s%s)\n", rows.size(), rows.size() == 1 ? "" : "s",
              more ? "; more not shown: raise --max-rows or use --format csv" : "");
}

Result<sql::ResultFormat> StreamFormat(const std::string& format) {
  if (format == "csv") return sql::ResultFormat::kCsv;
  if (format == "json") return sql::ResultFormat::kJson;
  return Status::InvalidArgument("unknown format \"" + format + "\": use table, csv or json");
}

// ---- against a server -------------------------------------------------------

std::string JsonText(const rapidjson::Value& v) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

int RunAgainstServer(const SqlCommandOptions& options) {
  httplib::Client client(options.url);
  if (!client.is_valid()) return Fail("cannot use the URL " + options.url);
  client.set_read_timeout(options.timeout_ms / 1000 + 30, 0);
  client.set_connection_timeout(10, 0);
  if (!options.user.empty()) {
    const char* password = std::getenv("MYTSDB_PASSWORD");
    client.set_basic_auth(options.user, password != nullptr ? password : "");
  }
  const bool table = options.format == "table";
  if (!table && !StreamFormat(options.format).ok()) return Fail(StreamFormat(options.format).status().message());
  httplib::Params params = {{"query", options.query},
                            {"format", table ? "json" : options.format},
                            {"timeout", std::to_string(options.timeout_ms / 1000.0)}};
  if (table) params.emplace("limit", std::to_string(options.max_rows));
  auto response = client.Post("/api/v1/sql", params);
  if (!response) return Fail("cannot reach " + options.url + ": " + httplib::to_string(response.error()));
  rapidjson::Document doc;
  if (response->status != 200) {
    doc.Parse(response->body.c_str());
    if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("error") && doc["error"].IsString()) {
      return Fail(doc["error"].GetString());
    }
    return Fail("HTTP " + std::to_string(response->status) + ": " + response->body);
  }
  if (!table) {
    std::fwrite(response->body.data(), 1, response->body.size(), stdout);
    return 0;
  }
  doc.Parse(response->body.c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("data")) return Fail("the server's answer is not JSON");
  const rapidjson::Value& data = doc["data"];
  std::vector<std::string> columns;
  for (const auto& c : data["columns"].GetArray()) columns.push_back(c["name"].GetString());
  Rows rows;
  for (const auto& r : data["rows"].GetArray()) {
    auto& row = rows.emplace_back();
    for (const auto& v : r.GetArray()) {
      row.push_back(v.IsNull() ? std::nullopt : std::optional<std::string>(JsonText(v)));
    }
  }
  PrintTable(columns, rows, data.HasMember("truncated") && data["truncated"].GetBool());
  return 0;
}

// ---- over a stopped server's data directory -----------------------------------

// A copy of the data directory to open, so that opening it (replaying the
// WAL, setting aside what the log does not explain) changes nothing of the
// original: the WAL and the Delta log are copied, the Parquet files (never
// changed in place) hard-linked. Removed when done.
class ReadingCopy {
 public:
  static Result<std::unique_ptr<ReadingCopy>> Make(const fs::path& data_dir) {
    auto copy = std::unique_ptr<ReadingCopy>(new ReadingCopy(
        data_dir / "sql-tmp" / ("cli-" + std::to_string(::getpid()))));
    std::error_code ec;
    fs::remove_all(copy->dir_, ec);
    fs::create_directories(copy->dir_, ec);
    if (ec) return Status::IOError("cannot create " + copy->dir_.string() + ": " + ec.message());
    for (const char* part : {"wal", "parquet"}) {
      const fs::path from = data_dir / part;
      if (!fs::exists(from)) continue;
      fs::create_directories(copy->dir_ / part, ec);
      for (auto it = fs::recursive_directory_iterator(from, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        const fs::path target = copy->dir_ / part / fs::relative(it->path(), from);
        if (it->is_directory()) {
          fs::create_directories(target, ec);
        } else if (it->is_regular_file()) {
          const bool in_log = it->path().parent_path().filename() == "_delta_log";
          if (std::string(part) == "wal" || in_log) {
            fs::copy_file(it->path(), target, ec);
          } else {
            fs::create_hard_link(it->path(), target, ec);
            if (ec) {  // another file system: copy it
              ec.clear();
              fs::copy_file(it->path(), target, ec);
            }
          }
        }
        if (ec) return Status::IOError("cannot copy " + it->path().string() + ": " + ec.message());
      }
      if (ec) return Status::IOError("cannot read " + from.string() + ": " + ec.message());
    }
    return copy;
  }
  ~ReadingCopy() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const fs::path& dir() const { return dir_; }

 private:
  explicit ReadingCopy(fs::path dir) : dir_(std::move(dir)) {}
  fs::path dir_;
};

int RunOverDataDir(const SqlCommandOptions& options) {
  const fs::path data_dir = fs::absolute(options.data_dir);
  if (!fs::is_directory(data_dir / "wal") && !fs::is_directory(data_dir / "parquet")) {
    return Fail(data_dir.string() + " is not a MyTSDB data directory (no wal/ or parquet/)");
  }
  auto lock = io::LockFile::Acquire(data_dir.string());
  if (!lock.ok()) {
    return Fail(lock.status().message() + "; query a running server with --url");
  }
  auto copy = ReadingCopy::Make(data_dir);
  if (!copy.ok()) return Fail(copy.status().message());
  spdlog::set_level(spdlog::level::warn);
  storage::StorageOptions storage_options;
  storage_options.data_dir = (*copy)->dir().string();
  storage_options.persist_check_interval = std::chrono::milliseconds(0);
  // Everything the directory holds, however old.
  storage_options.retention_ms = 1000LL * 365 * 24 * 3600 * 1000;
  auto storage = storage::Storage::Open(storage_options);
  if (!storage.ok()) return Fail("cannot open " + data_dir.string() + ": " + storage.status().ToString());
  auto engine = sql::SqlEngine::Open(storage->get(), (*copy)->dir().string(),
                                     {.timeout = std::chrono::milliseconds(options.timeout_ms)});
  if (!engine.ok()) return Fail(engine.status().message());
  auto cursor = (*engine)->Execute(options.query, {});
  if (!cursor.ok()) return Fail(cursor.status().message());
  if (options.format != "table") {
    Result<sql::ResultFormat> format = StreamFormat(options.format);
    if (!format.ok()) return Fail(format.status().message());
    auto written = sql::WriteResult(**cursor, std::nullopt, *format, -1, [](std::string_view piece) {
      return std::fwrite(piece.data(), 1, piece.size(), stdout) == piece.size();
    });
    if (!written.ok()) return Fail(written.status().message());
    return 0;
  }
  Rows rows;
  bool more = false;
  while (!more) {
    Result<bool> next = (*cursor)->Next();
    if (!next.ok()) return Fail(next.status().message());
    if (!*next) break;
    const duckdb::DataChunk& chunk = (*cursor)->chunk();
    for (duckdb::idx_t r = 0; r < chunk.size(); ++r) {
      if (static_cast<int64_t>(rows.size()) >= options.max_rows) {
        more = true;
        break;
      }
      auto& row = rows.emplace_back();
      for (duckdb::idx_t c = 0; c < chunk.ColumnCount(); ++c) {
        duckdb::Value v = chunk.GetValue(c, r);
        row.push_back(v.IsNull() ? std::nullopt : std::optional<std::string>(v.ToString()));
      }
    }
  }
  PrintTable((*cursor)->columns(), rows, more);
  return 0;
}

}  // namespace

int RunSqlCommand(const SqlCommandOptions& options) {
  if (options.query.empty()) return Fail("no query");
  if (options.max_rows < 0) return Fail("--max-rows must not be negative");
  if (options.format != "table" && !StreamFormat(options.format).ok()) {
    return Fail(StreamFormat(options.format).status().message());
  }
  return options.url.empty() ? RunOverDataDir(options) : RunAgainstServer(options);
}

}  // namespace mytsdb::app
