// An OpenAI-compatible embeddings endpoint as the search's model, against
// a fake endpoint on 127.0.0.1: the request's shape, vectors put back in
// input order and normalized, retries on 5xx but not on 4xx, the
// endpoint's error named, and a search service that ranks lexically (and
// says so) while the endpoint fails.
#include "search/remote_embedder.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <rapidjson/document.h>

#include <cmath>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

#include "search/evaluation.h"
#include "search/search_service.h"
#include "search/vocabulary.h"

namespace mytsdb::search {
namespace {

constexpr size_t kDim = 32;

// A bag of stemmed words hashed into kDim buckets, scaled so that the
// client has to normalize it.
std::vector<double> FakeVector(std::string_view text) {
  std::vector<double> v(kDim, 0.0);
  for (const std::string& term : DocumentTerms(text)) v[std::hash<std::string>{}(term) % kDim] += 3.0;
  v[kDim - 1] += 0.5;  // never all zero
  return v;
}

class FakeEndpoint {
 public:
  FakeEndpoint() {
    server_.Post("/v1/embeddings", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      ++requests_;
      last_auth_ = req.get_header_value("Authorization");
      if (!statuses_.empty()) {
        const int status = statuses_.front();
        statuses_.pop_front();
        if (status != 200) {
          res.status = status;
          res.set_content(R"({"error":{"message":"fake trouble )" + std::to_string(status) + R"("}})",
                          "application/json");
          return;
        }
      }
      rapidjson::Document doc;
      doc.Parse(req.body.data(), req.body.size());
      if (doc.HasParseError() || !doc.HasMember("input") || !doc["input"].IsArray() || !doc.HasMember("model")) {
        res.status = 400;
        return;
      }
      last_model_ = doc["model"].GetString();
      const auto& input = doc["input"].GetArray();
      // Backwards, with their indexes: the client must put them in order.
      std::string body = R"({"object":"list","data":[)";
      for (rapidjson::SizeType i = input.Size(); i-- > 0;) {
        const std::vector<double> v = FakeVector(input[i].GetString());
        body += R"({"object":"embedding","index":)" + std::to_string(i) + R"(,"embedding":[)";
        for (size_t d = 0; d < v.size() - (short_vectors_ ? 1 : 0); ++d) body += (d ? "," : "") + std::to_string(v[d]);
        body += "]}";
        if (i > 0) body += ",";
      }
      body += R"(],"model":"fake"})";
      res.set_content(body, "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeEndpoint() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1/embeddings"; }
  void Fail(std::initializer_list<int> statuses) {
    std::lock_guard lock(mu_);
    statuses_.assign(statuses);
  }
  void ShortVectors(bool on) {
    std::lock_guard lock(mu_);
    short_vectors_ = on;
  }
  int requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::string last_auth() {
    std::lock_guard lock(mu_);
    return last_auth_;
  }
  std::string last_model() {
    std::lock_guard lock(mu_);
    return last_model_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::deque<int> statuses_;
  bool short_vectors_ = false;
  int requests_ = 0;
  std::string last_auth_, last_model_;
};

RemoteEmbedderOptions Options(const FakeEndpoint& endpoint) {
  RemoteEmbedderOptions o;
  o.url = endpoint.url();
  o.model = "fake-embedder";
  o.api_key = "sekret";
  o.timeout = std::chrono::milliseconds(3000);
  o.max_batch = 2;
  return o;
}

TEST(RemoteEmbedderTest, EmbedsInInputOrderNormalized) {
  FakeEndpoint endpoint;
  auto embedder = OpenRemoteEmbedder(Options(endpoint));
  ASSERT_TRUE(embedder.ok()) << embedder.status().ToString();
  EXPECT_EQ((*embedder)->dimension(), kDim);
  EXPECT_EQ((*embedder)->model(), "fake-embedder");
  EXPECT_EQ(endpoint.last_model(), "fake-embedder");
  EXPECT_EQ(endpoint.last_auth(), "Bearer sekret");

  const std::vector<std::string_view> texts = {"disk reads", "memory available", "http requests", "cpu seconds",
                                               "network errors"};
  auto vectors = (*embedder)->EmbedBatch(texts);  // three requests of at most 2
  ASSERT_TRUE(vectors.ok()) << vectors.status().ToString();
  ASSERT_EQ(vectors->size(), texts.size() * kDim);
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::vector<double> expected = FakeVector(texts[i]);
    double norm = 0;
    for (double x : expected) norm += x * x;
    for (size_t d = 0; d < kDim; ++d) {
      EXPECT_NEAR((*vectors)[i * kDim + d], expected[d] / std::sqrt(norm), 1e-5) << texts[i] << " " << d;
    }
  }
  auto one = (*embedder)->Embed("memory available");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, std::vector<float>(vectors->begin() + kDim, vectors->begin() + 2 * kDim));
}

TEST(RemoteEmbedderTest, RetriesServerErrorsButNotRequestErrors) {
  FakeEndpoint endpoint;
  auto embedder = OpenRemoteEmbedder(Options(endpoint));
  ASSERT_TRUE(embedder.ok());
  const std::vector<std::string_view> texts = {"a b"};

  endpoint.Fail({503, 429});  // then 200
  const int before = endpoint.requests();
  auto retried = (*embedder)->EmbedBatch(texts);
  EXPECT_TRUE(retried.ok()) << retried.status().ToString();
  EXPECT_EQ(endpoint.requests() - before, 3);

  endpoint.Fail({400});
  auto refused = (*embedder)->EmbedBatch(texts);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("answered 400: fake trouble 400"), std::string::npos)
      << refused.status().ToString();

