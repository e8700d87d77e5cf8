// Any bytes as a model.safetensors (the model path is the user's to
// choose): Open and Float32 return an error or tensors that lie inside the
// mapping (ASan checks each float is readable), never a crash. Tensors the
// input may name: "a" [2], "b" [1, 3].
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "search/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const int fd = memfd_create("safetensors_fuzz", MFD_CLOEXEC);
  if (fd < 0) std::abort();
  if (size > 0 && write(fd, bytes, size) != static_cast<ssize_t>(size)) std::abort();
  auto opened = mytsdb::search::SafeTensors::Open("/proc/self/fd/" + std::to_string(fd));
  if (opened.ok()) {
    volatile float sink = 0;
    for (const auto& [name, shape] : {std::pair<const char*, std::vector<int64_t>>{"a", {2}}, {"b", {1, 3}}}) {
      auto t = opened->Float32(name, shape);
      if (!t.ok()) continue;
      for (size_t i = 0; i < t->size(); ++i) sink = sink + t->data[i];
    }
  }
  close(fd);
  return 0;
}
