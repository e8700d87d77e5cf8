// Semantic search as the server runs it (issue 15; docs/SEARCH.md): keeps
// the catalog, the vectors' Delta table and the ranker current, and
// answers questions.
//
// At start the ranker is filled from the Delta table (no embedding). A
// background thread then refreshes: it rebuilds the catalog when the
// stored series changed (new series, or series gone by retention or
// deletion), embeds the families whose text is new or changed, in
// batches, adding each batch to the ranker as it is done (search works
// meanwhile over what is embedded), writes them to the table every
// kCommitEvery rows and at the end, and drops families that left the
// store. Progress is logged on long runs. The next refresh waits at least
// ten times as long as the catalog took to build, so that rebuilding it
// over many series stays under a tenth of a core.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "model/matcher.h"
#include "search/catalog.h"
#include "search/embedder.h"
#include "search/remote_embedder.h"
#include "search/ranker.h"
#include "search/vector_table.h"

namespace mytsdb::storage {
class Storage;
}

namespace mytsdb::search {

// Where the catalog and filters come from: the storage in the server, a
// file of exported catalogs in the evaluation.
struct CatalogSource {
  // The current catalog.
  std::function<Catalog()> build;
  // A number that changes whenever the catalog may have (new or removed
  // series); the refresh skips rebuilding while it stays the same.
  std::function<uint64_t()> generation;
  // The metric names of the series matching `matchers`.
  std::function<std::set<std::string>(const model::Matchers& matchers)> select_names;
};

CatalogSource StorageCatalogSource(const storage::Storage* storage, CatalogOptions options = {});

struct SearchServiceOptions {
  std::string model_dir;  // the sentence-transformers directory (MYTSDB_MODEL_DIR by default in the server)
  // An OpenAI-compatible endpoint instead of the model (when its url is set).
  RemoteEmbedderOptions embeddings;
  std::string table_dir;  // the vectors' Delta table, DATA/search/vectors
  // Between two refreshes; 0: none in the background (tests call Refresh).
  std::chrono::milliseconds refresh_interval{15000};
  size_t embed_batch = 16;
  RankerOptions ranker;
  size_t question_cache = 1024;  // question embeddings kept, least recently used dropped
};

struct SearchRequest {
  std::string question;
  size_t limit = 10;
  std::string type;  // "" or counter, gauge, histogram, summary, ...
  // Series selectors (match[]): a family is kept if any of its metric
  // names has a series matching one of them.
  std::vector<model::Matchers> selectors;
  RankMode mode = RankMode::kHybrid;
};

struct SearchHit {
  MetricEntry metric;
  RankedMetric rank;
  std::string query;  // SuggestedQuery
};

struct SearchStats {
  size_t families = 0;  // in the catalog
  size_t indexed = 0;   // embedded and searchable
  uint64_t refreshes = 0;
  uint64_t embedded_total = 0;
  double embed_seconds_total = 0;
  double last_refresh_seconds = 0;
  int64_t table_version = -1;
};

class SearchService {
 public:
  static Result<std::unique_ptr<SearchService>> Open(const SearchServiceOptions& options, CatalogSource source);
  ~SearchService();

  // Brings catalog, table and ranker up to date now.
  Status Refresh();
  // When the question cannot be embedded (an embeddings endpoint that
  // fails), a hybrid search ranks lexically and says so in *warnings; a
  // semantic one is an error.
  Result<std::vector<SearchHit>> Search(const SearchRequest& request, std::vector<std::string>* warnings = nullptr) const;
  SearchStats stats() const;
  void Stop();
  // The embedding of a question (as searches compute it, cached), so
  // that other engines can rank the vectors' table the same way.
  Result<std::vector<float>> EmbedQuestion(const std::string& question) const;
  const std::string& model_name() const { return embedder_->model(); }
  size_t dimension() const { return embedder_->dimension(); }

 private:
  SearchService(SearchServiceOptions options, CatalogSource source)
      : options_(std::move(options)), source_(std::move(source)) {}
  void Loop();

  static constexpr size_t kCommitEvery = 2048;

  const SearchServiceOptions options_;
  const CatalogSource source_;
  std::unique_ptr<Embedder> embedder_;
  std::unique_ptr<VectorTable> table_;  // refresh thread only (and Open)
  std::unique_ptr<Ranker> ranker_;

  mutable std::shared_mutex entries_mu_;
  std::map<std::string, MetricEntry, std::less<>> entries_;  // the catalog, by family

  std::mutex refresh_mu_;  // one refresh at a time
  std::optional<uint64_t> refreshed_generation_;

  mutable std::mutex cache_mu_;
  mutable std::list<std::pair<std::string, std::vector<float>>> cache_;  // most recent first
  mutable std::unordered_map<std::string, std::list<std::pair<std::string, std::vector<float>>>::iterator> cache_index_;

  std::atomic<uint64_t> refreshes_{0}, embedded_total_{0};
  std::atomic<double> embed_seconds_total_{0}, last_refresh_seconds_{0}, last_catalog_seconds_{0};
  std::atomic<int64_t> table_version_{-1};

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mytsdb::search
