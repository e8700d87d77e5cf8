// What turns texts into vectors for search: the sentence-embedding model
// inside the server (the default), or an OpenAI-compatible embeddings
// endpoint (--search.embeddings-url) for a larger model than the server
// runs itself.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace mytsdb::search {

class SentenceEncoder;

class Embedder {
 public:
  virtual ~Embedder() = default;

  // Names the vectors in the table: rows of another model are embedded
  // again.
  virtual const std::string& model() const = 0;
  virtual size_t dimension() const = 0;

  // One row of dimension() floats per text, in order, each of unit length
  // (the ranker's inner product is their cosine).
  virtual Result<std::vector<float>> EmbedBatch(std::span<const std::string_view> texts) const = 0;

  // One text (a question): the model in the server has a faster path.
  virtual Result<std::vector<float>> Embed(std::string_view text) const {
    std::string_view one[] = {text};
    return EmbedBatch(one);
  }
};

// The model in `model_dir` (the directory's name is the model's).
Result<std::unique_ptr<Embedder>> LoadLocalEmbedder(const std::string& model_dir);

}  // namespace mytsdb::search
