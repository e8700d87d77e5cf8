// S3FileSystem: io::FileSystem over an S3-compatible object store, so that
// the cold tier's Delta table can live at s3://bucket/prefix.
//
// Reads (ranged GETs), listings, uploads and deletions go through Arrow's
// S3 file system (libarrow_s3, shipped with the Arrow libraries we link).
// The one atomic primitive, CreateFileIfAbsent (a new Delta log version), is
// a PutObject with `If-None-Match: *`, which Arrow does not expose: that one
// request goes through libcurl's SigV4 signing (s3_conditional_put.h).
//
// Paths are URLs, s3://bucket/key. An object store has no directories: a
// "directory" is a key prefix that exists while something is under it, so
// CreateDirs and SyncDir have nothing to do, a prefix with nothing under it
// lists as an empty directory (Stat says it does not exist), and a file
// written with
// NewWritableFile appears whole when its Sync (the upload's completion)
// returns (writes_appear_whole()); one closed without a Sync is dropped.
// Rename and Link are server-side copies,
// not atomic: the cold tier does not rename on object storage.
//
// Credentials, region and endpoint come from S3Options, and where it leaves
// them empty from the environment variables every AWS tool reads.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "io/file_system.h"

namespace mytsdb::io {

struct S3Options {
  // "http://127.0.0.1:9000" for an S3-compatible server (path-style
  // requests); empty: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS itself
  // (https, virtual-hosted requests).
  std::string endpoint;
  // Empty: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1.
  std::string region;
  // Empty: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN.
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  std::chrono::milliseconds connect_timeout{5'000};
  // The longest one request may take; a slower one is abandoned and retried.
  std::chrono::milliseconds request_timeout{30'000};
  // Attempts per request, for timeouts, connection errors and 5xx answers.
  int max_attempts = 5;
};

// `given` with its empty fields filled from the environment.
S3Options S3OptionsFromEnvironment(S3Options given);

// True for "s3://..." paths.
bool IsS3Url(std::string_view path);

// "s3://bucket/a/b" -> bucket "bucket", key "a/b" (key may be empty).
struct S3Location {
  std::string bucket;
  std::string key;
};
// InvalidArgument naming the URL when it has no bucket or is not s3://.
Result<S3Location> ParseS3Url(std::string_view url);

// Counts of the requests a file system sent, for tests and the capacity
// figures: what an object store bills by.
struct S3RequestCounts {
  uint64_t conditional_puts = 0;  // log versions attempted
  uint64_t conditional_put_retries = 0;
  uint64_t read_backs = 0;  // reads that settled an ambiguous conditional put
};

class S3FileSystem : public FileSystem {
 public:
  // Connects nothing yet: errors of reach or credentials surface at the
  // first request, naming it. InvalidArgument for unusable options (no
  // credentials, an endpoint that is not an http(s) URL).
  static Result<std::unique_ptr<S3FileSystem>> Make(const S3Options& options);
  ~S3FileSystem() override;

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  Result<std::unique_ptr<RandomAccessFile>> OpenForRead(const std::string& path) override;
  Status CreateFileIfAbsent(const std::string& path, std::string_view data,
                            bool* created) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Link(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& path) override;
  Status CreateDirs(const std::string& path) override;
  Status SyncDir(const std::string& path) override;
  Result<std::vector<DirEntry>> ListDir(const std::string& path) override;
  Result<FileStatus> Stat(const std::string& path) override;
  Status TruncateFile(const std::string& path, uint64_t size) override;
  bool writes_appear_whole() const override { return true; }

  S3RequestCounts request_counts() const;

 private:
  class Impl;
  explicit S3FileSystem(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mytsdb::io
