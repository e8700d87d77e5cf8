#include "search/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <numeric>
#include <utility>

#include <rapidjson/document.h>

namespace mytsdb::search {

size_t SafeTensors::Tensor::size() const {
  return std::accumulate(shape.begin(), shape.end(), size_t{1},
                         [](size_t a, int64_t b) { return a * static_cast<size_t>(b); });
}

namespace {

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

}  // namespace

Result<SafeTensors> SafeTensors::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOErrorFromErrno("opening model weights", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Status s = Status::IOErrorFromErrno("reading model weights", path);
    ::close(fd);
    return s;
  }
  SafeTensors out;
  out.path_ = path;
  out.size_ = static_cast<size_t>(st.st_size);
  if (out.size_ < 8) {
    ::close(fd);
    return Status::Corruption(path + ": not a safetensors file (shorter than its header length)");
  }
  void* mapped = ::mmap(nullptr, out.size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (mapped == MAP_FAILED) return Status::IOErrorFromErrno("mapping model weights", path);
  out.base_ = static_cast<const uint8_t*>(mapped);

  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | out.base_[i];
  if (header_size > out.size_ - 8) return Status::Corruption(path + ": header length past the end of the file");
  out.data_offset_ = 8 + header_size;
  rapidjson::Document doc;
  doc.Parse(reinterpret_cast<const char*>(out.base_ + 8), header_size);
  if (doc.HasParseError() || !doc.IsObject()) return Status::Corruption(path + ": header is not a JSON object");
  const uint64_t data_size = out.size_ - out.data_offset_;
  for (const auto& member : std::as_const(doc).GetObject()) {
    std::string name(member.name.GetString(), member.name.GetStringLength());
    if (name == "__metadata__") continue;
    const auto& v = member.value;
    if (!v.IsObject() || !v.HasMember("dtype") || !v["dtype"].IsString() || !v.HasMember("shape") ||
        !v["shape"].IsArray() || !v.HasMember("data_offsets") || !v["data_offsets"].IsArray() ||
        v["data_offsets"].Size() != 2 || !v["data_offsets"][0].IsUint64() || !v["data_offsets"][1].IsUint64()) {
      return Status::Corruption(path + ": tensor " + name + " has a malformed header entry");
    }
    Entry e;
    e.dtype = v["dtype"].GetString();
    for (const auto& d : v["shape"].GetArray()) {
      if (!d.IsInt64() || d.GetInt64() < 0) return Status::Corruption(path + ": tensor " + name + " has a bad shape");
      e.shape.push_back(d.GetInt64());
    }
    e.begin = v["data_offsets"][0].GetUint64();
    e.end = v["data_offsets"][1].GetUint64();
    if (e.begin > e.end || e.end > data_size) {
      return Status::Corruption(path + ": tensor " + name + " lies past the end of the file");
    }
    out.entries_.emplace(std::move(name), std::move(e));
  }
  return out;
}

SafeTensors::SafeTensors(SafeTensors&& other) noexcept { *this = std::move(other); }

SafeTensors& SafeTensors::operator=(SafeTensors&& other) noexcept {
  if (this != &other) {
    if (base_ != nullptr) ::munmap(const_cast<uint8_t*>(base_), size_);
    path_ = std::move(other.path_);
    base_ = std::exchange(other.base_, nullptr);
    size_ = std::exchange(other.size_, 0);
    data_offset_ = other.data_offset_;
    entries_ = std::move(other.entries_);
  }
  return *this;
}

SafeTensors::~SafeTensors() {
  if (base_ != nullptr) ::munmap(const_cast<uint8_t*>(base_), size_);
}

Result<SafeTensors::Tensor> SafeTensors::Float32(std::string_view name, const std::vector<int64_t>& shape) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) return Status::NotFound(path_ + ": no tensor " + std::string(name));
  const Entry& e = it->second;
  if (e.dtype != "F32") {
    return Status::InvalidArgument(path_ + ": tensor " + std::string(name) + " is " + e.dtype + ", not F32");
  }
  if (e.shape != shape) {
    return Status::InvalidArgument(path_ + ": tensor " + std::string(name) + " has shape " + ShapeText(e.shape) +
                                   ", expected " + ShapeText(shape));
  }
  Tensor t;
  t.shape = e.shape;
  if (e.end - e.begin != t.size() * sizeof(float)) {
    return Status::Corruption(path_ + ": tensor " + std::string(name) + " byte range does not match its shape");
  }
  const uint8_t* p = base_ + data_offset_ + e.begin;
  if (reinterpret_cast<uintptr_t>(p) % alignof(float) != 0) {
    return Status::Corruption(path_ + ": tensor " + std::string(name) + " is not aligned to 4 bytes");
  }
  t.data = reinterpret_cast<const float*>(p);
  return t;
}

}  // namespace mytsdb::search
