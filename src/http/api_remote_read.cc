// POST /api/v1/read: Prometheus's remote read, served (remote/read_protocol.h),
// so that Prometheus, Thanos or Grafana read MyTSDB's head and cold tier
// through it. Both answers: SAMPLES (one message, the sample limit below)
// and STREAMED_XOR_CHUNKS (frames written a batch of series at a time, so
// its memory does not grow with the answer).
#include <spdlog/spdlog.h>

#include "http/api_util.h"
#include "http/message.h"
#include "http/server.h"
#include "remote/read_protocol.h"

namespace mytsdb::http {

namespace {

// A read request is a few matchers per query.
constexpr size_t kMaxReadRequestBytes = 1 << 20;
// Samples one SAMPLES answer may hold (it is built whole in memory,
// serialized, about 20 bytes a sample, then compressed): a larger read must
// ask for streamed chunks.
constexpr size_t kSamplesAnswerLimit = 10'000'000;
// Series read from storage at a time.
constexpr size_t kSeriesPerBatch = 64;

}  // namespace

void Server::HandleRemoteRead(const Request& req, Response& res) {
  storage::Storage* storage = StorageOr503(res);
  if (storage == nullptr) return;
  std::string encoding = req.get_header_value("Content-Encoding");
  if (!encoding.empty() && encoding != "snappy") {
    return PlainError(res, 415, "unsupported Content-Encoding \"" + encoding +
                                    "\": remote read bodies must be snappy-compressed");
  }
  Result<remote::ReadRequest> decoded = remote::DecodeReadRequest(req.body, kMaxReadRequestBytes);
  if (!decoded.ok()) return PlainError(res, 400, decoded.status().message());
  auto request = std::make_shared<const remote::ReadRequest>(std::move(*decoded));

  if (request->response == remote::ReadResponseType::kSamples) {
    remote::SamplesResponse answer;
    for (const remote::ReadQuery& query : request->queries) {
      answer.StartQuery();
      storage::SeriesSelection series = storage->Select(query.matchers, query.range);
      for (size_t next = 0; next < series.size(); next += kSeriesPerBatch) {
        const size_t n = std::min(kSeriesPerBatch, series.size() - next);
        std::vector<std::vector<model::Sample>> samples;
        Status read = storage->ReadSamples(series, next, n, query.range, &samples);
        if (!read.ok()) return PlainError(res, 500, "remote read: " + read.ToString());
        for (size_t i = 0; i < n; ++i) answer.AddSeries(series.labels(next + i), samples[i]);
        if (answer.samples() > kSamplesAnswerLimit) {
          return PlainError(res, 400, "remote read: the answer exceeds " +
                                          std::to_string(kSamplesAnswerLimit) +
                                          " samples; ask for STREAMED_XOR_CHUNKS or less data");
        }
      }
    }
    res.status = 200;
    res.set_header("Content-Encoding", "snappy");
    res.set_content(answer.Finish(), std::string(remote::kSamplesContentType));
    return;
  }

  res.status = 200;
  res.set_header("Content-Type", std::string(remote::kStreamedContentType));
  res.stream = [this, request](const Response::Sink& sink) {
    for (size_t q = 0; q < request->queries.size(); ++q) {
      const remote::ReadQuery& query = request->queries[q];
      storage::Storage* st = storage_.load();
      if (st == nullptr) return;
      storage::SeriesSelection series = st->Select(query.matchers, query.range);
      for (size_t next = 0; next < series.size(); next += kSeriesPerBatch) {
        const size_t n = std::min(kSeriesPerBatch, series.size() - next);
        std::vector<std::vector<model::Sample>> samples;
        Status read = st->ReadSamples(series, next, n, query.range, &samples);
        if (!read.ok()) {
          // Ends the stream early; the client sees it cut short.
          spdlog::error("remote read: {}", read.ToString());
          return;
        }
        std::string frames;
        for (size_t i = 0; i < n; ++i) {
          remote::AppendSeriesFrames(static_cast<int64_t>(q), series.labels(next + i), samples[i], &frames);
        }
        if (!frames.empty() && !sink(frames)) return;
      }
    }
  };
}

}  // namespace mytsdb::http
