// The measured quality of search (issue 15): catalogs scraped from real
// exporters (test/search/catalogs, scripts/search/scrape_catalogs.py) and
// questions written by operators with the families that answer them
// (test/search/eval_questions.jsonl), split into a tuning half and a
// held-out half written before any tuning (and a second held-out set,
// test/search/eval_questions_b.jsonl, written blind after the first had
// been asked). Scores: top-1 and top-5 hit
// rate (an answer among the first 1 or 5 results) and mean reciprocal rank
// over the first 10.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "search/catalog.h"
#include "search/search_service.h"

namespace mytsdb::search {

// The families of the catalog files (JSON lines: name, type, help, unit,
// metric_names, labels, top_values), merged by name (the first file's
// HELP wins; the Go runtime's and the process's metrics are in most).
// Type "untyped" is "unknown".
Result<Catalog> LoadCatalogFiles(const std::vector<std::string>& paths);

struct EvalQuestion {
  std::string id;
  std::string half;  // "tuning", "heldout", "heldout_b", ...
  std::string question;
  std::vector<std::string> answers;
};

Result<std::vector<EvalQuestion>> LoadQuestions(const std::string& path);

struct EvalScores {
  size_t questions = 0;
  double top1 = 0;  // share of questions
  double top5 = 0;
  double mrr = 0;
  std::vector<std::string> misses;  // "id question -> first results" of top-5 misses
};

// Asks each question of `half` in `mode`.
Result<EvalScores> Evaluate(const SearchService& service, const std::vector<EvalQuestion>& questions,
                            const std::string& half, RankMode mode);

// A CatalogSource over a fixed catalog (no series: match[] selects none).
CatalogSource FixedCatalogSource(Catalog catalog);

}  // namespace mytsdb::search
