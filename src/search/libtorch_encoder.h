// The encoder's forward pass on libtorch (Debian's libtorch-dev), built
// only for the comparison of back ends (cmake -DMYTSDB_ENCODER_COMPARISON=ON,
// encoder_benchmark.cc; docs/design/search.md has the figures). It reads
// the same files as SentenceEncoder and gives the same embeddings; the
// server does not use it. C++17: libtorch 1.13's headers do not compile
// as C++20 under clang.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace mytsdb::search {

class LibtorchEncoder {
 public:
  static Result<std::unique_ptr<LibtorchEncoder>> Load(const std::string& model_dir);
  ~LibtorchEncoder();

  size_t dimension() const { return 384; }
  std::vector<float> Embed(std::string_view text) const;
  std::vector<float> EmbedBatch(const std::vector<std::string_view>& texts) const;

 private:
  struct State;
  explicit LibtorchEncoder(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace mytsdb::search
