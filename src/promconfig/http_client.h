// An HTTP client made from Prometheus's client configuration: the URL's
// host and port, TLS as configured, the proxy, redirects, the timeout, and
// the headers that carry basic auth or Authorization credentials (secret
// files are read on each call, so that a rotated secret is used).
#pragma once

#include <httplib.h>

#include <chrono>
#include <memory>
#include <string>

#include "common/result.h"
#include "promconfig/http_client_config.h"

namespace mytsdb::promconfig {

struct HttpClient {
  std::unique_ptr<httplib::ClientImpl> client;
  httplib::Headers headers;  // User-Agent and Authorization
  std::string target;        // the URL's path and query
};

Result<HttpClient> MakeHttpClient(const std::string& url, const HttpClientConfig& config,
                                  std::chrono::milliseconds timeout, const std::string& user_agent);

}  // namespace mytsdb::promconfig
