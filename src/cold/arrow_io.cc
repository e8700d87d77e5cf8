#include "cold/arrow_io.h"

#include <arrow/buffer.h>
#include <arrow/result.h>

#include <atomic>
#include <mutex>

namespace mytsdb::cold {

arrow::MemoryPool* ArrowMemoryPool() { return arrow::system_memory_pool(); }

parquet::ReaderProperties ParquetReaderProperties() {
  return parquet::ReaderProperties(ArrowMemoryPool());
}

namespace {

// Arrow keeps the status code it was given only in a detail; the message
// carries ours, so that FromArrow can recover the code.
constexpr std::string_view kCodeTag = "[mytsdb:";

class OutputStream : public arrow::io::OutputStream {
 public:
  explicit OutputStream(io::WritableFile* file) : file_(file) {}
  arrow::Status Close() override {
    if (closed_) return arrow::Status::OK();
    closed_ = true;
    return ToArrow(file_->Close());
  }
  bool closed() const override { return closed_; }
  arrow::Result<int64_t> Tell() const override { return position_; }
  arrow::Status Write(const void* data, int64_t nbytes) override {
    if (closed_) return arrow::Status::Invalid("write to closed file ", file_->path());
    ARROW_RETURN_NOT_OK(
        ToArrow(file_->Append(std::string_view(static_cast<const char*>(data), nbytes))));
    position_ += nbytes;
    return arrow::Status::OK();
  }

 private:
  io::WritableFile* const file_;
  int64_t position_ = 0;
  bool closed_ = false;
};

class InputFile : public arrow::io::RandomAccessFile {
 public:
  explicit InputFile(std::shared_ptr<io::RandomAccessFile> file) : file_(std::move(file)) {}
  arrow::Status Close() override {
    closed_ = true;
    return arrow::Status::OK();
  }
  bool closed() const override { return closed_; }
  arrow::Result<int64_t> Tell() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return position_;
  }
  arrow::Status Seek(int64_t position) override {
    std::lock_guard<std::mutex> lock(mu_);
    position_ = position;
    return arrow::Status::OK();
  }
  arrow::Result<int64_t> Read(int64_t nbytes, void* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    ARROW_ASSIGN_OR_RAISE(int64_t n, ReadAt(position_, nbytes, out));
    position_ += n;
    return n;
  }
  arrow::Result<std::shared_ptr<arrow::Buffer>> Read(int64_t nbytes) override {
    std::lock_guard<std::mutex> lock(mu_);
    ARROW_ASSIGN_OR_RAISE(auto buffer, ReadAt(position_, nbytes));
    position_ += buffer->size();
    return buffer;
  }
  arrow::Result<int64_t> GetSize() override {
    auto size = file_->Size();
    if (!size.ok()) return ToArrow(size.status());
    return static_cast<int64_t>(*size);
  }
  arrow::Result<int64_t> ReadAt(int64_t position, int64_t nbytes, void* out) override {
    if (position < 0 || nbytes < 0) return arrow::Status::Invalid("negative read position");
    auto n = file_->ReadAt(static_cast<uint64_t>(position), static_cast<size_t>(nbytes),
                           static_cast<char*>(out));
    if (!n.ok()) return ToArrow(n.status());
    return static_cast<int64_t>(*n);
  }
  arrow::Result<std::shared_ptr<arrow::Buffer>> ReadAt(int64_t position, int64_t nbytes) override {
    ARROW_ASSIGN_OR_RAISE(std::unique_ptr<arrow::ResizableBuffer> buffer,
                          arrow::AllocateResizableBuffer(nbytes, ArrowMemoryPool()));
    ARROW_ASSIGN_OR_RAISE(int64_t n, ReadAt(position, nbytes, buffer->mutable_data()));
    if (n < nbytes) ARROW_RETURN_NOT_OK(buffer->Resize(n));
    return std::shared_ptr<arrow::Buffer>(std::move(buffer));
  }

 private:
  std::shared_ptr<io::RandomAccessFile> file_;
  mutable std::mutex mu_;  // guards position_ (ReadAt needs no lock)
  int64_t position_ = 0;
  std::atomic<bool> closed_{false};
};

}  // namespace

namespace {
// A Status from an Arrow message; a code tagged by ToArrow wins over `code`.
Status Recover(std::string message, StatusCode code, std::string_view what) {
  size_t tag = message.find(kCodeTag);
  if (tag != std::string::npos) {
    size_t end = message.find(']', tag);
    int value = std::atoi(message.c_str() + tag + kCodeTag.size());
    if (end != std::string::npos && value > 0) code = static_cast<StatusCode>(value);
    message.erase(tag, end == std::string::npos ? std::string::npos : end - tag + 2);
  }
  return Status(code, std::string(what) + ": " + message);
}
}  // namespace

Status FromArrow(const arrow::Status& st, std::string_view what) {
  if (st.ok()) return Status::OK();
  return Recover(st.message(), StatusCode::kIOError, what);
}

Status FromException(const std::exception& e, std::string_view what) {
  return Recover(e.what(), StatusCode::kCorruption, what);
}

arrow::Status ToArrow(const Status& st) {
  if (st.ok()) return arrow::Status::OK();
  return arrow::Status::IOError(std::string(kCodeTag) + std::to_string(static_cast<int>(st.code())) +
                                "] " + st.message());
}

std::shared_ptr<arrow::io::OutputStream> MakeArrowOutputStream(io::WritableFile* file) {
  return std::make_shared<OutputStream>(file);
}

std::shared_ptr<arrow::io::RandomAccessFile> MakeArrowInputFile(
    std::shared_ptr<io::RandomAccessFile> file) {
  return std::make_shared<InputFile>(std::move(file));
}

Result<std::shared_ptr<arrow::io::RandomAccessFile>> OpenArrowInputFile(io::FileSystem* fs,
                                                                         const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<io::RandomAccessFile> file, fs->OpenForRead(path));
  return MakeArrowInputFile(std::shared_ptr<io::RandomAccessFile>(std::move(file)));
}

}  // namespace mytsdb::cold
