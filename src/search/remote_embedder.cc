#include "search/remote_embedder.h"

#include <httplib.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <limits>
#include <thread>

namespace mytsdb::search {

namespace {

// "http://host:port/v1/embeddings" -> "http://host:port", "/v1/embeddings".
Result<std::pair<std::string, std::string>> SplitUrl(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos || (url.compare(0, scheme, "http") != 0 && url.compare(0, scheme, "https") != 0)) {
    return Status::InvalidArgument("embeddings URL " + url + " is not http:// or https://");
  }
  const size_t path = url.find('/', scheme + 3);
  if (path == scheme + 3) return Status::InvalidArgument("embeddings URL " + url + " has no host");
  if (path == std::string::npos) return std::make_pair(url, std::string("/"));
  return std::make_pair(url.substr(0, path), url.substr(path));
}

std::string RequestBody(const std::string& model, std::span<const std::string_view> texts) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("model");
  w.String(model.data(), static_cast<rapidjson::SizeType>(model.size()));
  w.Key("input");
  w.StartArray();
  for (std::string_view t : texts) w.String(t.data(), static_cast<rapidjson::SizeType>(t.size()));
  w.EndArray();
  w.Key("encoding_format");
  w.String("float");
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string Describe(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection: return "could not connect";
    case httplib::Error::ConnectionTimeout: return "connecting timed out";
    case httplib::Error::Read: return "reading the reply failed or timed out";
    case httplib::Error::Write: return "sending the request failed or timed out";
    case httplib::Error::SSLConnection: return "TLS connection failed";
    case httplib::Error::SSLServerVerification: return "the server's TLS certificate was not verified";
    default: return httplib::to_string(error);
  }
}

// The endpoint's own words for an error ({"error": {"message": ...}} or
// {"error": "..."}), else the start of the body.
std::string ErrorMessage(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("error")) {
    const auto& e = doc["error"];
    if (e.IsString()) return e.GetString();
    if (e.IsObject() && e.HasMember("message") && e["message"].IsString()) return e["message"].GetString();
  }
  return body.substr(0, 200);
}

// More than any embedding model has (OpenAI's largest: 3,072).
constexpr size_t kMaxDimension = 16384;

}  // namespace

Result<std::vector<float>> ParseEmbeddingsReply(std::string_view body, size_t texts, size_t dimension,
                                                size_t* got_dimension) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("data") || !doc["data"].IsArray()) {
    return Status::InvalidArgument("the reply is not an embeddings list (no \"data\" array)");
  }
  const auto& data = doc["data"].GetArray();
  if (data.Size() != texts) {
    return Status::InvalidArgument("the reply has " + std::to_string(data.Size()) + " embeddings for " +
                                   std::to_string(texts) + " texts");
  }
  std::vector<float> out;
  std::vector<bool> seen(texts, false);
  for (rapidjson::SizeType i = 0; i < data.Size(); ++i) {
    const auto& item = data[i];
    if (!item.IsObject() || !item.HasMember("embedding") || !item["embedding"].IsArray()) {
      return Status::InvalidArgument("embedding " + std::to_string(i) + " of the reply is not an array of numbers");
    }
    const size_t index = item.HasMember("index") && item["index"].IsUint() ? item["index"].GetUint() : i;
    const auto& values = item["embedding"].GetArray();
    if (dimension == 0) dimension = values.Size();
    if (dimension > kMaxDimension) {
      return Status::InvalidArgument("embedding " + std::to_string(i) + " of the reply has " +
                                     std::to_string(dimension) + " numbers, more than " +
                                     std::to_string(kMaxDimension));
    }
    if (index >= texts || seen[index] || values.Size() != dimension || dimension == 0) {
      return Status::InvalidArgument("embedding " + std::to_string(i) + " of the reply has index " +
                                     std::to_string(index) + " and " + std::to_string(values.Size()) +
                                     " numbers, expected a new index below " + std::to_string(texts) + " and " +
                                     std::to_string(dimension) + " numbers");
    }
    seen[index] = true;
    if (out.empty()) out.assign(texts * dimension, 0.0f);
    double norm = 0;
    float* row = out.data() + index * dimension;
    for (rapidjson::SizeType d = 0; d < values.Size(); ++d) {
      const double x = values[d].IsNumber() ? values[d].GetDouble() : NAN;
      if (!(std::fabs(x) <= std::numeric_limits<float>::max())) {
        return Status::InvalidArgument("embedding " + std::to_string(i) + " holds a non-number or one out of range");
      }
      row[d] = static_cast<float>(x);
      norm += x * x;
    }
    if (!(norm > 0) || !std::isfinite(norm)) {
      return Status::InvalidArgument("embedding " + std::to_string(i) + " of the reply is zero or not finite");
    }
    const auto scale = static_cast<float>(1.0 / std::sqrt(norm));
    for (size_t d = 0; d < dimension; ++d) row[d] *= scale;
  }
  *got_dimension = dimension;
  return out;
}

