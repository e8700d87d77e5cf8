#include "scrape/fetch.h"

#include <charconv>

#include "promconfig/http_client.h"
#include "scrape/exposition.h"

namespace mytsdb::scrape {

struct Fetcher::Client {
  promconfig::HttpClient http;
};

Fetcher::Fetcher(std::shared_ptr<const ScrapeConfig> config, std::string url, std::string user_agent,
                 int64_t timeout_ms)
    : config_(std::move(config)),
      url_(std::move(url)),
      user_agent_(std::move(user_agent)),
      accept_(AcceptHeader(config_->scrape_protocols)),
      timeout_ms_(timeout_ms) {}

Fetcher::~Fetcher() = default;

Result<FetchedBody> Fetcher::Fetch() {
  const auto timeout = std::chrono::milliseconds(timeout_ms_);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::string prefix = "Get \"" + url_ + "\": ";
  if (client_ == nullptr) {
    auto made = promconfig::MakeHttpClient(url_, config_->http, timeout, user_agent_);
    if (!made.ok()) return Status::InvalidArgument(prefix + made.status().message());
    client_ = std::make_unique<Client>(Client{std::move(*made)});
    client_->http.client->set_keep_alive(true);
    client_->http.client->set_decompress(config_->enable_compression);
  }
  httplib::Headers headers = client_->http.headers;
  headers.emplace("Accept", accept_);
  headers.emplace("Accept-Encoding", config_->enable_compression ? "gzip" : "identity");
  char seconds[32];
  const auto [end, ec] = std::to_chars(seconds, seconds + sizeof seconds, timeout_ms_ / 1000.0);
  headers.emplace("X-Prometheus-Scrape-Timeout-Seconds", std::string(seconds, end));

  FetchedBody out;
  int status = 0;
  std::string reason;
  const uint64_t limit = config_->body_size_limit;
  bool too_large = false, too_late = false;
  auto res = client_->http.client->Get(
      client_->http.target.c_str(), headers,
      [&](const httplib::Response& response) {
        status = response.status;
        reason = response.reason;
        out.content_type = response.get_header_value("Content-Type");
        return status == 200;
      },
      [&](const char* data, size_t size) {
        if (std::chrono::steady_clock::now() > deadline) {
          too_late = true;
          return false;
        }
        out.body.append(data, size);
        if (limit > 0 && out.body.size() >= limit) {
          too_large = true;
          return false;
        }
        return true;
      });
  if (status != 0 && status != 200) {
    client_->http.client->stop();  // the rest of that reply is not read: the connection is not reused
    return Status::Unavailable("server returned HTTP status " + std::to_string(status) + " " + reason);
  }
  if (too_large) {
    client_->http.client->stop();
    return Status::Unavailable("body size limit exceeded");
  }
  if (!res || too_late) {
    const httplib::Error error = res.error();
    const bool past_deadline = std::chrono::steady_clock::now() >= deadline - std::chrono::milliseconds(50);
    if (too_late || error == httplib::Error::ConnectionTimeout || (error == httplib::Error::Read && past_deadline)) {
      return Status::Unavailable(prefix + "context deadline exceeded");
    }
    if (error == httplib::Error::Connection) return Status::Unavailable(prefix + "connect: connection refused");
    if (error == httplib::Error::Read) return Status::Unavailable(prefix + "unexpected EOF");
    return Status::Unavailable(prefix + httplib::to_string(error));
  }
  return out;
}

}  // namespace mytsdb::scrape
