// POST /api/v1/write: Prometheus remote write 1.0.
#include "http/message.h"
#include <spdlog/spdlog.h>

#include "http/api_util.h"
#include "http/server.h"
#include "ingest/remote_write.h"

namespace mytsdb::http {

void Server::HandleReadOnly(const Request&, Response& res) {
  res.set_header("Allow", "");  // no method changes data here
  WriteApiError(res, 405, "bad_data",
                "this is a read-only query node (--read-only): send writes and admin requests to the "
                "table's writers");
}

void Server::HandleWrite(const Request& req, Response& res) {
  storage::Storage* storage = StorageOr503(res);
  if (storage == nullptr) return;

  // Content negotiation as Prometheus's receiver: a missing Content-Type or
  // encoding means 1.0 with snappy; remote write 2.0 is not supported yet.
  std::string content_type = req.get_header_value("Content-Type");
  if (!content_type.empty() && content_type.rfind("application/x-protobuf", 0) != 0) {
    write_requests_total_.Add({"bad_request"}, 1);
    return PlainError(res, 415, "unsupported Content-Type \"" + content_type +
                                    "\": expected application/x-protobuf");
  }
  if (content_type.find("io.prometheus.write.v2.Request") != std::string::npos) {
    write_requests_total_.Add({"bad_request"}, 1);
    return PlainError(res, 415, "remote write 2.0 (io.prometheus.write.v2.Request) is not "
                                "supported yet; send prometheus.WriteRequest (1.0)");
  }
  std::string encoding = req.get_header_value("Content-Encoding");
  if (!encoding.empty() && encoding != "snappy") {
    write_requests_total_.Add({"bad_request"}, 1);
    return PlainError(res, 415, "unsupported Content-Encoding \"" + encoding +
                                    "\": remote write bodies must be snappy-compressed");
  }

  ingest::DecodeOptions decode_options;
  decode_options.max_decompressed_bytes = options_.max_write_decompressed_bytes;
  decode_options.name_scheme = options_.name_scheme;
  auto decoded = ingest::DecodeWriteRequest(req.body, decode_options);
  if (!decoded.ok()) {
    bool too_large = decoded.status().code() == StatusCode::kResourceExhausted;
    write_requests_total_.Add({too_large ? "too_large" : "bad_request"}, 1);
    return PlainError(res, too_large ? 413 : 400, decoded.status().message());
  }
  const ingest::WriteRequest& request = *decoded;

  std::vector<head::SeriesSamples> batch;
  batch.reserve(request.timeseries.size());
  for (const ingest::TimeSeries& ts : request.timeseries) {
    batch.push_back({&ts.labels, ts.samples});
  }
  std::vector<head::MetricMetadata> metadata;
  metadata.reserve(request.metadata.size());
  for (const ingest::MetricMetadata& m : request.metadata) {
    metadata.push_back({m.metric_family_name, static_cast<uint8_t>(m.type), m.help, m.unit});
  }

  storage::StorageAppendResult appended;
  Status st = storage->Append(batch, metadata, &appended);
  const head::AppendResult& result = appended.head;
  if (st.code() == StatusCode::kUnavailable || st.code() == StatusCode::kResourceExhausted) {
    // Too many backfills in flight, or the disk is full: nothing was stored;
    // the sender retries, and succeeds once the condition is gone.
    spdlog::warn("remote write refused: {}", st.ToString());
    write_requests_total_.Add({"unavailable"}, 1);
    res.set_header("Retry-After", "5");
    return PlainError(res, 503, st.message());
  }
  if (!st.ok()) {
    spdlog::error("remote write: {}", st.ToString());
    write_requests_total_.Add({"error"}, 1);
    return PlainError(res, 500, st.ToString());
  }
  const size_t written = result.samples_appended + appended.backfilled;
  res.set_header("X-Prometheus-Remote-Write-Samples-Written", std::to_string(written));
  if (appended.rejected() > 0) {
    // As Prometheus's receiver does for remote write 2.0: the valid samples
    // are kept, the request answers 400 (a sender must not retry it) and says
    // what was refused.
    samples_rejected_total_.Add({"out_of_order"}, result.out_of_order);
    samples_rejected_total_.Add({"too_old"}, result.too_old);
    samples_rejected_total_.Add({"duplicate"}, result.duplicates);
    samples_rejected_total_.Add({"series_limit"}, result.series_limit);
    samples_rejected_total_.Add({"series_per_metric_limit"}, result.series_per_metric_limit);
    samples_rejected_total_.Add({"too_far_in_future"}, appended.too_far_in_future);
    samples_rejected_total_.Add({"beyond_retention"}, appended.beyond_retention);
    write_requests_total_.Add({"partial"}, 1);
    std::string message = fmt::format("{} of {} samples rejected:", appended.rejected(),
                                      request.num_samples);
    auto part = [&](size_t n, std::string_view what) {
      if (n > 0) message += fmt::format(" {} {},", n, what);
    };
    part(appended.too_far_in_future, "too far in the future (more than --ingest.max-future "
                                     "ahead of the server's clock)");
    part(appended.beyond_retention, "older than the retention period");
    part(result.out_of_order, "out of order");
    part(result.too_old, "too old (outside the head's accept window)");
    part(result.duplicates, "with a duplicate timestamp");
    part(result.series_limit, "of new series beyond --storage.max-series (" +
                                  std::to_string(options_.max_series) + ")");
    part(result.series_per_metric_limit,
         "of new series beyond --storage.max-series-per-metric (" +
             std::to_string(options_.max_series_per_metric) + ")");
    message += fmt::format(" {} samples written", written);
    if (!appended.first_refused.empty()) message += "; first refused: " + appended.first_refused;
    if (!result.limited_metric.empty()) {
      message += "; series limit reached for metric \"" + result.limited_metric + "\"";
    }
    return PlainError(res, 400, message);
  }
  write_requests_total_.Add({"ok"}, 1);
  res.status = 204;
}

}  // namespace mytsdb::http
