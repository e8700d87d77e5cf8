#include "alertmanager/http_client.h"

#include "promconfig/http_client.h"

namespace mytsdb::alertmanager {

Result<HttpReply> PostJson(const std::string& url, const HttpClientConfig& config, std::string_view body,
                           std::chrono::milliseconds timeout) {
  ASSIGN_OR_RETURN(promconfig::HttpClient http, promconfig::MakeHttpClient(url, config, timeout, kUserAgent));
  auto res = http.client->Post(http.target.c_str(), http.headers, body.data(), body.size(), "application/json");
  if (!res) return Status::Unavailable("Post \"" + url + "\": " + httplib::to_string(res.error()));
  return HttpReply{res->status, res->body};
}

}  // namespace mytsdb::alertmanager
