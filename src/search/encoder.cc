#include "search/encoder.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <Eigen/Core>
#include <rapidjson/document.h>
#include <unsupported/Eigen/SpecialFunctions>

#include "io/file_system.h"
#include "search/second_core.h"
#include "search/small_gemm.h"

#ifndef MYTSDB_ENCODER_EIGEN_GEMM
#include <cblas.h>
// OpenBLAS's, exported: joins the worker threads of its thread pool.
extern "C" int blas_thread_shutdown_(void);
#endif

namespace mytsdb::search {

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstRowMap = Eigen::Map<const RowMatrix>;
using ConstVectorMap = Eigen::Map<const Eigen::RowVectorXf>;

#ifndef MYTSDB_SMALL_GEMM_ROWS
#define MYTSDB_SMALL_GEMM_ROWS 24
#endif
// Up to this many rows (tokens), SmallGemmHalf instead of OpenBLAS's
// sgemm (measured: docs/design/search.md).
constexpr int kSmallGemmRows = MYTSDB_SMALL_GEMM_ROWS;

// A torch Linear's weight W [out, in] (row-major), and its copy in half
// precision for few rows when the CPU can use it (small_gemm.h).
struct DenseWeights {
  const float* f32 = nullptr;
  std::vector<uint16_t> f16;

  void Set(const float* weights, size_t count) {
    f32 = weights;
#ifndef MYTSDB_ENCODER_EIGEN_GEMM
    if (SmallGemmHalfAvailable()) f16 = ToHalf(weights, count);
#else
    (void)count;
#endif
  }
};

// y = x W^T + b. With `two_cores`, few rows (a question) take the second
// core for half of the outputs (second_core.h).
void Dense(const RowMatrix& x, const DenseWeights& weight, const float* bias, int out, RowMatrix* y,
           bool two_cores) {
  const int rows = static_cast<int>(x.rows()), in = static_cast<int>(x.cols());
  y->resize(rows, out);
#ifdef MYTSDB_ENCODER_EIGEN_GEMM
  (void)two_cores;
  y->noalias() = x * ConstRowMap(weight.f32, out, in).transpose();
#else
  if (rows <= kSmallGemmRows && !weight.f16.empty()) {
    if (two_cores) {
      const int half = out / 2;
      RunOnTwoCores([&](int part) {
        const int first = part == 0 ? 0 : half, count = part == 0 ? half : out - half;
        SmallGemmHalf(x.data(), rows, in, weight.f16.data() + static_cast<size_t>(first) * in, count,
                      y->data() + first, out);
      });
    } else {
      SmallGemmHalf(x.data(), rows, in, weight.f16.data(), out, y->data());
    }
  } else {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, out, in, 1.0f, x.data(), in, weight.f32, in, 0.0f,
                y->data(), out);
  }
#endif
  y->rowwise() += ConstVectorMap(bias, out);
}

// Each row normalized to zero mean and unit variance, then scaled and
// shifted (torch's LayerNorm: biased variance, eps inside the root).
void LayerNorm(RowMatrix* x, const float* weight, const float* bias, float eps) {
  const int cols = static_cast<int>(x->cols());
  ConstVectorMap gamma(weight, cols), beta(bias, cols);
  for (Eigen::Index r = 0; r < x->rows(); ++r) {
    auto row = x->row(r);
    const float mean = row.mean();
    row.array() -= mean;
    const float variance = row.squaredNorm() / static_cast<float>(cols);
    row *= 1.0f / std::sqrt(variance + eps);
    row = row.cwiseProduct(gamma) + beta;
  }
}

// BERT's "gelu": the exact form with erf, not the tanh approximation.
void Gelu(RowMatrix* x) {
  auto a = x->array();
  a = 0.5f * a * (1.0f + (a * static_cast<float>(M_SQRT1_2)).erf());
}

void SoftmaxRows(RowMatrix* x) {
  for (Eigen::Index r = 0; r < x->rows(); ++r) {
    auto row = x->row(r).array();
    row = (row - row.maxCoeff()).exp();
    row /= row.sum();
  }
}

Result<int> IntField(const rapidjson::Document& doc, const char* name, const std::string& path) {
  if (!doc.HasMember(name) || !doc[name].IsInt() || doc[name].GetInt() <= 0) {
    return Status::InvalidArgument(path + ": missing or bad \"" + std::string(name) + "\"");
  }
  return doc[name].GetInt();
}

Result<rapidjson::Document> ReadJson(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, io::PosixFileSystem()->ReadFile(path));
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) return Status::InvalidArgument(path + ": not a JSON object");
  return doc;
}