  endpoint.Fail({500});  // a question is asked once
  auto question = (*embedder)->Embed("a b");
  ASSERT_FALSE(question.ok());
  EXPECT_EQ(question.status().code(), StatusCode::kUnavailable);

  endpoint.ShortVectors(true);  // a reply of another dimension is refused
  auto shorter = (*embedder)->EmbedBatch(texts);
  ASSERT_FALSE(shorter.ok());
  EXPECT_NE(shorter.status().message().find("numbers"), std::string::npos) << shorter.status().ToString();
}

TEST(RemoteEmbedderTest, RepliesThatAreNotEmbeddingsAreRefused) {
  size_t got = 0;
  auto ok = ParseEmbeddingsReply(R"({"data":[{"index":1,"embedding":[0,2]},{"index":0,"embedding":[3,4]}]})", 2, 0, &got);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(got, 2u);
  EXPECT_EQ(*ok, (std::vector<float>{0.6f, 0.8f, 0.0f, 1.0f}));
  for (const char* bad : {
           "not json", R"({"error":{"message":"no"}})", R"({"data":{}})",
           R"({"data":[{"index":0,"embedding":[1,2]}]})",                                         // one for two texts
           R"({"data":[{"index":0,"embedding":[1,2]},{"index":0,"embedding":[1,2]}]})",            // index twice
           R"({"data":[{"index":0,"embedding":[1,2]},{"index":2,"embedding":[1,2]}]})",            // index past the end
           R"({"data":[{"index":0,"embedding":[1,2]},{"index":1,"embedding":[1,2,3]}]})",          // two dimensions
           R"({"data":[{"index":0,"embedding":[0,0]},{"index":1,"embedding":[1,2]}]})",            // zero
           R"({"data":[{"index":0,"embedding":[1,"2"]},{"index":1,"embedding":[1,2]}]})",          // a string
           R"({"data":[{"index":0,"embedding":[1e308,1e308]},{"index":1,"embedding":[1,2]}]})",    // not finite
           R"({"data":[{"index":0,"embedding":[]},{"index":1,"embedding":[]}]})",                  // empty
       }) {
    EXPECT_FALSE(ParseEmbeddingsReply(bad, 2, 0, &got).ok()) << bad;
  }
  EXPECT_FALSE(ParseEmbeddingsReply(R"({"data":[{"embedding":[1,2,3]}]})", 1, 2, &got).ok());  // not the known size
}

TEST(RemoteEmbedderTest, OpeningNamesWhatIsWrong) {
  RemoteEmbedderOptions o;
  o.model = "m";
  o.url = "ftp://127.0.0.1/x";
  EXPECT_FALSE(OpenRemoteEmbedder(o).ok());
  o.url = "http://127.0.0.1:1/v1/embeddings";  // nothing listens on port 1
  o.timeout = std::chrono::milliseconds(1000);
  auto closed = OpenRemoteEmbedder(o);
  ASSERT_FALSE(closed.ok());
  EXPECT_NE(closed.status().message().find("did not answer"), std::string::npos) << closed.status().ToString();
  o.model.clear();
  EXPECT_FALSE(OpenRemoteEmbedder(o).ok());
}

TEST(RemoteEmbedderTest, SearchRanksLexicallyWhileTheEndpointFails) {
  FakeEndpoint endpoint;
  Catalog catalog;
  for (const auto& [name, help] : std::vector<std::pair<std::string, std::string>>{
           {"node_memory_MemAvailable_bytes", "Memory available to start new applications."},
           {"node_disk_reads_completed_total", "Reads completed by the disk."},
           {"http_requests_total", "HTTP requests served."}}) {
    MetricEntry e;
    e.name = name;
    e.type = "gauge";
    e.help = help;
    e.metric_names = {name};
    catalog.entries.push_back(e);
  }
  const auto dir = std::filesystem::path(testing::TempDir()) / "remote_embedder_search";
  std::filesystem::remove_all(dir);
  SearchServiceOptions options;
  options.embeddings = Options(endpoint);
  options.table_dir = dir.string();
  options.refresh_interval = std::chrono::milliseconds(0);
  auto service = SearchService::Open(options, FixedCatalogSource(catalog));
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  ASSERT_TRUE((*service)->Refresh().ok());
  EXPECT_EQ((*service)->model_name(), "fake-embedder");
  EXPECT_EQ((*service)->dimension(), kDim);

  auto semantic = (*service)->Search({.question = "memory available", .limit = 1, .mode = RankMode::kSemantic});
  ASSERT_TRUE(semantic.ok());
  ASSERT_EQ(semantic->size(), 1u);
  EXPECT_EQ((*semantic)[0].metric.name, "node_memory_MemAvailable_bytes");
  EXPECT_GT((*semantic)[0].rank.semantic, 0.5);

  endpoint.Fail({500, 500, 500, 500});
  std::vector<std::string> warnings;
  auto hybrid = (*service)->Search({.question = "disk reads", .limit = 1}, &warnings);
  ASSERT_TRUE(hybrid.ok());
  ASSERT_EQ(hybrid->size(), 1u);
  EXPECT_EQ((*hybrid)[0].metric.name, "node_disk_reads_completed_total");
  EXPECT_EQ((*hybrid)[0].rank.semantic, 0.0);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("lexical only"), std::string::npos) << warnings[0];
  auto failed = (*service)->Search({.question = "http", .limit = 1, .mode = RankMode::kSemantic});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mytsdb::search
