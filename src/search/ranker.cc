#include "search/ranker.h"

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <unordered_set>

#include "search/metric_text.h"
#include "search/vocabulary.h"

namespace mytsdb::search {

namespace {

// BM25's constants, as Lucene's defaults.
constexpr double kK1 = 1.2;
constexpr double kB = 0.75;
// How much a term counts by where it is: the name says what the metric is.
constexpr float kNameWeight = 3.0f;
constexpr float kKindWeight = 1.0f;  // type and unit
constexpr float kHelpWeight = 1.0f;
constexpr float kLabelWeight = 0.5f;

constexpr size_t kInitialCapacity = 1024;
constexpr size_t kGraphM = 16;
constexpr size_t kEfConstruction = 200;

std::string JoinedWords(std::string_view name) {
  std::string out;
  for (const std::string& w : NameWords(name)) out += (out.empty() ? "" : "_") + w;
  return out;
}

}  // namespace

Ranker::Ranker(size_t dimension, RankerOptions options)
    : dimension_(dimension),
      options_(options),
      space_(std::make_unique<hnswlib::InnerProductSpace>(dimension)),
      graph_(std::make_unique<hnswlib::HierarchicalNSW<float>>(space_.get(), kInitialCapacity, kGraphM,
                                                               kEfConstruction)) {
  graph_->ef_ = std::max<size_t>(options_.ann_candidates, 64);
}

Ranker::~Ranker() = default;

size_t Ranker::size() const {
  std::shared_lock lock(mu_);
  return live_;
}

bool Ranker::Contains(std::string_view name) const {
  std::shared_lock lock(mu_);
  return by_name_.count(std::string(name)) > 0;
}

void Ranker::IndexTerms(uint32_t doc, const MetricEntry& entry) {
  std::unordered_map<std::string, float> weights;
  double length = 0;
  auto add = [&](const std::vector<std::string>& terms, float weight) {
    for (const std::string& t : terms) {
      weights[Stem(t)] += weight;
      length += weight;
    }
  };
  add(NameWords(entry.name), kNameWeight);
  add(Terms(entry.type == "unknown" ? "" : entry.type), kKindWeight);
  add(Terms(entry.unit), kKindWeight);
  add(Terms(entry.help), kHelpWeight);
  for (const LabelSummary& label : entry.labels) add(NameWords(label.name), kLabelWeight);
  for (auto& [term, weight] : weights) postings_[term].push_back({doc, weight});
  docs_[doc].length = length;
  total_length_ += length;
}

void Ranker::Upsert(const MetricEntry& entry, std::span<const float> embedding) {
  std::unique_lock lock(mu_);
  if (auto it = by_name_.find(entry.name); it != by_name_.end()) {
    Doc& old = docs_[it->second];
    old.live = false;
    total_length_ -= old.length;
    graph_->markDelete(it->second);
    --live_;
  }
  const auto id = static_cast<uint32_t>(docs_.size());
  docs_.push_back({entry.name, JoinedWords(entry.name), 0, true});
  by_name_[entry.name] = id;
  IndexTerms(id, entry);
  if (graph_->cur_element_count >= graph_->max_elements_) graph_->resizeIndex(graph_->max_elements_ * 2);
  graph_->addPoint(embedding.data(), id);
  ++live_;
}

void Ranker::Remove(std::string_view name) {
  std::unique_lock lock(mu_);
  auto it = by_name_.find(std::string(name));
  if (it == by_name_.end()) return;
  Doc& doc = docs_[it->second];
  doc.live = false;
  total_length_ -= doc.length;
  graph_->markDelete(it->second);
  by_name_.erase(it);
  --live_;
}

std::unordered_map<uint32_t, double> Ranker::LexicalScores(const std::vector<std::string>& terms) const {
  std::unordered_map<uint32_t, double> scores;
  if (live_ == 0) return scores;
  const double average = total_length_ / static_cast<double>(live_);
  std::unordered_set<std::string> seen;
  for (const std::string& term : terms) {
    if (!seen.insert(term).second) continue;
    auto it = postings_.find(term);
    if (it == postings_.end()) continue;
    size_t df = 0;
    for (const Posting& p : it->second) df += docs_[p.doc].live ? 1 : 0;
    if (df == 0) continue;
    const double n = static_cast<double>(live_);
    const double idf = std::log(1.0 + (n - static_cast<double>(df) + 0.5) / (static_cast<double>(df) + 0.5));
    for (const Posting& p : it->second) {
      const Doc& doc = docs_[p.doc];
      if (!doc.live) continue;
      const double tf = p.weight;
      scores[p.doc] += idf * tf * (kK1 + 1) / (tf + kK1 * (1 - kB + kB * doc.length / average));
    }
  }
  return scores;
}

double Ranker::Cosine(uint32_t doc, std::span<const float> query) const {
  if (query.size() != dimension_) return 0;
  const auto* vector = reinterpret_cast<const float*>(graph_->getDataByInternalId(graph_->label_lookup_.at(doc)));
  double dot = 0;
  for (size_t i = 0; i < dimension_; ++i) dot += double{vector[i]} * query[i];
  return dot;
}

std::vector<RankedMetric> Ranker::Search(std::string_view question, std::span<const float> question_embedding,
                                         size_t limit, RankMode mode,
                                         const std::function<bool(std::string_view)>& allowed) const {
  std::shared_lock lock(mu_);
  const bool use_semantic = mode != RankMode::kLexical && question_embedding.size() == dimension_;
  const bool use_lexical = mode != RankMode::kSemantic;
  auto ok = [&](uint32_t id) { return docs_[id].live && (!allowed || allowed(docs_[id].name)); };

  std::unordered_set<uint32_t> candidates;
  std::unordered_map<uint32_t, double> lexical;
  if (use_lexical) {
    lexical = LexicalScores(QueryTerms(question));
    for (const auto& [id, score] : lexical) {
      if (ok(id)) candidates.insert(id);
    }
  }
  if (use_semantic && live_ > 0) {
    size_t allowed_count = live_;
    if (allowed) {
      allowed_count = 0;
      for (uint32_t id = 0; id < docs_.size(); ++id) allowed_count += ok(id) ? 1 : 0;
    }
    if (allowed && allowed_count < options_.exhaustive_below) {
      for (uint32_t id = 0; id < docs_.size(); ++id) {
        if (ok(id)) candidates.insert(id);
      }
    } else {
      const size_t k = std::min(live_, std::max(options_.ann_candidates, limit * 4));
      auto nearest = graph_->searchKnn(question_embedding.data(), k);
      for (; !nearest.empty(); nearest.pop()) {
        const auto id = static_cast<uint32_t>(nearest.top().second);
        if (ok(id)) candidates.insert(id);
      }
    }
  }

  double best_lexical = 0;
  for (uint32_t id : candidates) {
    if (auto it = lexical.find(id); it != lexical.end()) best_lexical = std::max(best_lexical, it->second);
  }
  // A question that is a metric's name (words in any case, '_' or spaces)
  // finds it first.
  const std::string exact = JoinedWords(question);
  const double w = mode == RankMode::kHybrid ? (use_semantic ? options_.semantic_weight : 0.0)
                                             : (mode == RankMode::kSemantic ? 1.0 : 0.0);
  std::vector<RankedMetric> ranked;
  ranked.reserve(candidates.size());
  for (uint32_t id : candidates) {
    RankedMetric r;
    r.name = docs_[id].name;
    r.semantic = use_semantic ? Cosine(id, question_embedding) : 0.0;
    auto it = lexical.find(id);
    r.lexical = it != lexical.end() && best_lexical > 0 ? it->second / best_lexical : 0.0;
    r.score = w * r.semantic + (1 - w) * r.lexical;
    if (use_lexical && !exact.empty() && docs_[id].normalized_name == exact) r.score += 1.0;
    ranked.push_back(std::move(r));
  }
  const size_t keep = std::min(limit, ranked.size());
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(keep), ranked.end(),
                    [](const RankedMetric& a, const RankedMetric& b) {
                      return a.score != b.score ? a.score > b.score : a.name < b.name;
                    });
  ranked.resize(keep);
  return ranked;
}

}  // namespace mytsdb::search