Result<BertConfig> ReadConfig(const std::string& path) {
  ASSIGN_OR_RETURN(rapidjson::Document doc, ReadJson(path));
  auto string_is = [&](const char* name, std::string_view want) {
    return doc.HasMember(name) && doc[name].IsString() && doc[name].GetString() == want;
  };
  if (!string_is("model_type", "bert")) return Status::InvalidArgument(path + ": model_type is not \"bert\"");
  if (!string_is("hidden_act", "gelu")) return Status::InvalidArgument(path + ": hidden_act is not \"gelu\"");
  if (doc.HasMember("position_embedding_type") && !string_is("position_embedding_type", "absolute")) {
    return Status::InvalidArgument(path + ": position_embedding_type is not \"absolute\"");
  }
  BertConfig c;
  ASSIGN_OR_RETURN(c.hidden, IntField(doc, "hidden_size", path));
  ASSIGN_OR_RETURN(c.layers, IntField(doc, "num_hidden_layers", path));
  ASSIGN_OR_RETURN(c.heads, IntField(doc, "num_attention_heads", path));
  ASSIGN_OR_RETURN(c.intermediate, IntField(doc, "intermediate_size", path));
  ASSIGN_OR_RETURN(c.max_positions, IntField(doc, "max_position_embeddings", path));
  ASSIGN_OR_RETURN(c.vocab, IntField(doc, "vocab_size", path));
  ASSIGN_OR_RETURN(c.type_vocab, IntField(doc, "type_vocab_size", path));
  if (c.hidden % c.heads != 0) return Status::InvalidArgument(path + ": hidden_size is not a multiple of the heads");
  if (doc.HasMember("layer_norm_eps") && doc["layer_norm_eps"].IsNumber()) {
    c.layer_norm_eps = doc["layer_norm_eps"].GetFloat();
  }
  return c;
}

// sentence-transformers' pipeline around the transformer: mean pooling,
// then (modules.json) Normalize; max_seq_length from
// sentence_bert_config.json.
Status CheckPipeline(const std::string& dir, size_t* max_tokens) {
  ASSIGN_OR_RETURN(rapidjson::Document pooling, ReadJson(dir + "/1_Pooling/config.json"));
  for (const char* mode : {"pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens"}) {
    if (pooling.HasMember(mode) && pooling[mode].IsBool() && pooling[mode].GetBool()) {
      return Status::InvalidArgument(dir + "/1_Pooling/config.json: only mean pooling is supported, not " + mode);
    }
  }
  if (!pooling.HasMember("pooling_mode_mean_tokens") || !pooling["pooling_mode_mean_tokens"].IsBool() ||
      !pooling["pooling_mode_mean_tokens"].GetBool()) {
    return Status::InvalidArgument(dir + "/1_Pooling/config.json: pooling_mode_mean_tokens is not true");
  }
  ASSIGN_OR_RETURN(std::string modules, io::PosixFileSystem()->ReadFile(dir + "/modules.json"));
  if (modules.find("sentence_transformers.models.Normalize") == std::string::npos) {
    return Status::InvalidArgument(dir + "/modules.json: the model does not end in Normalize");
  }
  ASSIGN_OR_RETURN(rapidjson::Document sbert, ReadJson(dir + "/sentence_bert_config.json"));
  if (!sbert.HasMember("max_seq_length") || !sbert["max_seq_length"].IsUint() || sbert["max_seq_length"].GetUint() < 3) {
    return Status::InvalidArgument(dir + "/sentence_bert_config.json: missing or bad max_seq_length");
  }
  *max_tokens = sbert["max_seq_length"].GetUint();
  return Status::OK();
}

}  // namespace

struct SentenceEncoder::Layer {
  std::vector<float> qkv_weight;  // query, key and value weights stacked: [3 hidden, hidden]
  std::vector<float> qkv_bias;
  DenseWeights qkv, attention_out, intermediate, output;
  const float* attention_out_weight = nullptr;
  const float* attention_out_bias = nullptr;
  const float* attention_norm_weight = nullptr;
  const float* attention_norm_bias = nullptr;
  const float* intermediate_weight = nullptr;
  const float* intermediate_bias = nullptr;
  const float* output_weight = nullptr;
  const float* output_bias = nullptr;
  const float* output_norm_weight = nullptr;
  const float* output_norm_bias = nullptr;
};

SentenceEncoder::SentenceEncoder(BertConfig config, WordPiece tokenizer, SafeTensors weights, size_t max_tokens)
    : config_(config), tokenizer_(std::move(tokenizer)), weights_(std::move(weights)), max_tokens_(max_tokens) {}

SentenceEncoder::~SentenceEncoder() = default;

