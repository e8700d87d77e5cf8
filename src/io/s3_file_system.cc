#include "io/s3_file_system.h"

#include <arrow/buffer.h>
#include <arrow/filesystem/s3fs.h>
#include <arrow/io/interfaces.h>
#include <arrow/util/key_value_metadata.h>
#include <arrow/util/io_util.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "io/s3_conditional_put.h"

namespace mytsdb::io {

namespace {

constexpr std::string_view kScheme = "s3://";

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// Arrow's paths are "bucket/key".
std::string ArrowPath(std::string_view url) {
  std::string path(url.substr(kScheme.size()));
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path;
}

Status FromArrow(const arrow::Status& st, std::string_view what, std::string_view path) {
  if (st.ok()) return Status::OK();
  std::string msg = std::string(what) + " " + std::string(path) + ": " + st.message();
  if (arrow::internal::ErrnoFromStatus(st) == ENOENT) return Status::NotFound(std::move(msg));
  return Status::IOError(std::move(msg));
}

// Arrow wants InitializeS3 once per process, and FinalizeS3 before exit:
// without it the AWS SDK's state is torn down by static destruction in the
// wrong order and the process crashes as it exits.
Status EnsureArrowS3() {
  static std::once_flag once;
  static arrow::Status status;
  std::call_once(once, [] {
    arrow::fs::S3GlobalOptions global = arrow::fs::S3GlobalOptions::Defaults();
    status = arrow::fs::InitializeS3(global);
  });
  return FromArrow(status, "initialize", "Arrow's S3 support");
}

// An upload: Arrow buffers and sends parts; the object exists once Sync
// (the stream's Close) completes the upload.
class S3WritableFile : public WritableFile {
 public:
  S3WritableFile(std::string path, std::shared_ptr<arrow::io::OutputStream> out)
      : WritableFile(std::move(path)), out_(std::move(out)) {}
  ~S3WritableFile() override {
    // Never complete an upload nobody synced: a half-written file would
    // appear whole.
    if (out_ && !out_->closed()) (void)out_->Abort();
  }
  Status Append(std::string_view data) override {
    if (done_) return Status::IOError("append to " + path() + " after its upload completed");
    RETURN_NOT_OK(FromArrow(out_->Write(data.data(), static_cast<int64_t>(data.size())), "write",
                            path()));
    size_ += data.size();
    return Status::OK();
  }
  Status Sync() override {
    if (done_) return Status::OK();
    done_ = true;
    return FromArrow(out_->Close(), "upload", path());
  }
  Status Truncate(uint64_t size) override {
    if (size == size_) return Status::OK();
    return Status::Unimplemented("truncate of " + path() + ": objects cannot be cut");
  }
  Status Close() override {
    // Without a Sync nothing was promised: the upload is dropped rather than
    // completed, so a write that failed halfway never appears as an object.
    if (done_) return Status::OK();
    done_ = true;
    return FromArrow(out_->Abort(), "abort upload", path());
  }

 private:
  std::shared_ptr<arrow::io::OutputStream> out_;
  uint64_t size_ = 0;
  bool done_ = false;
};

class S3ReadFile : public RandomAccessFile {
 public:
  S3ReadFile(std::string path, std::shared_ptr<arrow::io::RandomAccessFile> in, uint64_t size)
      : RandomAccessFile(std::move(path)), in_(std::move(in)), size_(size) {}
  Result<uint64_t> Size() const override { return size_; }
  Result<size_t> ReadAt(uint64_t offset, size_t n, char* out) const override {
    if (offset >= size_ || n == 0) return size_t{0};
    n = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
    // Into a buffer of Arrow's, not `out`: a server that answers a ranged
    // GET with more bytes than asked must not write past the caller's.
    arrow::Result<std::shared_ptr<arrow::Buffer>> got =
        in_->ReadAt(static_cast<int64_t>(offset), static_cast<int64_t>(n));
    if (!got.ok()) return FromArrow(got.status(), "read", path());
    if (static_cast<uint64_t>((*got)->size()) > n) {
      return Status::IOError("read " + path() + ": the server answered " +
                             std::to_string((*got)->size()) + " bytes for a range of " +
                             std::to_string(n));
    }
    std::memcpy(out, (*got)->data(), static_cast<size_t>((*got)->size()));
    return static_cast<size_t>((*got)->size());
  }

