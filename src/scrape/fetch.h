// Fetches a target's exposition as Prometheus's targetScraper does: GET
// with the Accept header of the job's scrape protocols, Accept-Encoding
// gzip (identity with enable_compression: false), the scrape timeout sent
// as X-Prometheus-Scrape-Timeout-Seconds and enforced on the whole
// request, the body (decompressed) refused past body_size_limit, and
// errors worded as Prometheus's ("server returned HTTP status 500 Internal
// Server Error", "body size limit exceeded", "context deadline
// exceeded"). One Fetcher per target keeps its connection alive.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/result.h"
#include "scrape/scrape_config.h"

namespace mytsdb::scrape {

struct FetchedBody {
  std::string body;  // decompressed
  std::string content_type;
};

class Fetcher {
 public:
  // `timeout_ms`: the target's (__scrape_timeout__ after relabeling).
  Fetcher(std::shared_ptr<const ScrapeConfig> config, std::string url, std::string user_agent, int64_t timeout_ms);
  ~Fetcher();

  Result<FetchedBody> Fetch();

 private:
  struct Client;
  std::shared_ptr<const ScrapeConfig> config_;
  std::string url_;
  std::string user_agent_;
  std::string accept_;
  int64_t timeout_ms_;
  std::unique_ptr<Client> client_;  // made on first use, kept for keep-alive
};

}  // namespace mytsdb::scrape
