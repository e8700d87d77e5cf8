#include "sql/engine.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "duckdb.hpp"
#include "sql/tables.h"
#include "storage/storage.h"

namespace mytsdb::sql {

Result<std::unique_ptr<SqlEngine>> SqlEngine::Open(const storage::Storage* storage,
                                                   const std::string& data_dir,
                                                   const SqlOptions& options) {
  std::unique_ptr<SqlEngine> engine(new SqlEngine(options));
  engine->memory_limit_bytes_ = options.memory_limit_bytes;
  if (engine->memory_limit_bytes_ == 0) {
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long page_size = sysconf(_SC_PAGESIZE);
    engine->memory_limit_bytes_ =
        pages > 0 && page_size > 0 ? static_cast<uint64_t>(pages) * page_size / 4 : 1ULL << 30;
  }
  engine->counters_ = std::make_unique<ScanCounters>();
  namespace fs = std::filesystem;
  const fs::path root = fs::absolute(data_dir);
  // What an earlier run spilled is of no use: DuckDB's temporary files
  // belong to the queries that wrote them.
  const fs::path temp = root / "sql-tmp";
  std::error_code ec;
  fs::remove_all(temp, ec);
  if (ec) return Status::IOError("SQL: cannot empty " + temp.string() + ": " + ec.message());
  ScanCounters* counters = engine->counters_.get();
  auto sandbox = SqlSandbox::Open(
      {.allowed_directory = (root / "parquet").string(),
       .more_allowed_directories = {(root / "alerts").string()},
       .memory_limit_bytes = engine->memory_limit_bytes_,
       .threads = options.threads,
       .temp_directory = temp.string(),
       .max_temp_bytes = engine->memory_limit_bytes_,
       .worker_nice = options.worker_nice,
       .setup = [storage, counters, promql = options.promql, alert_files = options.alert_files](
                    duckdb::Connection& con) {
         return RegisterTables(con, storage, promql, counters, alert_files);
       }});
  if (!sandbox.ok()) return sandbox.status();
  engine->sandbox_ = std::move(*sandbox);
  engine->storage_ = storage;
  RETURN_NOT_OK(engine->RefreshViews(/*force=*/true));
  return engine;
}

Status SqlEngine::RefreshViews(bool force) const {
  std::vector<std::string> labels = storage_->LabelNames();
  std::lock_guard<std::mutex> lock(views_mu_);
  if (!force && views_created_ && labels == view_labels_) return Status::OK();
  RETURN_NOT_OK(sandbox_->RunTrusted(CreateViewsSql(labels)));
  view_labels_ = std::move(labels);
  views_created_ = true;
  return Status::OK();
}

template <typename T, typename Fn>
Result<T> SqlEngine::WithFreshViews(Fn&& attempt) const {
  RETURN_NOT_OK(RefreshViews(/*force=*/false));
  Result<T> r = attempt();
  // A label name came (or went) between the refresh and the query's binding.
  if (!r.ok() && r.status().message().find("Contents of view were altered") != std::string::npos) {
    RETURN_NOT_OK(RefreshViews(/*force=*/true));
    r = attempt();
  }
  return r;
}

SqlEngine::~SqlEngine() = default;

QueryControl SqlEngine::WithTimeout(QueryControl control) const {
  if (control.timeout.count() <= 0 || control.timeout > options_.timeout) {
    control.timeout = options_.timeout;
  }
  return control;
}

Result<std::unique_ptr<Cursor>> SqlEngine::Execute(std::string_view sql, QueryControl control) const {
  control = WithTimeout(control);
  return WithFreshViews<std::unique_ptr<Cursor>>([&] { return sandbox_->Execute(sql, control); });
}

Result<std::unique_ptr<PreparedQuery>> SqlEngine::Prepare(std::string_view sql, QueryControl control) const {
  control = WithTimeout(control);
  return WithFreshViews<std::unique_ptr<PreparedQuery>>([&] { return sandbox_->Prepare(sql, control); });
}

Result<QueryResult> SqlEngine::Query(std::string_view sql) const {
  return WithFreshViews<QueryResult>([&] { return sandbox_->Query(sql); });
}

}  // namespace mytsdb::sql