 private:
  std::shared_ptr<arrow::io::RandomAccessFile> in_;
  const uint64_t size_;
};

}  // namespace

S3Options S3OptionsFromEnvironment(S3Options given) {
  if (given.endpoint.empty()) given.endpoint = Env("AWS_ENDPOINT_URL_S3");
  if (given.endpoint.empty()) given.endpoint = Env("AWS_ENDPOINT_URL");
  if (given.region.empty()) given.region = Env("AWS_REGION");
  if (given.region.empty()) given.region = Env("AWS_DEFAULT_REGION");
  if (given.region.empty()) given.region = "us-east-1";
  if (given.access_key_id.empty() && given.secret_access_key.empty()) {
    given.access_key_id = Env("AWS_ACCESS_KEY_ID");
    given.secret_access_key = Env("AWS_SECRET_ACCESS_KEY");
    if (given.session_token.empty()) given.session_token = Env("AWS_SESSION_TOKEN");
  }
  return given;
}

bool IsS3Url(std::string_view path) { return path.starts_with(kScheme); }

Result<S3Location> ParseS3Url(std::string_view url) {
  if (!IsS3Url(url)) return Status::InvalidArgument("not an s3:// URL: " + std::string(url));
  std::string_view rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  S3Location location;
  location.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) location.key = std::string(rest.substr(slash + 1));
  while (!location.key.empty() && location.key.back() == '/') location.key.pop_back();
  if (location.bucket.empty()) {
    return Status::InvalidArgument("s3 URL without a bucket: " + std::string(url));
  }
  return location;
}

class S3FileSystem::Impl {
 public:
  Impl(S3Options options, std::shared_ptr<arrow::fs::S3FileSystem> arrow_fs)
      : options(options), arrow(std::move(arrow_fs)), conditional(std::move(options)) {}

  // The conditional put, its retries, and how an ambiguous answer is
  // settled (see CreateFileIfAbsent).
  Status CreateIfAbsent(const std::string& url, std::string_view data, bool* created);
  // Whether `url` holds exactly `data`: kOk yes, kAlreadyExists other
  // bytes, kNotFound absent; another code when it could not be read.
  Status HoldsExactly(const std::string& url, std::string_view data);

  const S3Options options;
  std::shared_ptr<arrow::fs::S3FileSystem> arrow;
  S3ConditionalPut conditional;
  std::atomic<uint64_t> conditional_puts{0};
  std::atomic<uint64_t> conditional_put_retries{0};
  std::atomic<uint64_t> read_backs{0};
};

Status S3FileSystem::Impl::HoldsExactly(const std::string& url, std::string_view data) {
  read_backs.fetch_add(1, std::memory_order_relaxed);
  arrow::Result<std::shared_ptr<arrow::io::InputStream>> in =
      arrow->OpenInputStream(ArrowPath(url));
  if (!in.ok()) return FromArrow(in.status(), "read back", url);
  arrow::Result<std::shared_ptr<arrow::Buffer>> bytes =
      (*in)->Read(static_cast<int64_t>(data.size()) + 1);
  if (!bytes.ok()) return FromArrow(bytes.status(), "read back", url);
  if ((*bytes)->ToString() == data) return Status::OK();
  return Status::AlreadyExists(url + " holds another writer's version");
}

// One attempt's answer is one of: created (2xx), taken (412), conflicting
// upload in progress (409: try again), refused (other 4xx: give up), or
// ambiguous (no answer, 5xx): the object may or may not have been written.
// After an ambiguous attempt a later 412 may be our own earlier write, so
// the key is read back: exactly our bytes (a commit holds its time and a
// random id, so no other writer's is equal) means ours.
Status S3FileSystem::Impl::CreateIfAbsent(const std::string& url, std::string_view data,
                                          bool* created) {
  if (created) *created = false;
  ASSIGN_OR_RETURN(S3Location where, ParseS3Url(url));
  bool ambiguous = false;
  std::string last_error;
  std::chrono::milliseconds backoff{100};
  for (int attempt = 1; attempt <= std::max(1, options.max_attempts); ++attempt) {
    if (attempt > 1) {
      conditional_put_retries.fetch_add(1, std::memory_order_relaxed);
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5'000));
    }
    conditional_puts.fetch_add(1, std::memory_order_relaxed);
    const S3PutAnswer answer = conditional.PutIfAbsent(where, data);
    const int code = answer.http_status;
    if (code >= 200 && code < 300) {
      if (created) *created = true;
      return Status::OK();
    }
    if (code == 412) {
      if (!ambiguous) return Status::AlreadyExists(url + " exists (If-None-Match: * refused)");
      Status mine = HoldsExactly(url, data);
      if (mine.ok()) {
        if (created) *created = true;
        return Status::OK();
      }
      if (mine.code() == StatusCode::kAlreadyExists) return mine;
      last_error = mine.message();
      continue;  // could not tell yet; the next attempt asks again
    }
    if (code == 409) {  // a concurrent conditional upload of the key: S3 says retry
      last_error = "409 ConditionalRequestConflict";
      continue;
    }
    if (code >= 400 && code < 500) {
      return Status::IOError("put " + url + ": HTTP " + std::to_string(code) + " " +
                             answer.body.substr(0, 300));
    }
    ambiguous = true;
    last_error = code == 0 ? answer.error : "HTTP " + std::to_string(code);
    spdlog::warn("s3: conditional put of {} failed (attempt {}): {}", url, attempt, last_error);
  }
  if (ambiguous) {
    Status mine = HoldsExactly(url, data);
    if (mine.ok()) {
      if (created) *created = true;
      return Status::OK();
    }
    if (mine.code() == StatusCode::kAlreadyExists) return mine;
    if (mine.code() != StatusCode::kNotFound) {
      // Written or not, nobody can say: the caller must treat the version
      // as possibly committed.
      if (created) *created = true;
      return Status::IOError("put " + url + ": outcome unknown after " +
                             std::to_string(options.max_attempts) + " attempts (" + last_error +
                             "), and reading it back failed: " + mine.message());
    }
  }
  return Status::IOError("put " + url + ": " + last_error + " after " +
                         std::to_string(options.max_attempts) + " attempts");
}

