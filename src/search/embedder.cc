#include "search/embedder.h"

#include "search/encoder.h"

namespace mytsdb::search {

namespace {

class LocalEmbedder final : public Embedder {
 public:
  LocalEmbedder(std::unique_ptr<SentenceEncoder> encoder, std::string model)
      : encoder_(std::move(encoder)), model_(std::move(model)) {}

  const std::string& model() const override { return model_; }
  size_t dimension() const override { return encoder_->dimension(); }
  Result<std::vector<float>> EmbedBatch(std::span<const std::string_view> texts) const override {
    return encoder_->EmbedBatch(texts);
  }
  Result<std::vector<float>> Embed(std::string_view text) const override { return encoder_->Embed(text); }

 private:
  std::unique_ptr<SentenceEncoder> encoder_;
  std::string model_;
};

}  // namespace

Result<std::unique_ptr<Embedder>> LoadLocalEmbedder(const std::string& model_dir) {
  ASSIGN_OR_RETURN(std::unique_ptr<SentenceEncoder> encoder, SentenceEncoder::Load(model_dir));
  std::string dir = model_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  std::string model = dir.substr(dir.find_last_of('/') + 1);
  return std::unique_ptr<Embedder>(new LocalEmbedder(std::move(encoder), std::move(model)));
}

}  // namespace mytsdb::search
