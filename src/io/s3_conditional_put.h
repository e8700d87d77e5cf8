// S3ConditionalPut: one signed PutObject with `If-None-Match: *`, the
// object store's "create if absent", sent through libcurl with its built-in
// AWS SigV4 signing (CURLOPT_AWS_SIGV4). Arrow's S3 file system does not
// expose conditional writes (apache/arrow#44281), and a Delta log on an
// object store needs exactly this one request.
//
// This is the mechanism: one attempt, its HTTP status or the transport
// error. What an ambiguous answer means, and when to retry, is decided by
// S3FileSystem::CreateFileIfAbsent.
//
// Thread-safe: each Put uses its own curl handle.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "io/s3_file_system.h"

namespace mytsdb::io {

struct S3PutAnswer {
  int http_status = 0;  // 0 when no answer arrived (timeout, connection error)
  std::string error;    // libcurl's message when http_status is 0
  std::string body;     // the error document, if any
};

class S3ConditionalPut {
 public:
  // `options` must be resolved (S3OptionsFromEnvironment) and hold
  // credentials.
  explicit S3ConditionalPut(S3Options options);

  // PUT s3://bucket/key with If-None-Match: * and `data`. Never an error
  // Status for what the server or network answered: that is in the answer.
  S3PutAnswer PutIfAbsent(const S3Location& where, std::string_view data) const;

  // The request's URL (path-style for a configured endpoint, virtual-hosted
  // on AWS), with the key's bytes percent-encoded except '/'.
  std::string UrlOf(const S3Location& where) const;

 private:
  S3Options options_;
};

}  // namespace mytsdb::io