Result<std::unique_ptr<S3FileSystem>> S3FileSystem::Make(const S3Options& given) {
  const S3Options options = S3OptionsFromEnvironment(given);
  if (options.access_key_id.empty() || options.secret_access_key.empty()) {
    return Status::InvalidArgument(
        "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the config file's "
        "s3 section)");
  }
  arrow::fs::S3Options arrow_options;
  if (!options.endpoint.empty()) {
    std::string_view endpoint = options.endpoint;
    if (endpoint.starts_with("http://")) {
      arrow_options.scheme = "http";
      endpoint.remove_prefix(7);
    } else if (endpoint.starts_with("https://")) {
      arrow_options.scheme = "https";
      endpoint.remove_prefix(8);
    } else {
      return Status::InvalidArgument("S3 endpoint must be an http:// or https:// URL: " +
                                     options.endpoint);
    }
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.remove_suffix(1);
    arrow_options.endpoint_override = std::string(endpoint);
  }
  arrow_options.region = options.region;
  arrow_options.ConfigureAccessKey(options.access_key_id, options.secret_access_key,
                                   options.session_token);
  arrow_options.connect_timeout = options.connect_timeout.count() / 1000.0;
  arrow_options.request_timeout = options.request_timeout.count() / 1000.0;
  arrow_options.retry_strategy =
      arrow::fs::S3RetryStrategy::GetAwsStandardRetryStrategy(std::max(1, options.max_attempts));
  RETURN_NOT_OK(EnsureArrowS3());
  arrow::Result<std::shared_ptr<arrow::fs::S3FileSystem>> arrow_fs =
      arrow::fs::S3FileSystem::Make(arrow_options);
  if (!arrow_fs.ok()) return FromArrow(arrow_fs.status(), "open", "S3 file system");
  // Registered only now: Arrow's own finalizer object is created with the
  // first client, and exit handlers run in reverse order, so ours runs
  // while that object still exists.
  static std::once_flag finalize_at_exit;
  std::call_once(finalize_at_exit,
                 [] { std::atexit([] { (void)arrow::fs::EnsureS3Finalized(); }); });
  return std::unique_ptr<S3FileSystem>(
      new S3FileSystem(std::make_unique<Impl>(options, std::move(*arrow_fs))));
}

