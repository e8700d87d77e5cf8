#include "remote/writer_reader.h"

#include <future>

#include "promconfig/http_client.h"
#include "promconfig/http_client_config.h"
#include "remote/read_protocol.h"

namespace mytsdb::remote {

Result<std::unique_ptr<WriterReader>> WriterReader::Make(WriterReaderOptions options) {
  for (std::string& writer : options.writers) {
    while (writer.size() > 1 && writer.back() == '/') writer.pop_back();
    if (Status ok = promconfig::CheckHttpUrl(writer); !ok.ok()) {
      return Status::InvalidArgument("writer URL \"" + writer + "\": " + ok.message());
    }
  }
  return std::unique_ptr<WriterReader>(new WriterReader(std::move(options)));
}

storage::RecentSamples WriterReader::Read(const model::Matchers& matchers, model::TimeRange range) const {
  const ReadQuery query{range, matchers};
  const std::string body = EncodeReadRequest({&query, 1});
  // Each writer on its own thread: a query waits for the slowest, not the sum.
  std::vector<std::future<Result<std::vector<storage::RecentSeries>>>> answers;
  for (const std::string& writer : options_.writers) {
    answers.push_back(std::async(std::launch::async, [this, &writer, &body] { return ReadFrom(writer, body); }));
  }
  storage::RecentSamples out;
  for (size_t i = 0; i < answers.size(); ++i) {
    Result<std::vector<storage::RecentSeries>> answer = answers[i].get();
    if (!answer.ok()) {
      out.warnings.push_back("remote read of writer " + options_.writers[i] + " failed (" +
                             answer.status().message() +
                             "): the result is partial, without the samples only that writer holds");
      continue;
    }
    for (storage::RecentSeries& s : *answer) out.series.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<storage::RecentSeries>> WriterReader::ReadFrom(const std::string& writer,
                                                                  const std::string& body) const {
  ASSIGN_OR_RETURN(promconfig::HttpClient client,
                   promconfig::MakeHttpClient(writer + "/api/v1/read", {}, options_.timeout, options_.user_agent));
  client.headers.emplace("Content-Encoding", "snappy");
  client.headers.emplace("X-Prometheus-Remote-Read-Version", "0.1.0");
  httplib::Result res = client.client->Post(client.target, client.headers, body, "application/x-protobuf");
  if (!res) return Status::Unavailable(httplib::to_string(res.error()));
  if (res->status != 200) {
    std::string message = res->body.substr(0, 200);
    while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
    return Status::Unavailable("HTTP " + std::to_string(res->status) + ": " + message);
  }
  ASSIGN_OR_RETURN(auto results, DecodeSamplesResponse(res->body, options_.max_answer_bytes));
  if (results.size() != 1) {
    return Status::Unavailable("the answer holds " + std::to_string(results.size()) + " results for one query");
  }
  std::vector<storage::RecentSeries> out;
  out.reserve(results[0].size());
  for (ReadSeries& s : results[0]) out.push_back({std::move(s.labels), std::move(s.samples)});
  return out;
}

}  // namespace mytsdb::remote
