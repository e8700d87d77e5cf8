#include "search/search_service.h"

#include <spdlog/spdlog.h>
#include <xxhash.h>

#include <algorithm>

#include "search/metric_text.h"
#include "storage/storage.h"

namespace mytsdb::search {

namespace {

// Whether the ranker's words for `a` still fit `b` (what IndexTerms reads).
bool SameWords(const MetricEntry& a, const MetricEntry& b) {
  if (a.name != b.name || a.type != b.type || a.help != b.help || a.unit != b.unit ||
      a.labels.size() != b.labels.size()) {
    return false;
  }
  for (size_t i = 0; i < a.labels.size(); ++i) {
    if (a.labels[i].name != b.labels[i].name || a.labels[i].top_values.size() != b.labels[i].top_values.size()) {
      return false;
    }
    for (size_t v = 0; v < a.labels[i].top_values.size(); ++v) {
      if (a.labels[i].top_values[v].first != b.labels[i].top_values[v].first) return false;
    }
  }
  return true;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void AddTo(std::atomic<double>& total, double x) {
  double old = total.load();
  while (!total.compare_exchange_weak(old, old + x)) {
  }
}

}  // namespace

CatalogSource StorageCatalogSource(const storage::Storage* storage, CatalogOptions options) {
  CatalogSource source;
  source.build = [storage, options] { return BuildCatalog(*storage, options); };
  source.generation = [storage] {
    const head::HeadStats head = storage->head_stats();
    const cold::ColdStats cold = storage->cold_stats();
    XXH64_state_t* state = XXH64_createState();
    XXH64_reset(state, 0);
    for (uint64_t v : {head.series_created_total, head.num_series, static_cast<uint64_t>(cold.version),
                       cold.catalog_series}) {
      XXH64_update(state, &v, sizeof v);
    }
    // HELP and TYPE may arrive after the series (remote write sends
    // metadata apart, every minute).
    for (const head::MetricMetadata& m : storage->Metadata()) {
      for (const std::string* s : {&m.metric_family_name, &m.help, &m.unit}) XXH64_update(state, s->data(), s->size() + 1);
      XXH64_update(state, &m.type, 1);
    }
    const uint64_t hash = XXH64_digest(state);
    XXH64_freeState(state);
    return hash;
  };
  source.select_names = [storage](const model::Matchers& matchers) {
    std::set<std::string> names;
    // A read-only node's catalog: the persisted series (asking the writers
    // for every series would pull their whole heads).
    const storage::SeriesSelection selection = storage->Select(matchers, model::TimeRange{},
                                                              storage::Storage::WriterHeads::kSkip);
    for (size_t i = 0; i < selection.size(); ++i) names.emplace(selection.label(i, "__name__"));
    return names;
  };
  return source;
}

Result<std::unique_ptr<SearchService>> SearchService::Open(const SearchServiceOptions& options, CatalogSource source) {
  std::unique_ptr<SearchService> s(new SearchService(options, std::move(source)));
  const auto start = std::chrono::steady_clock::now();
  if (options.embeddings.url.empty()) {
    ASSIGN_OR_RETURN(s->embedder_, LoadLocalEmbedder(options.model_dir));
  } else {
    ASSIGN_OR_RETURN(s->embedder_, OpenRemoteEmbedder(options.embeddings));
  }
  const std::string& model_name = s->embedder_->model();
  ASSIGN_OR_RETURN(s->table_, VectorTable::Open(options.table_dir, model_name, s->embedder_->dimension()));
  s->ranker_ = std::make_unique<Ranker>(s->embedder_->dimension(), options.ranker);
  // The stored vectors are indexed by the first refresh, which has the
  // catalog's words for them (it starts at once).
  s->table_version_ = s->table_->version();
  spdlog::info("search: model {} loaded, {} families in {} in {:.1f} s", model_name, s->table_->texts().size(),
               options.table_dir, SecondsSince(start));
  if (options.refresh_interval.count() > 0) s->thread_ = std::thread([p = s.get()] { p->Loop(); });
  return s;
}

SearchService::~SearchService() { Stop(); }

void SearchService::Stop() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SearchService::Loop() {
  std::unique_lock lock(stop_mu_);
  while (!stopping_) {
    lock.unlock();
    if (Status st = Refresh(); !st.ok()) spdlog::warn("search: refresh failed: {}", st.ToString());
    // Rebuilding the catalog reads every series' labels: with many series
    // and steady churn it would run back to back. Waiting ten times as long
    // as it took keeps it under a tenth of a core.
    const auto wait = std::max<std::chrono::milliseconds>(
        options_.refresh_interval,
        std::chrono::milliseconds(static_cast<int64_t>(10'000 * last_catalog_seconds_.load())));
    lock.lock();
    stop_cv_.wait_for(lock, wait, [this] { return stopping_; });
  }
}

Status SearchService::Refresh() {
  std::lock_guard refresh_lock(refresh_mu_);
  const uint64_t generation = source_.generation();
  if (refreshed_generation_ == generation) return Status::OK();
  const auto start = std::chrono::steady_clock::now();
  Catalog catalog = source_.build();
  last_catalog_seconds_ = SecondsSince(start);

  // Each family: its vector unchanged and indexed (its words re-indexed
  // if they changed), unchanged but stored only (read from the table), or
  // new or changed (embedded).
  std::vector<const MetricEntry*> to_embed;
  std::vector<std::string> texts;
  std::map<std::string, const MetricEntry*, std::less<>> from_table;
  std::set<std::string, std::less<>> present;
  for (const MetricEntry& entry : catalog.entries) {
    present.insert(entry.name);
    std::string text = EmbeddingText(entry);
    auto stored = table_->texts().find(entry.name);
    if (stored == table_->texts().end() || stored->second != text) {
      to_embed.push_back(&entry);
      texts.push_back(std::move(text));
    } else if (!ranker_->Contains(entry.name)) {
      from_table[entry.name] = &entry;
    } else {
      bool same;
      {
        std::shared_lock lock(entries_mu_);
        auto old = entries_.find(entry.name);
        same = old != entries_.end() && SameWords(old->second, entry);
      }
      if (!same) ranker_->Upsert(entry, {});
      std::unique_lock lock(entries_mu_);
      entries_[entry.name] = entry;
    }
  }
  std::vector<std::string> removed;
  for (const auto& [name, text] : table_->texts()) {
    if (!present.count(name)) removed.push_back(name);
  }
  if (!from_table.empty()) {
    RETURN_NOT_OK(table_->ForEach([&](const VectorRow& row) {
      auto it = from_table.find(row.metric);
      if (it == from_table.end()) return;
      ranker_->Upsert(*it->second, row.embedding);
      std::unique_lock lock(entries_mu_);
      entries_[row.metric] = *it->second;
    }));
  }

  std::vector<VectorRow> pending;
  auto commit = [&](std::span<const std::string> drop) -> Status {
    RETURN_NOT_OK(table_->Update(pending, drop));
    pending.clear();
    table_version_ = table_->version();
    return Status::OK();
  };
  auto last_log = std::chrono::steady_clock::now();
  for (size_t i = 0; i < to_embed.size(); i += options_.embed_batch) {
    {
      std::lock_guard lock(stop_mu_);
      if (stopping_) break;
    }
    const size_t n = std::min(options_.embed_batch, to_embed.size() - i);
    std::vector<std::string_view> batch(texts.begin() + static_cast<std::ptrdiff_t>(i),
                                        texts.begin() + static_cast<std::ptrdiff_t>(i + n));
    const auto embed_start = std::chrono::steady_clock::now();
    Result<std::vector<float>> embedded = embedder_->EmbedBatch(batch);
    AddTo(embed_seconds_total_, SecondsSince(embed_start));
    if (!embedded.ok()) {
      // What is embedded so far is kept; the rest waits for the next refresh.
      RETURN_NOT_OK(commit({}));
      return embedded.status();
    }
    const std::vector<float>& vectors = *embedded;
    const size_t dim = embedder_->dimension();
    for (size_t j = 0; j < n; ++j) {
      const MetricEntry& entry = *to_embed[i + j];
      std::span<const float> v(vectors.data() + j * dim, dim);
      ranker_->Upsert(entry, v);
      {
        std::unique_lock lock(entries_mu_);
        entries_[entry.name] = entry;
      }
      pending.push_back({entry.name, texts[i + j], std::vector<float>(v.begin(), v.end())});
    }
    embedded_total_ += n;
    if (pending.size() >= kCommitEvery) RETURN_NOT_OK(commit({}));
    if (SecondsSince(last_log) >= 10) {
      spdlog::info("search: embedded {}/{} metric families", i + n, to_embed.size());
      last_log = std::chrono::steady_clock::now();
    }
  }
  for (const std::string& name : removed) ranker_->Remove(name);
  {
    std::unique_lock lock(entries_mu_);
    std::erase_if(entries_, [&](const auto& kv) { return !present.count(kv.first); });
  }
  RETURN_NOT_OK(commit(removed));
  bool stopped;
  {
    std::lock_guard lock(stop_mu_);
    stopped = stopping_;
  }
  if (!stopped) refreshed_generation_ = generation;
  ++refreshes_;
  last_refresh_seconds_ = SecondsSince(start);
  if (!to_embed.empty() || !removed.empty()) {
    spdlog::info("search: {} families, {} embedded, {} removed in {:.1f} s", catalog.entries.size(), to_embed.size(),
                 removed.size(), last_refresh_seconds_.load());
  }
  return Status::OK();
}

Result<std::vector<float>> SearchService::EmbedQuestion(const std::string& question) const {
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = cache_index_.find(question); it != cache_index_.end()) {
      cache_.splice(cache_.begin(), cache_, it->second);
      return it->second->second;
    }
  }
  ASSIGN_OR_RETURN(std::vector<float> v, embedder_->Embed(question));
  std::lock_guard lock(cache_mu_);
  if (options_.question_cache == 0 || cache_index_.count(question)) return v;
  cache_.emplace_front(question, v);
  cache_index_[question] = cache_.begin();
  if (cache_.size() > options_.question_cache) {
    cache_index_.erase(cache_.back().first);
    cache_.pop_back();
  }
  return v;
}

Result<std::vector<SearchHit>> SearchService::Search(const SearchRequest& request,
                                                     std::vector<std::string>* warnings) const {
  std::vector<float> embedding;
  if (request.mode != RankMode::kLexical) {
    Result<std::vector<float>> embedded = EmbedQuestion(request.question);
    if (embedded.ok()) {
      embedding = *std::move(embedded);
    } else if (request.mode == RankMode::kSemantic) {
      return embedded.status();
    } else if (warnings != nullptr) {
      warnings->push_back("the question could not be embedded, the ranking is lexical only: " +
                          embedded.status().message());
    }
  }
  // match[]: the metric names with a matching series.
  std::optional<std::set<std::string>> names;
  if (!request.selectors.empty()) {
    names.emplace();
    for (const model::Matchers& m : request.selectors) names->merge(source_.select_names(m));
  }
  std::shared_lock lock(entries_mu_);
  std::function<bool(std::string_view)> allowed;
  if (!request.type.empty() || names) {
    allowed = [&](std::string_view family) {
      auto it = entries_.find(family);
      if (it == entries_.end()) return false;
      if (!request.type.empty() && it->second.type != request.type) return false;
      if (names) {
        return std::any_of(it->second.metric_names.begin(), it->second.metric_names.end(),
                           [&](const std::string& n) { return names->count(n) > 0; });
      }
      return true;
    };
  }
  std::vector<SearchHit> hits;
  for (RankedMetric& r : ranker_->Search(request.question, embedding, request.limit, request.mode, allowed)) {
    auto it = entries_.find(r.name);
    if (it == entries_.end()) continue;
    hits.push_back({it->second, std::move(r), SuggestedQuery(it->second)});
  }
  return hits;
}

SearchStats SearchService::stats() const {
  SearchStats s;
  {
    std::shared_lock lock(entries_mu_);
    s.families = entries_.size();
  }
  s.indexed = ranker_->size();
  s.refreshes = refreshes_.load();
  s.embedded_total = embedded_total_.load();
  s.embed_seconds_total = embed_seconds_total_.load();
  s.last_refresh_seconds = last_refresh_seconds_.load();
  s.table_version = table_version_.load();
  return s;
}

}  // namespace mytsdb::search