S3FileSystem::S3FileSystem(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
S3FileSystem::~S3FileSystem() = default;

Result<std::unique_ptr<WritableFile>> S3FileSystem::NewWritableFile(const std::string& path) {
  RETURN_NOT_OK(ParseS3Url(path).status());
  auto metadata = arrow::key_value_metadata({"Content-Type"}, {"application/octet-stream"});
  arrow::Result<std::shared_ptr<arrow::io::OutputStream>> out =
      impl_->arrow->OpenOutputStream(ArrowPath(path), metadata);
  if (!out.ok()) return FromArrow(out.status(), "create", path);
  return std::unique_ptr<WritableFile>(new S3WritableFile(path, std::move(*out)));
}

Result<std::unique_ptr<RandomAccessFile>> S3FileSystem::OpenForRead(const std::string& path) {
  RETURN_NOT_OK(ParseS3Url(path).status());
  arrow::Result<arrow::fs::FileInfo> info = impl_->arrow->GetFileInfo(ArrowPath(path));
  if (!info.ok()) return FromArrow(info.status(), "open", path);
  if (info->type() == arrow::fs::FileType::NotFound) return Status::NotFound("open " + path);
  if (info->type() != arrow::fs::FileType::File) {
    return Status::IOError("open " + path + ": not a file");
  }
  arrow::Result<std::shared_ptr<arrow::io::RandomAccessFile>> in =
      impl_->arrow->OpenInputFile(*info);
  if (!in.ok()) return FromArrow(in.status(), "open", path);
  return std::unique_ptr<RandomAccessFile>(
      new S3ReadFile(path, std::move(*in), static_cast<uint64_t>(info->size())));
}

Status S3FileSystem::CreateFileIfAbsent(const std::string& path, std::string_view data,
                                        bool* created) {
  return impl_->CreateIfAbsent(path, data, created);
}

Status S3FileSystem::Rename(const std::string& from, const std::string& to) {
  return FromArrow(impl_->arrow->Move(ArrowPath(from), ArrowPath(to)), "rename", from);
}

Status S3FileSystem::Link(const std::string& from, const std::string& to) {
  ASSIGN_OR_RETURN(FileStatus target, Stat(to));
  if (target.exists) return Status::AlreadyExists("link " + to + ": exists");
  return FromArrow(impl_->arrow->CopyFile(ArrowPath(from), ArrowPath(to)), "copy", from);
}

Status S3FileSystem::Remove(const std::string& path) {
  ASSIGN_OR_RETURN(FileStatus status, Stat(path));
  if (!status.exists) return Status::NotFound("remove " + path);
  // A prefix with nothing under it is gone already; one with objects under
  // it is a directory that is not empty.
  if (status.is_directory) {
    return Status::IOError("remove " + path + ": directory not empty");
  }
  return FromArrow(impl_->arrow->DeleteFile(ArrowPath(path)), "remove", path);
}

Status S3FileSystem::CreateDirs(const std::string& path) { return ParseS3Url(path).status(); }

Status S3FileSystem::SyncDir(const std::string& path) { return ParseS3Url(path).status(); }

Result<std::vector<DirEntry>> S3FileSystem::ListDir(const std::string& path) {
  ASSIGN_OR_RETURN(S3Location where, ParseS3Url(path));
  arrow::fs::FileSelector selector;
  selector.base_dir = ArrowPath(path);
  selector.allow_not_found = true;
  selector.recursive = false;
  arrow::Result<std::vector<arrow::fs::FileInfo>> infos = impl_->arrow->GetFileInfo(selector);
  if (!infos.ok()) return FromArrow(infos.status(), "list", path);
  // CreateDirs made nothing, so a prefix nothing is under yet lists as an
  // empty directory, not as a missing one. A missing bucket is an error.
  if (infos->empty()) {
    ASSIGN_OR_RETURN(FileStatus bucket, Stat("s3://" + where.bucket));
    if (!bucket.exists) return Status::NotFound("list " + path + ": no bucket " + where.bucket);
  }
  std::vector<DirEntry> entries;
  entries.reserve(infos->size());
  for (const arrow::fs::FileInfo& info : *infos) {
    entries.push_back({info.base_name(), info.type() == arrow::fs::FileType::Directory});
  }
  return entries;
}

Result<FileStatus> S3FileSystem::Stat(const std::string& path) {
  RETURN_NOT_OK(ParseS3Url(path).status());
  arrow::Result<arrow::fs::FileInfo> info = impl_->arrow->GetFileInfo(ArrowPath(path));
  if (!info.ok()) return FromArrow(info.status(), "stat", path);
  FileStatus status;
  switch (info->type()) {
    case arrow::fs::FileType::File:
      status.exists = true;
      status.size = static_cast<uint64_t>(info->size());
      break;
    case arrow::fs::FileType::Directory:
      status.exists = true;
      status.is_directory = true;
      break;
    default:
      break;
  }
  return status;
}

Status S3FileSystem::TruncateFile(const std::string& path, uint64_t) {
  return Status::Unimplemented("truncate of " + path + ": objects cannot be cut");
}

S3RequestCounts S3FileSystem::request_counts() const {
  S3RequestCounts counts;
  counts.conditional_puts = impl_->conditional_puts.load(std::memory_order_relaxed);
  counts.conditional_put_retries = impl_->conditional_put_retries.load(std::memory_order_relaxed);
  counts.read_backs = impl_->read_backs.load(std::memory_order_relaxed);
  return counts;
}

}  // namespace mytsdb::io