void SentenceEncoder::SetMatrixThreads(int threads) {
#ifndef MYTSDB_ENCODER_EIGEN_GEMM
  openblas_set_num_threads(std::max(1, threads));
  // OpenBLAS's pthread build starts its workers when the library loads
  // (and again when the number of threads is set), before main() can block
  // signals for the process's threads: such a thread takes a SIGTERM meant
  // for the server's sigwait, and the signal's default action kills the
  // process. With one thread it needs none: they are stopped.
  if (threads <= 1) blas_thread_shutdown_();
#else
  (void)threads;
#endif
}

Result<std::unique_ptr<SentenceEncoder>> SentenceEncoder::Load(const std::string& model_dir) {
  ASSIGN_OR_RETURN(BertConfig config, ReadConfig(model_dir + "/config.json"));
  size_t max_tokens = 0;
  if (Status s = CheckPipeline(model_dir, &max_tokens); !s.ok()) return s;
  max_tokens = std::min(max_tokens, static_cast<size_t>(config.max_positions));
  ASSIGN_OR_RETURN(std::string tokenizer_json, io::PosixFileSystem()->ReadFile(model_dir + "/tokenizer.json"));
  auto tokenizer = WordPiece::FromJson(tokenizer_json);
  if (!tokenizer.ok()) {
    return Status::InvalidArgument(model_dir + "/tokenizer.json: " + tokenizer.status().message());
  }
  if (tokenizer->vocab_size() > static_cast<size_t>(config.vocab)) {
    return Status::InvalidArgument(model_dir + "/tokenizer.json: more tokens than config.json's vocab_size");
  }
  ASSIGN_OR_RETURN(SafeTensors weights, SafeTensors::Open(model_dir + "/model.safetensors"));
  std::unique_ptr<SentenceEncoder> encoder(
      new SentenceEncoder(config, tokenizer.MoveValue(), std::move(weights), max_tokens));
  if (Status s = encoder->BindWeights(); !s.ok()) return s;
  return encoder;
}

Status SentenceEncoder::BindWeights() {
  const int64_t h = config_.hidden, inter = config_.intermediate;
  auto bind = [&](const std::string& name, std::vector<int64_t> shape, const float** out) -> Status {
    ASSIGN_OR_RETURN(SafeTensors::Tensor t, weights_.Float32(name, shape));
    *out = t.data;
    return Status::OK();
  };
#define MYTSDB_BIND(name, shape, out)                 \
  if (Status s = bind(name, shape, out); !s.ok()) { \
    return s;                                         \
  }
  MYTSDB_BIND("embeddings.word_embeddings.weight", (std::vector<int64_t>{config_.vocab, h}), &word_embeddings_);
  MYTSDB_BIND("embeddings.position_embeddings.weight", (std::vector<int64_t>{config_.max_positions, h}),
              &position_embeddings_);
  MYTSDB_BIND("embeddings.token_type_embeddings.weight", (std::vector<int64_t>{config_.type_vocab, h}),
              &token_type_embeddings_);
  MYTSDB_BIND("embeddings.LayerNorm.weight", {h}, &embedding_norm_weight_);
  MYTSDB_BIND("embeddings.LayerNorm.bias", {h}, &embedding_norm_bias_);
  layers_.resize(config_.layers);
  for (int i = 0; i < config_.layers; ++i) {
    const std::string p = "encoder.layer." + std::to_string(i) + ".";
    Layer& layer = layers_[i];
    layer.qkv_weight.reserve(3 * h * h);
    layer.qkv_bias.reserve(3 * h);
    for (const char* part : {"query", "key", "value"}) {
      const float *w = nullptr, *b = nullptr;
      MYTSDB_BIND(p + "attention.self." + part + ".weight", (std::vector<int64_t>{h, h}), &w);
      MYTSDB_BIND(p + "attention.self." + part + ".bias", {h}, &b);
      layer.qkv_weight.insert(layer.qkv_weight.end(), w, w + h * h);
      layer.qkv_bias.insert(layer.qkv_bias.end(), b, b + h);
    }
    MYTSDB_BIND(p + "attention.output.dense.weight", (std::vector<int64_t>{h, h}), &layer.attention_out_weight);
    MYTSDB_BIND(p + "attention.output.dense.bias", {h}, &layer.attention_out_bias);
    MYTSDB_BIND(p + "attention.output.LayerNorm.weight", {h}, &layer.attention_norm_weight);
    MYTSDB_BIND(p + "attention.output.LayerNorm.bias", {h}, &layer.attention_norm_bias);
    MYTSDB_BIND(p + "intermediate.dense.weight", (std::vector<int64_t>{inter, h}), &layer.intermediate_weight);
    MYTSDB_BIND(p + "intermediate.dense.bias", {inter}, &layer.intermediate_bias);
    MYTSDB_BIND(p + "output.dense.weight", (std::vector<int64_t>{h, inter}), &layer.output_weight);
    layer.qkv.Set(layer.qkv_weight.data(), layer.qkv_weight.size());
    layer.attention_out.Set(layer.attention_out_weight, static_cast<size_t>(h * h));
    layer.intermediate.Set(layer.intermediate_weight, static_cast<size_t>(inter * h));
    layer.output.Set(layer.output_weight, static_cast<size_t>(h * inter));
    MYTSDB_BIND(p + "output.dense.bias", {h}, &layer.output_bias);
    MYTSDB_BIND(p + "output.LayerNorm.weight", {h}, &layer.output_norm_weight);
    MYTSDB_BIND(p + "output.LayerNorm.bias", {h}, &layer.output_norm_bias);
  }
#undef MYTSDB_BIND
  return Status::OK();
}

