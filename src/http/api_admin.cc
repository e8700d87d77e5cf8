// Admin endpoints: Prometheus's /api/v1/admin/tsdb/{delete_series,snapshot,
// clean_tombstones} and MyTSDB's /api/v1/admin/{flush,compact}. They change
// or copy stored data, so they exist only with --web.enable-admin-api, and
// answer as Prometheus does otherwise (503 unavailable "admin APIs disabled").
#include "http/message.h"
#include <spdlog/spdlog.h>

#include "http/api_util.h"
#include "http/params.h"
#include "http/server.h"

namespace mytsdb::http {

namespace {

// strconv.ParseBool, as Prometheus parses skip_head.
Result<bool> ParseBoolParam(std::string_view name, std::string_view v) {
  if (v.empty() || v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" ||
      v == "False") {
    return false;
  }
  if (v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True") return true;
  return Status::InvalidArgument("invalid parameter \"" + std::string(name) + "\": cannot parse \"" +
                                 std::string(v) + "\" as a boolean");
}

void WriteStorageError(Response& res, const char* what, const Status& st) {
  spdlog::error("{}: {}", what, st.ToString());
  const bool full = st.code() == StatusCode::kResourceExhausted;
  const bool busy = st.code() == StatusCode::kUnavailable;
  if (st.code() == StatusCode::kUnimplemented) {
    return WriteApiError(res, 501, "unavailable", std::string(what) + ": " + st.message());
  }
  WriteApiError(res, full || busy ? 503 : 500, full || busy ? "unavailable" : "internal",
                std::string(what) + " failed: " + st.ToString());
}

}  // namespace

storage::Storage* Server::AdminStorageOr503(Response& res) {
  if (!options_.enable_admin_api) {
    WriteApiError(res, 503, "unavailable", "admin APIs disabled");
    return nullptr;
  }
  return StorageOr503(res);
}

void Server::HandleCompact(const Request&, Response& res) {
  storage::Storage* storage = AdminStorageOr503(res);
  if (storage == nullptr) return;
  Status st = storage->Compact();
  if (!st.ok()) return WriteStorageError(res, "compaction", st);
  res.status = 204;
}

void Server::HandleFlush(const Request&, Response& res) {
  storage::Storage* storage = AdminStorageOr503(res);
  if (storage == nullptr) return;
  Status st = storage->Flush();
  if (!st.ok()) return WriteStorageError(res, "flush", st);
  res.status = 204;
}

void Server::HandleDeleteSeries(const Request& req, Response& res) {
  storage::Storage* storage = AdminStorageOr503(res);
  if (storage == nullptr) return;
  if (!req.has_param("match[]")) {
    return WriteApiError(res, 400, "bad_data", "no match[] parameter provided");
  }
  auto selectors = ParseMatchParams(ParamValues(req, "match[]"));
  if (!selectors.ok()) return WriteApiError(res, 400, "bad_data", selectors.status().message());
  auto range = ParseTimeRange(ParamValue(req, "start"), ParamValue(req, "end"));
  if (!range.ok()) return WriteApiError(res, 400, "bad_data", range.status().message());
  Status st = storage->DeleteSeries(*selectors, *range);
  if (!st.ok()) return WriteStorageError(res, "delete_series", st);
  res.status = 204;
}

void Server::HandleSnapshot(const Request& req, Response& res) {
  storage::Storage* storage = AdminStorageOr503(res);
  if (storage == nullptr) return;
  auto skip_head = ParseBoolParam("skip_head", ParamValue(req, "skip_head"));
  if (!skip_head.ok()) return WriteApiError(res, 400, "bad_data", skip_head.status().message());
  auto name = storage->Snapshot(*skip_head);
  if (!name.ok()) return WriteStorageError(res, "snapshot", name.status());
  if (on_snapshot_) {
    Status st = on_snapshot_(*name);
    if (!st.ok()) return WriteStorageError(res, "snapshot", st);
  }
  WriteApiSuccess(res, "{\"name\":\"" + *name + "\"}");
}

void Server::HandleCleanTombstones(const Request&, Response& res) {
  // Deletions rewrite the cold tier's files at once and the head's WAL
  // records them: there are no tombstones to clean. Answered as Prometheus
  // does, so that its tools work unchanged.
  if (AdminStorageOr503(res) == nullptr) return;
  res.status = 204;
}

}  // namespace mytsdb::http
