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
constexpr float kLabelValueWeight = 0.25f;  // the most frequent values ("select", "GET", "/")
// The job names the software the series come from ("snmp", "mysql"), which
// metric names often leave out (SNMP's ifInErrors).
constexpr float kJobWeight = 1.0f;

// A question that holds a metric's whole name ("is the target up") lifts
// it a little: less than an exact name, which goes first.
constexpr double kNameInQuestionBonus = 0.1;

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
  auto it = by_name_.find(std::string(name));
  return it != by_name_.end() && docs_[it->second].live;
}

void Ranker::IndexTerms(uint32_t doc, const MetricEntry& entry) {
  std::unordered_map<std::string, float> weights;
  double length = 0;
  auto add = [&](std::string_view text, float weight) {
    for (const std::string& t : DocumentTerms(text)) {
      weights[t] += weight;
      length += weight;
    }
  };
  add(entry.name, kNameWeight);
  add(entry.type == "unknown" ? "" : entry.type, kKindWeight);
  add(entry.unit, kKindWeight);
  add(entry.help, kHelpWeight);
  for (const LabelSummary& label : entry.labels) {
    add(label.name, kLabelWeight);
    for (const auto& [value, series] : label.top_values) add(value, label.name == "job" ? kJobWeight : kLabelValueWeight);
  }
  for (auto& [term, weight] : weights) postings_[term].push_back({doc, docs_[doc].generation, weight});
  docs_[doc].length = length;
  total_length_ += length;
}

void Ranker::Upsert(const MetricEntry& entry, std::span<const float> embedding) {
  std::unique_lock lock(mu_);
  auto it = by_name_.find(entry.name);
  if (it != by_name_.end()) {
    Doc& doc = docs_[it->second];
    if (doc.live) {
      total_length_ -= doc.length;
    } else {
      doc.live = true;
      ++live_;
    }
    ++doc.generation;
    IndexTerms(it->second, entry);
    // hnswlib moves the point and mends its neighbourhood (and takes back
    // a removed one).
    if (!embedding.empty()) graph_->addPoint(embedding.data(), it->second);
    return;
  }
  if (embedding.size() != dimension_) return;  // a new name needs its vector
  const auto id = static_cast<uint32_t>(docs_.size());
  docs_.push_back({entry.name, JoinedWords(entry.name), 0, true, 0});
  by_name_[entry.name] = id;
  IndexTerms(id, entry);
  if (graph_->cur_element_count >= graph_->max_elements_) graph_->resizeIndex(graph_->max_elements_ * 2);
  graph_->addPoint(embedding.data(), id);
  ++live_;
}

void Ranker::Remove(std::string_view name) {
  std::unique_lock lock(mu_);
  auto it = by_name_.find(std::string(name));
  if (it == by_name_.end() || !docs_[it->second].live) return;
  Doc& doc = docs_[it->second];
  doc.live = false;
  ++doc.generation;
  total_length_ -= doc.length;
  graph_->markDelete(it->second);
  --live_;
}

Ranker::LexicalScores Ranker::Lexical(const std::vector<std::string>& terms) const {
  LexicalScores out;
  if (live_ == 0) return out;
  out.score.assign(docs_.size(), 0.0f);
  const double average = total_length_ / static_cast<double>(live_);
  const double n = static_cast<double>(docs_.size());
  std::unordered_set<std::string> seen;
  for (const std::string& term : terms) {
    if (!seen.insert(term).second) continue;
    auto it = postings_.find(term);
    if (it == postings_.end()) continue;
    const double df = static_cast<double>(it->second.size());
    const double idf = std::log(1.0 + (n - df + 0.5) / (df + 0.5));
    for (const Posting& p : it->second) {
      const Doc& doc = docs_[p.doc];
      if (!doc.live || p.generation != doc.generation) continue;
      const double tf = p.weight;
      if (out.score[p.doc] == 0.0f) out.docs.push_back(p.doc);
      out.score[p.doc] += static_cast<float>(idf * tf * (kK1 + 1) / (tf + kK1 * (1 - kB + kB * doc.length / average)));
    }
  }
  return out;
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
  LexicalScores lexical;
  if (use_lexical) {
    lexical = Lexical(QueryTerms(question));
    // The best-scoring ones only: a common word ("total", "bytes") is in
    // tens of thousands of names, whose vectors need not all be compared.
    std::vector<std::pair<float, uint32_t>> best;
    for (uint32_t id : lexical.docs) {
      if (ok(id)) best.push_back({lexical.score[id], id});
    }
    const size_t keep = std::min(best.size(), std::max(options_.lexical_candidates, limit));
    std::partial_sort(best.begin(), best.begin() + static_cast<std::ptrdiff_t>(keep), best.end(),
                      [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
    for (size_t i = 0; i < keep; ++i) candidates.insert(best[i].second);
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

  auto lexical_of = [&](uint32_t id) -> double { return lexical.score.empty() ? 0.0 : lexical.score[id]; };
  double best_lexical = 0;
  for (uint32_t id : candidates) best_lexical = std::max(best_lexical, lexical_of(id));
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
    r.lexical = best_lexical > 0 ? lexical_of(id) / best_lexical : 0.0;
    r.score = w * r.semantic + (1 - w) * r.lexical;
    if (use_lexical && !exact.empty() && docs_[id].normalized_name == exact) r.score += 1.0;
    if (use_lexical && !exact.empty() && docs_[id].normalized_name != exact &&
        ("_" + exact + "_").find("_" + docs_[id].normalized_name + "_") != std::string::npos) {
      r.score += kNameInQuestionBonus;
    }
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