std::vector<float> SentenceEncoder::Embed(std::string_view text) const {
  const std::vector<int32_t> ids[] = {tokenizer_.Encode(text, max_tokens_)};
  return Forward(ids, /*two_cores=*/true);
}

std::vector<float> SentenceEncoder::EmbedBatch(std::span<const std::string_view> texts) const {
  std::vector<std::vector<int32_t>> ids;
  ids.reserve(texts.size());
  for (std::string_view text : texts) ids.push_back(tokenizer_.Encode(text, max_tokens_));
  return EmbedIds(ids);
}

std::vector<float> SentenceEncoder::EmbedIds(std::span<const std::vector<int32_t>> ids) const {
  return Forward(ids, /*two_cores=*/false);
}

std::vector<float> SentenceEncoder::Forward(std::span<const std::vector<int32_t>> ids, bool two_cores) const {
  const int h = config_.hidden, heads = config_.heads, head_dim = h / heads;
  const float eps = config_.layer_norm_eps;
  // The texts' tokens are packed one after another, with no padding: the
  // dense layers see them all as one matrix, attention sees each text alone.
  std::vector<int> begin(ids.size() + 1, 0);
  for (size_t s = 0; s < ids.size(); ++s) {
    const size_t n = std::min({ids[s].size(), max_tokens_, static_cast<size_t>(config_.max_positions)});
    begin[s + 1] = begin[s] + static_cast<int>(n);
  }
  const int tokens = begin.back();
  RowMatrix x(tokens, h);
  for (size_t s = 0; s < ids.size(); ++s) {
    for (int t = begin[s]; t < begin[s + 1]; ++t) {
      int32_t id = ids[s][t - begin[s]];
      if (id < 0 || id >= config_.vocab) id = tokenizer_.unk_id();
      x.row(t) = ConstVectorMap(word_embeddings_ + static_cast<size_t>(id) * h, h) +
                 ConstVectorMap(position_embeddings_ + static_cast<size_t>(t - begin[s]) * h, h) +
                 ConstVectorMap(token_type_embeddings_, h);
    }
  }
  LayerNorm(&x, embedding_norm_weight_, embedding_norm_bias_, eps);

  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  RowMatrix qkv, context(tokens, h), projected, intermediate, scores;
  for (const Layer& layer : layers_) {
    Dense(x, layer.qkv, layer.qkv_bias.data(), 3 * h, &qkv, two_cores);
    for (size_t s = 0; s < ids.size(); ++s) {
      const int row = begin[s], n = begin[s + 1] - begin[s];
      for (int head = 0; head < heads; ++head) {
        const int col = head * head_dim;
        auto q = qkv.block(row, col, n, head_dim);
        auto k = qkv.block(row, h + col, n, head_dim);
        auto v = qkv.block(row, 2 * h + col, n, head_dim);
        scores.noalias() = (q * k.transpose()) * scale;
        SoftmaxRows(&scores);
        context.block(row, col, n, head_dim).noalias() = scores * v;
      }
    }
    Dense(context, layer.attention_out, layer.attention_out_bias, h, &projected, two_cores);
    x += projected;
    LayerNorm(&x, layer.attention_norm_weight, layer.attention_norm_bias, eps);
    Dense(x, layer.intermediate, layer.intermediate_bias, config_.intermediate, &intermediate, two_cores);
    Gelu(&intermediate);
    Dense(intermediate, layer.output, layer.output_bias, h, &projected, two_cores);
    x += projected;
    LayerNorm(&x, layer.output_norm_weight, layer.output_norm_bias, eps);
  }

  std::vector<float> out(ids.size() * static_cast<size_t>(h), 0.0f);
  for (size_t s = 0; s < ids.size(); ++s) {
    const int n = begin[s + 1] - begin[s];
    Eigen::Map<Eigen::RowVectorXf> pooled(out.data() + s * h, h);
    if (n == 0) continue;
    pooled = x.middleRows(begin[s], n).colwise().mean();
    // sentence-transformers' Normalize: F.normalize, norm clamped at 1e-12.
    pooled /= std::max(pooled.norm(), 1e-12f);
  }
  return out;
}

}  // namespace mytsdb::search
