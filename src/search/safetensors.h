// A read-only view of a .safetensors file, Hugging Face's format for model
// weights: an 8-byte little-endian header length, a JSON header naming
// each tensor's dtype, shape and byte range, then the raw data. The file
// is mapped, not copied: the weights stay in the page cache, shared and
// reclaimable, and loading costs no more than reading the header.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace mytsdb::search {

class SafeTensors {
 public:
  struct Tensor {
    std::vector<int64_t> shape;
    const float* data = nullptr;  // row-major, shape's product floats
    size_t size() const;
  };

  static Result<SafeTensors> Open(const std::string& path);

  SafeTensors(SafeTensors&& other) noexcept;
  SafeTensors& operator=(SafeTensors&& other) noexcept;
  SafeTensors(const SafeTensors&) = delete;
  SafeTensors& operator=(const SafeTensors&) = delete;
  ~SafeTensors();

  // A float32 tensor, checked against `shape`; an error naming the file
  // and the tensor when it is missing, of another type or shape.
  Result<Tensor> Float32(std::string_view name, const std::vector<int64_t>& shape) const;

  size_t mapped_bytes() const { return size_; }

 private:
  struct Entry {
    std::string dtype;
    std::vector<int64_t> shape;
    uint64_t begin = 0, end = 0;  // within the data section
  };

  SafeTensors() = default;

  std::string path_;
  const uint8_t* base_ = nullptr;
  size_t size_ = 0;
  size_t data_offset_ = 0;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace mytsdb::search
