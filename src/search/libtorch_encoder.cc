#include "search/libtorch_encoder.h"

#include <torch/torch.h>

#include <algorithm>

#include "io/file_system.h"
#include "search/safetensors.h"
#include "search/wordpiece.h"

namespace mytsdb::search {

namespace {

constexpr int64_t kHidden = 384, kHeads = 12, kHeadDim = 32, kIntermediate = 1536, kLayers = 6;
constexpr double kEps = 1e-12;

}  // namespace

struct LibtorchEncoder::State {
  WordPiece tokenizer;
  SafeTensors weights;
  std::map<std::string, torch::Tensor> tensors;  // views of the mapped file

  explicit State(SafeTensors w) : weights(std::move(w)) {}

  Status Bind(const std::string& name, std::vector<int64_t> shape) {
    ASSIGN_OR_RETURN(SafeTensors::Tensor t, weights.Float32(name, shape));
    tensors[name] = torch::from_blob(const_cast<float*>(t.data), shape, torch::kFloat32);
    return Status::OK();
  }
  const torch::Tensor& operator[](const std::string& name) const { return tensors.at(name); }
};

LibtorchEncoder::LibtorchEncoder(std::unique_ptr<State> state) : state_(std::move(state)) {}
LibtorchEncoder::~LibtorchEncoder() = default;

Result<std::unique_ptr<LibtorchEncoder>> LibtorchEncoder::Load(const std::string& model_dir) {
  ASSIGN_OR_RETURN(std::string tokenizer_json, io::PosixFileSystem()->ReadFile(model_dir + "/tokenizer.json"));
  ASSIGN_OR_RETURN(WordPiece tokenizer, WordPiece::FromJson(tokenizer_json));
  ASSIGN_OR_RETURN(SafeTensors weights, SafeTensors::Open(model_dir + "/model.safetensors"));
  auto state = std::make_unique<State>(std::move(weights));
  state->tokenizer = std::move(tokenizer);
  std::vector<std::pair<std::string, std::vector<int64_t>>> wanted = {
      {"embeddings.word_embeddings.weight", {30522, kHidden}},
      {"embeddings.position_embeddings.weight", {512, kHidden}},
      {"embeddings.token_type_embeddings.weight", {2, kHidden}},
      {"embeddings.LayerNorm.weight", {kHidden}},
      {"embeddings.LayerNorm.bias", {kHidden}}};
  for (int i = 0; i < kLayers; ++i) {
    const std::string p = "encoder.layer." + std::to_string(i) + ".";
    for (const char* part : {"attention.self.query", "attention.self.key", "attention.self.value",
                             "attention.output.dense"}) {
      wanted.push_back({p + part + ".weight", {kHidden, kHidden}});
      wanted.push_back({p + part + ".bias", {kHidden}});
    }
    wanted.push_back({p + "intermediate.dense.weight", {kIntermediate, kHidden}});
    wanted.push_back({p + "intermediate.dense.bias", {kIntermediate}});
    wanted.push_back({p + "output.dense.weight", {kHidden, kIntermediate}});
    wanted.push_back({p + "output.dense.bias", {kHidden}});
    for (const char* norm : {"attention.output.LayerNorm", "output.LayerNorm"}) {
      wanted.push_back({p + norm + ".weight", {kHidden}});
      wanted.push_back({p + norm + ".bias", {kHidden}});
    }
  }
  for (auto& [name, shape] : wanted) {
    if (Status s = state->Bind(name, shape); !s.ok()) return s;
  }
  return std::unique_ptr<LibtorchEncoder>(new LibtorchEncoder(std::move(state)));
}

std::vector<float> LibtorchEncoder::Embed(std::string_view text) const {
  return EmbedBatch(std::vector<std::string_view>{text});
}

// Padded batch with an attention mask, as transformers runs BERT.
std::vector<float> LibtorchEncoder::EmbedBatch(const std::vector<std::string_view>& texts) const {
  torch::NoGradGuard no_grad;
  const State& w = *state_;
  std::vector<std::vector<int32_t>> ids;
  int64_t longest = 0;
  for (std::string_view t : texts) {
    ids.push_back(w.tokenizer.Encode(t, 256));
    longest = std::max<int64_t>(longest, static_cast<int64_t>(ids.back().size()));
  }
  const int64_t batch = static_cast<int64_t>(texts.size());
  torch::Tensor input = torch::zeros({batch, longest}, torch::kLong);
  torch::Tensor mask = torch::zeros({batch, longest}, torch::kFloat32);
  for (int64_t b = 0; b < batch; ++b) {
    for (size_t i = 0; i < ids[b].size(); ++i) {
      input[b][static_cast<int64_t>(i)] = ids[b][i];
      mask[b][static_cast<int64_t>(i)] = 1.0f;
    }
  }
  namespace F = torch::nn::functional;
  auto norm = [&](const torch::Tensor& x, const std::string& name) {
    return torch::layer_norm(x, {kHidden}, w[name + ".weight"], w[name + ".bias"], kEps);
  };
  auto linear = [&](const torch::Tensor& x, const std::string& name) {
    return torch::linear(x, w[name + ".weight"], w[name + ".bias"]);
  };
  torch::Tensor positions = torch::arange(longest, torch::kLong);
  torch::Tensor x = torch::embedding(w["embeddings.word_embeddings.weight"], input) +
                    torch::embedding(w["embeddings.position_embeddings.weight"], positions).unsqueeze(0) +
                    w["embeddings.token_type_embeddings.weight"][0];
  x = norm(x, "embeddings.LayerNorm");
  torch::Tensor additive_mask = ((1.0f - mask) * -1e30f).view({batch, 1, 1, longest});
  auto heads = [&](const torch::Tensor& t) { return t.view({batch, longest, kHeads, kHeadDim}).transpose(1, 2); };
  for (int i = 0; i < kLayers; ++i) {
    const std::string p = "encoder.layer." + std::to_string(i) + ".";
    torch::Tensor q = heads(linear(x, p + "attention.self.query"));
    torch::Tensor k = heads(linear(x, p + "attention.self.key"));
    torch::Tensor v = heads(linear(x, p + "attention.self.value"));
    torch::Tensor scores = torch::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(kHeadDim));
    torch::Tensor context = torch::matmul(torch::softmax(scores + additive_mask, -1), v);
    context = context.transpose(1, 2).reshape({batch, longest, kHidden});
    x = norm(x + linear(context, p + "attention.output.dense"), p + "attention.output.LayerNorm");
    torch::Tensor inner = torch::gelu(linear(x, p + "intermediate.dense"));
    x = norm(x + linear(inner, p + "output.dense"), p + "output.LayerNorm");
  }
  torch::Tensor summed = (x * mask.unsqueeze(-1)).sum(1);
  torch::Tensor pooled = summed / mask.sum(1, true).clamp_min(1e-9);
  pooled = F::normalize(pooled, F::NormalizeFuncOptions().p(2).dim(1)).contiguous();
  return std::vector<float>(pooled.data_ptr<float>(), pooled.data_ptr<float>() + pooled.numel());
}

}  // namespace mytsdb::search
