#include "cold_location.h"

#include <spdlog/spdlog.h>

#include <cctype>

#include "io/s3_file_system.h"

namespace mytsdb::app {

Result<ColdLocation> OpenColdLocation(const Config& config) {
  ColdLocation location;
  if (config.read_only) {
    if (config.cold_url.empty()) {
      return Status::InvalidArgument("--read-only serves a shared table: give its --storage.cold-url");
    }
    if (!config.cluster_writer.empty() || config.cluster_compactor) {
      return Status::InvalidArgument(
          "--read-only writes nothing: it takes neither --cluster.writer nor --cluster.compactor");
    }
  } else if (!config.cluster_writers.empty()) {
    return Status::InvalidArgument(
        "--cluster.writers lists the writers a --read-only node asks for their newest samples; "
        "a writer takes the others' samples from the table");
  }
  if (!config.cluster_writer.empty()) {
    if (config.cold_url.empty()) {
      return Status::InvalidArgument(
          "--cluster.writer names a writer of a shared table: give the table's --storage.cold-url");
    }
    for (char c : config.cluster_writer) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
        return Status::InvalidArgument("--cluster.writer \"" + config.cluster_writer +
                                       "\": use letters, digits, '-', '_' and '.'");
      }
    }
  }
  if (config.cluster_compactor && config.cluster_writer.empty()) {
    return Status::InvalidArgument(
        "--cluster.compactor stands for the compactor among the writers of a shared table: give "
        "this writer's --cluster.writer name");
  }
  if (config.cold_url.empty()) return location;
  if (!io::IsS3Url(config.cold_url)) {
    return Status::InvalidArgument("--storage.cold-url must be an s3://bucket/prefix URL, not \"" +
                                   config.cold_url + "\" (the local table is DATA/parquet)");
  }
  ASSIGN_OR_RETURN(io::S3Location where, io::ParseS3Url(config.cold_url));
  if (config.s3.max_attempts <= 0) {
    return Status::InvalidArgument("storage.s3.max_attempts must be positive");
  }
  if (config.s3.request_timeout_ms <= 0) {
    return Status::InvalidArgument("storage.s3.request_timeout must be positive");
  }
  io::S3Options options;
  options.endpoint = config.s3.endpoint;
  options.region = config.s3.region;
  options.access_key_id = config.s3.access_key_id;
  options.secret_access_key = config.s3.secret_access_key;
  options.request_timeout = std::chrono::milliseconds(config.s3.request_timeout_ms);
  options.max_attempts = config.s3.max_attempts;
  ASSIGN_OR_RETURN(std::unique_ptr<io::S3FileSystem> fs, io::S3FileSystem::Make(options));
  const std::string bucket_url = "s3://" + where.bucket;
  Result<io::FileStatus> bucket = fs->Stat(bucket_url);
  if (!bucket.ok()) {
    return Status::Unavailable("cannot reach " + bucket_url + ": " + bucket.status().message());
  }
  if (!bucket->exists) {
    return Status::NotFound("bucket " + where.bucket + " does not exist (MyTSDB does not create "
                            "buckets): create it, or fix --storage.cold-url");
  }
  const io::S3Options resolved = io::S3OptionsFromEnvironment(options);
  spdlog::info("cold tier: {} (endpoint {}, region {})", config.cold_url,
               resolved.endpoint.empty() ? "AWS" : resolved.endpoint, resolved.region);
  location.url = config.cold_url;
  while (location.url.size() > 5 && location.url.back() == '/') location.url.pop_back();
  location.fs = std::move(fs);
  return location;
}

void UseColdLocation(const ColdLocation& location, storage::StorageOptions* options) {
  if (location.url.empty()) return;
  options->cold_dir = location.url;
  options->cold_fs = location.fs.get();
}

}  // namespace mytsdb::app
