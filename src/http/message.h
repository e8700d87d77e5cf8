// Request and Response: what an HTTP handler sees and fills, independent of
// the server library underneath (Boost.Beast, server.cc).
//
// A handler runs on a worker thread with the whole request read (headers and
// body, within the server's size limits). It sets a status and a body, or a
// `stream` that produces the body in chunks (sent with chunked transfer
// encoding, so that a large export never sits in memory whole).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mytsdb::http {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // the target's path, percent-decoded
  std::string target;  // as sent
  // Query-string parameters, then those of an application/x-www-form-
  // urlencoded body, each decoded, in order.
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<std::pair<std::string, std::string>> headers;  // names as sent
  std::string body;
  // Groups of the route's regular expression: matches[1] is the first.
  std::vector<std::string> matches;
  std::string remote_addr;  // "ip:port"
  std::string user;         // the basic-auth user, if the server requires one
  // Set by the connection once the client has closed it while the request
  // runs (null when the connection does not watch), so that long work such
  // as a query stops instead of computing an answer nobody reads.
  std::shared_ptr<const std::atomic<bool>> client_gone;

  bool has_param(std::string_view name) const;
  // The `index`-th value of `name`, or "".
  std::string get_param_value(std::string_view name, size_t index = 0) const;
  size_t get_param_value_count(std::string_view name) const;
  // The first header of that name (case-insensitive), or "".
  std::string get_header_value(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  void set_content(std::string content, std::string_view content_type) {
    body = std::move(content);
    set_header("Content-Type", content_type);
  }
  // Replaces a header of that name (case-insensitive) or adds it.
  void set_header(std::string_view name, std::string_view value);
  std::string get_header_value(std::string_view name) const;

  // A body produced in chunks instead of `body`: `stream` calls `sink` for
  // each chunk, which returns false once the client is gone (stop then).
  // Runs on the handler's worker thread after the handler returned.
  using Sink = std::function<bool(std::string_view chunk)>;
  std::function<void(const Sink& sink)> stream;
};

// application/x-www-form-urlencoded (and query strings): "a=1&b=%20x" into
// pairs, with '+' as space. Malformed escapes are kept as they are.
void ParseUrlEncoded(std::string_view text, std::vector<std::pair<std::string, std::string>>* out);
// Percent-decoding of a path ('+' stays '+').
std::string DecodePath(std::string_view path);

}  // namespace mytsdb::http
