// GET/POST /api/v1/sql: SQL over both tiers (docs/API.md, docs/SQL.md).
#include <spdlog/spdlog.h>

#include <charconv>
#include <memory>
#include <optional>
#include <string>

#include "http/api_util.h"
#include "http/params.h"
#include "http/server.h"
#include "sql/engine.h"
#include "sql/result_writer.h"

namespace mytsdb::http {

namespace {

// Errors as the PromQL endpoints answer them: the query's own mistakes 400
// bad_data, its execution 422, the timeout 503.
void WriteSqlError(Response& res, const Status& st) {
  switch (st.code()) {
    case StatusCode::kInvalidArgument: return WriteApiError(res, 400, "bad_data", st.message());
    case StatusCode::kDeadlineExceeded: return WriteApiError(res, 503, "timeout", st.message());
    case StatusCode::kCancelled: return WriteApiError(res, 503, "canceled", st.message());
    case StatusCode::kInternal: return WriteApiError(res, 500, "internal", st.message());
    default: return WriteApiError(res, 422, "execution", st.message());
  }
}

// The `limit` parameter: rows at most; absent for all.
Result<int64_t> ParseRowLimit(const std::string& value) {
  if (value.empty()) return int64_t{-1};
  int64_t limit = 0;
  auto r = std::from_chars(value.data(), value.data() + value.size(), limit);
  if (r.ec != std::errc() || r.ptr != value.data() + value.size() || limit < 0) {
    return Status::InvalidArgument("invalid parameter \"limit\": cannot parse \"" + value +
                                   "\" to a non-negative integer");
  }
  return limit;
}

}  // namespace

void Server::HandleSql(const Request& req, Response& res) {
  if (StorageOr503(res) == nullptr) return;
  const sql::SqlEngine* engine = sql_.load();
  if (engine == nullptr) return WriteApiError(res, 503, "unavailable", "SQL is not available");
  const std::string query = ParamValue(req, "query");
  if (query.empty()) return WriteApiError(res, 400, "bad_data", "missing parameter \"query\"");
  Result<sql::ResultFormat> format = sql::ParseResultFormat(ParamValue(req, "format"));
  if (!format.ok()) return WriteApiError(res, 400, "bad_data", format.status().message());
  Result<int64_t> limit = ParseRowLimit(ParamValue(req, "limit"));
  if (!limit.ok()) return WriteApiError(res, 400, "bad_data", limit.status().message());
  sql::QueryControl control;
  const std::string timeout = ParamValue(req, "timeout");
  if (!timeout.empty()) {
    Result<int64_t> ms = ParseDurationParam("timeout", timeout);
    if (!ms.ok()) return WriteApiError(res, 400, "bad_data", ms.status().message());
    control.timeout = std::chrono::milliseconds(*ms);
  }
  control.cancel = req.client_gone;
  control.shutdown = &cancel_queries_;

  Result<std::unique_ptr<sql::Cursor>> started = engine->Execute(query, control);
  if (!started.ok()) return WriteSqlError(res, started.status());
  std::shared_ptr<sql::Cursor> cursor = std::move(*started);
  // The first rows are computed before the answer starts, so that the
  // errors most queries meet (and a timeout before any row) get their
  // status code; an error later ends the stream early.
  Result<bool> first = cursor->Next();
  if (!first.ok()) return WriteSqlError(res, first.status());
  res.set_header("Content-Type", sql::ContentType(*format));
  res.stream = [cursor, fetched = *first, format = *format, limit = *limit](const Response::Sink& sink) {
    Result<sql::WriteSummary> written = sql::WriteResult(*cursor, fetched, format, limit, sink);
    if (!written.ok()) spdlog::warn("sql: result ended early: {}", written.status().ToString());
  };
}

}  // namespace mytsdb::http
