// WriterReader: a read-only query node's way to the samples the shared
// table does not hold yet. It asks every writer at once over Prometheus's
// remote read (POST <writer>/api/v1/read, SAMPLES answers) and hands the
// storage facade their series (storage/recent_source.h), which merges them
// with the table. A writer that does not answer in time, or answers with an
// error, is left out and named in a warning: the result is partial, as
// Thanos's partial responses, never silently short.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "storage/recent_source.h"

namespace mytsdb::remote {

struct WriterReaderOptions {
  // The writers' base URLs (http://host:port, with a route prefix if they
  // have one).
  std::vector<std::string> writers;
  // How long connecting to a writer, and each read of its answer, may take.
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  // The largest answer taken from one writer, decompressed.
  size_t max_answer_bytes = size_t{1} << 30;
  std::string user_agent = "mytsdb";
};

class WriterReader final : public storage::RecentSamplesSource {
 public:
  // InvalidArgument, naming it, for a writer URL that is not http(s)://host:port.
  static Result<std::unique_ptr<WriterReader>> Make(WriterReaderOptions options);

  storage::RecentSamples Read(const model::Matchers& matchers, model::TimeRange range) const override;

 private:
  explicit WriterReader(WriterReaderOptions options) : options_(std::move(options)) {}
  // One writer's series, or why it gave none.
  Result<std::vector<storage::RecentSeries>> ReadFrom(const std::string& writer, const std::string& body) const;

  const WriterReaderOptions options_;
};

}  // namespace mytsdb::remote
