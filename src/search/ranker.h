// The search index (issue 15): approximate nearest neighbours over the
// embeddings (hnswlib's HNSW graph, inner product of L2-normalized vectors,
// i.e. cosine), a BM25 lexical score over the name's words (weighted
// most), the HELP text, the unit and type and the label names, and the
// hybrid of both. The lexical side expands the abbreviations operators
// type (vocabulary.h), and an exact metric name wins outright, so that
// "rps", "oom", "p99" or a pasted name find what they mean.
//
// Candidates are the ANN's nearest and the best lexical matches; each is
// scored exactly: hybrid = w * cosine + (1 - w) *
// lexical / best lexical. Thread-safe: searches share a lock that updates
// take alone.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "search/catalog.h"

namespace hnswlib {
template <typename T>
class HierarchicalNSW;
class InnerProductSpace;
}  // namespace hnswlib

namespace mytsdb::search {

enum class RankMode { kHybrid, kSemantic, kLexical };

struct RankerOptions {
  double semantic_weight = 0.6;  // w above
  size_t ann_candidates = 100;   // nearest neighbours taken from the graph
  size_t lexical_candidates = 200;  // best BM25 scores taken
  // Below this many allowed metrics, a filtered search scores them all
  // instead of filtering the graph's candidates.
  size_t exhaustive_below = 5000;
};

struct RankedMetric {
  std::string name;
  double score = 0;
  double semantic = 0;  // cosine with the question
  double lexical = 0;   // BM25, relative to the best candidate's (0..1)
};

class Ranker {
 public:
  Ranker(size_t dimension, RankerOptions options = {});
  ~Ranker();

  // Adds `entry` with its embedding (dimension floats, L2-normalized), or
  // replaces the one of the same name in place (no dead entry is left in
  // the graph or the postings' counts). An empty embedding keeps the one
  // the name has (only its words change); a new name needs one.
  void Upsert(const MetricEntry& entry, std::span<const float> embedding);
  void Remove(std::string_view name);
  size_t size() const;
  bool Contains(std::string_view name) const;

  // The best `limit` metrics for `question` (its embedding may be empty
  // in kLexical mode), among those `allowed` accepts (all if empty).
  std::vector<RankedMetric> Search(std::string_view question, std::span<const float> question_embedding,
                                   size_t limit, RankMode mode,
                                   const std::function<bool(std::string_view name)>& allowed = {}) const;

 private:
  struct Doc {
    std::string name;
    std::string normalized_name;  // words joined by '_', for exact matches
    double length = 0;            // weighted terms
    bool live = true;
    uint32_t generation = 0;  // postings of older generations are stale
  };
  struct Posting {
    uint32_t doc;
    uint32_t generation;
    float weight;  // weighted term frequency
  };
  struct LexicalScores {
    std::vector<float> score;  // by doc; 0: no shared term
    std::vector<uint32_t> docs;  // the docs with a score
  };

  void IndexTerms(uint32_t doc, const MetricEntry& entry);
  // BM25 of every live doc that shares a term with `terms`. A term's
  // document frequency counts stale postings too (as Lucene counts
  // deleted documents until a merge): replacements are rare.
  LexicalScores Lexical(const std::vector<std::string>& terms) const;
  double Cosine(uint32_t doc, std::span<const float> query) const;

  const size_t dimension_;
  const RankerOptions options_;
  mutable std::shared_mutex mu_;
  std::unique_ptr<hnswlib::InnerProductSpace> space_;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph_;
  std::vector<Doc> docs_;  // by id (the graph's label)
  std::unordered_map<std::string, uint32_t> by_name_;
  std::unordered_map<std::string, std::vector<Posting>> postings_;
  double total_length_ = 0;
  size_t live_ = 0;
};

}  // namespace mytsdb::search