namespace {

// The first request (the server may be starting, and its shutdown waits
// for it) and a question's (someone waits for the answer) wait less.
constexpr std::chrono::milliseconds kShortTimeout{5000};

class RemoteEmbedder final : public Embedder {
 public:
  RemoteEmbedder(RemoteEmbedderOptions options, std::string base, std::string path)
      : options_(std::move(options)), base_(std::move(base)), path_(std::move(path)) {}

  const std::string& model() const override { return options_.model; }
  size_t dimension() const override { return dimension_; }

  Result<std::vector<float>> EmbedBatch(std::span<const std::string_view> texts) const override {
    std::vector<float> out;
    for (size_t i = 0; i < texts.size(); i += options_.max_batch) {
      const auto part = texts.subspan(i, std::min(options_.max_batch, texts.size() - i));
      ASSIGN_OR_RETURN(std::vector<float> v, Request(part, options_.attempts, options_.timeout));
      out.insert(out.end(), v.begin(), v.end());
    }
    return out;
  }

  // A question is asked once: the user waits.
  Result<std::vector<float>> Embed(std::string_view text) const override {
    std::string_view one[] = {text};
    return Request(one, 1, std::min(options_.timeout, kShortTimeout));
  }

  Status Probe() {
    std::string_view probe[] = {"metric"};
    size_t got = 0;
    ASSIGN_OR_RETURN(std::string body, Post(probe, 1, std::min(options_.timeout, kShortTimeout)));
    auto parsed = ParseEmbeddingsReply(body, 1, 0, &got);
    if (!parsed.ok()) return parsed.status().WithContext("embeddings endpoint " + options_.url);
    dimension_ = got;
    return Status::OK();
  }

 private:
  Result<std::vector<float>> Request(std::span<const std::string_view> texts, int attempts,
                                     std::chrono::milliseconds timeout) const {
    ASSIGN_OR_RETURN(std::string body, Post(texts, attempts, timeout));
    size_t got = 0;
    auto parsed = ParseEmbeddingsReply(body, texts.size(), dimension_, &got);
    if (!parsed.ok()) return parsed.status().WithContext("embeddings endpoint " + options_.url);
    return parsed;
  }

  // The reply's body on a 200; tried again on no answer, 429 and 5xx.
  Result<std::string> Post(std::span<const std::string_view> texts, int attempts,
                           std::chrono::milliseconds timeout) const {
    const std::string body = RequestBody(options_.model, texts);
    httplib::Client client(base_);
    client.set_connection_timeout(timeout);
    client.set_read_timeout(timeout);
    client.set_write_timeout(timeout);
    httplib::Headers headers;
    if (!options_.api_key.empty()) headers.emplace("Authorization", "Bearer " + options_.api_key);
    Status last;
    for (int attempt = 0; attempt < std::max(attempts, 1); ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500) * (1 << (attempt - 1)));
      auto res = client.Post(path_, headers, body, "application/json");
      if (!res) {
        last = Status::Unavailable("embeddings endpoint " + options_.url + " did not answer: " + Describe(res.error()));
        continue;
      }
      if (res->status == 200) return std::move(res->body);
      last = Status::Unavailable("embeddings endpoint " + options_.url + " answered " + std::to_string(res->status) +
                                 ": " + ErrorMessage(res->body));
      if (res->status != 429 && res->status < 500) break;  // a request it will never take
    }
    return last;
  }

  const RemoteEmbedderOptions options_;
  const std::string base_, path_;
  size_t dimension_ = 0;
};

}  // namespace

Result<std::unique_ptr<Embedder>> OpenRemoteEmbedder(const RemoteEmbedderOptions& options) {
  if (options.model.empty()) return Status::InvalidArgument("an embeddings endpoint needs a model name");
  ASSIGN_OR_RETURN(auto parts, SplitUrl(options.url));
  auto embedder = std::make_unique<RemoteEmbedder>(options, parts.first, parts.second);
  RETURN_NOT_OK(embedder->Probe());
  return std::unique_ptr<Embedder>(std::move(embedder));
}

}  // namespace mytsdb::search
