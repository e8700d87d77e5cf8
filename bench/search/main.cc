// mytsdb-search-bench: how well and how fast semantic search answers.
//
//   eval   the evaluation questions (test/search/eval_questions.jsonl and
//          eval_questions_b.jsonl) over the real exporters' catalogs
//          (test/search/catalogs): top-1, top-5 and MRR for each half
//          (tuning, heldout, heldout_b) and each mode (lexical, semantic,
//          hybrid).
//   ask    a question's top 10 over the same catalogs, with each score:
//          for looking into a miss.
//   speed  a catalog of --families families (the real ones, then variants
//          of them named for other services) indexed from scratch, embedding
//          included, then the evaluation questions asked --passes times with
//          no question cache: indexing time and cost per family, query
//          latency percentiles, memory.
//
// Results go to stdout as a table and to --out as JSON.
#include <sys/resource.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "search/encoder.h"
#include "search/evaluation.h"
#include "search/search_service.h"

namespace search = mytsdb::search;
namespace fs = std::filesystem;

namespace {

double RssMiB() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::vector<std::string> CatalogFiles(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".jsonl") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "mytsdb-search-bench: error: %s\n", message.c_str());
  return 1;
}

double semantic_weight = search::RankerOptions{}.semantic_weight;

std::unique_ptr<search::SearchService> Open(const std::string& model_dir, search::Catalog catalog,
                                            const fs::path& table, size_t cache, bool reuse = false) {
  if (!reuse) fs::remove_all(table);
  search::SearchServiceOptions options;
  options.model_dir = model_dir;
  options.table_dir = table.string();
  options.refresh_interval = std::chrono::milliseconds(0);
  options.question_cache = cache;
  options.ranker.semantic_weight = semantic_weight;
  auto s = search::SearchService::Open(options, search::FixedCatalogSource(std::move(catalog)));
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.status().ToString().c_str());
    return nullptr;
  }
  return s.MoveValue();
}

const char* ModeName(search::RankMode m) {
  return m == search::RankMode::kHybrid ? "hybrid" : m == search::RankMode::kSemantic ? "semantic" : "lexical";
}

}  // namespace

int main(int argc, char** argv) {
  search::SentenceEncoder::SetMatrixThreads(1);
  CLI::App app{"Quality and speed of MyTSDB's semantic search."};
  app.require_subcommand(1);
  std::string data = MYTSDB_SEARCH_DATA, model_dir = MYTSDB_MODEL_DIR, out, work = "/tmp/mytsdb-search-bench";
  app.add_option("--data", data, "Directory with catalogs/ and eval_questions.jsonl")->capture_default_str();
  app.add_option("--model-dir", model_dir, "The model")->capture_default_str();
  app.add_option("--out", out, "JSON results");
  app.add_option("--work-dir", work, "Scratch directory (the vectors' table)")->capture_default_str();
  app.add_option("--semantic-weight", semantic_weight, "The hybrid's weight of the cosine")->capture_default_str();
  bool show_misses = false;
  CLI::App* eval = app.add_subcommand("eval", "Hit rates of the evaluation questions");
  eval->add_flag("--misses", show_misses, "Print the questions whose answer is not in the top 5");
  std::vector<std::string> halves;
  std::vector<std::string> question_files;
  eval->add_option("--questions", question_files,
                   "Question files (default DATA/eval_questions.jsonl and DATA/eval_questions_b.jsonl)");
  eval->add_option("--half", halves,
                   "Only these halves (default all: tuning while tuning, a held-out half is asked once, at the end)");
  std::vector<std::string> asked;
  CLI::App* ask = app.add_subcommand("ask", "Rank the catalogs' families for questions, with each score (for tuning)");
  ask->add_option("questions", asked, "Questions")->required();
  search::RankMode ask_mode = search::RankMode::kHybrid;
  ask->add_option("--mode", ask_mode, "lexical, semantic or hybrid")
      ->transform(CLI::CheckedTransformer(std::map<std::string, search::RankMode>{
          {"lexical", search::RankMode::kLexical}, {"semantic", search::RankMode::kSemantic},
          {"hybrid", search::RankMode::kHybrid}}));
  size_t families = 100000, passes = 3;
  CLI::App* speed = app.add_subcommand("speed", "Indexing and query latency at scale");
  speed->add_option("--families", families, "Metric families to index")->capture_default_str();
  speed->add_option("--passes", passes, "Times each question is asked")->capture_default_str();
  bool reuse = false;
  app.add_flag("--reuse-table", reuse,
               "Keep the vectors' table of the last run: only families whose text changed are embedded again");
  CLI11_PARSE(app, argc, argv);

  auto catalog = search::LoadCatalogFiles(CatalogFiles(data + "/catalogs"));
  if (!catalog.ok()) return Fail(catalog.status().ToString());
  if (question_files.empty()) question_files = {data + "/eval_questions.jsonl", data + "/eval_questions_b.jsonl"};
  std::vector<search::EvalQuestion> all_questions;
  for (const std::string& file : question_files) {
    auto loaded = search::LoadQuestions(file);
    if (!loaded.ok()) return Fail(loaded.status().ToString());
    all_questions.insert(all_questions.end(), loaded->begin(), loaded->end());
  }
  if (halves.empty()) {
    for (const auto& q : all_questions) {
      if (std::find(halves.begin(), halves.end(), q.half) == halves.end()) halves.push_back(q.half);
    }
  }
  auto* questions = &all_questions;
  std::string json = "{";

  if (app.got_subcommand("ask")) {
    auto service = Open(model_dir, *std::move(catalog), fs::path(work) / "eval", 1024, reuse);
    if (service == nullptr) return 1;
    if (auto st = service->Refresh(); !st.ok()) return Fail(st.ToString());
    for (const std::string& q : asked) {
      auto hits = service->Search({.question = q, .limit = 10, .mode = ask_mode});
      if (!hits.ok()) return Fail(hits.status().ToString());
      std::printf("%s\n", q.c_str());
      for (const auto& h : *hits) {
        std::printf("  %.3f  semantic %.3f  lexical %.3f  %s\n", h.rank.score, h.rank.semantic, h.rank.lexical,
                    h.metric.name.c_str());
      }
    }
    return 0;
  }
  if (app.got_subcommand("eval")) {
    const size_t n = catalog->entries.size();
    auto service = Open(model_dir, *std::move(catalog), fs::path(work) / "eval", 1024, reuse);
    if (service == nullptr) return 1;
    if (auto st = service->Refresh(); !st.ok()) return Fail(st.ToString());
    std::printf("%zu families, %zu questions\n\n", n, questions->size());
    std::printf("| half | mode | questions | top-1 | top-5 | MRR |\n| --- | --- | ---: | ---: | ---: | ---: |\n");
    json += "\"families\":" + std::to_string(n) + ",\"results\":[";
    bool first = true;
    for (const std::string& half_name : halves) {
      const char* half = half_name.c_str();
      for (auto mode : {search::RankMode::kLexical, search::RankMode::kSemantic, search::RankMode::kHybrid}) {
        auto scores = search::Evaluate(*service, *questions, half, mode);
        if (!scores.ok()) return Fail(scores.status().ToString());
        std::printf("| %s | %s | %zu | %.1f%% | %.1f%% | %.3f |\n", half, ModeName(mode), scores->questions,
                    100 * scores->top1, 100 * scores->top5, scores->mrr);
        char row[256];
        std::snprintf(row, sizeof row,
                      "%s{\"half\":\"%s\",\"mode\":\"%s\",\"questions\":%zu,\"top1\":%.4f,\"top5\":%.4f,\"mrr\":%.4f}",
                      first ? "" : ",", half, ModeName(mode), scores->questions, scores->top1, scores->top5,
                      scores->mrr);
        json += row;
        first = false;
        if (show_misses) {
          for (const std::string& m : scores->misses) std::printf("    miss (%s, %s): %s\n", half, ModeName(mode), m.c_str());
        }
      }
    }
    json += "]";
  } else {
    // The real families first, then variants named for other services.
    search::Catalog big;
    const auto& real = catalog->entries;
    for (size_t i = 0; i < families; ++i) {
      search::MetricEntry e = real[i % real.size()];
      if (i >= real.size()) {
        const std::string service = "svc" + std::to_string(i / real.size());
        e.name = service + "_" + e.name;
        for (std::string& m : e.metric_names) m = service + "_" + m;
        e.help += " (" + service + ")";
      }
      big.entries.push_back(std::move(e));
    }
    const double rss_start = RssMiB();
    auto service = Open(model_dir, std::move(big), fs::path(work) / "speed", 0, reuse);
    if (service == nullptr) return 1;
    const double rss_model = RssMiB();
    std::printf("indexing %zu families...\n", families);
    const double cpu0 = CpuSeconds();
    const auto t0 = std::chrono::steady_clock::now();
    if (auto st = service->Refresh(); !st.ok()) return Fail(st.ToString());
    const double index_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double index_cpu = CpuSeconds() - cpu0;
    const double rss_indexed = RssMiB();
    // Each question: its embedding alone, the lexical ranking alone (no
    // embedding), then the whole hybrid search as the API runs it.
    std::vector<double> ms, embed_ms, lexical_ms;
    auto since = [](auto start) {
      return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    };
    for (size_t p = 0; p < passes; ++p) {
      for (const auto& q : *questions) {
        auto s = std::chrono::steady_clock::now();
        (void)service->EmbedQuestion(q.question);
        embed_ms.push_back(since(s));
        s = std::chrono::steady_clock::now();
        (void)service->Search({.question = q.question, .limit = 10, .mode = search::RankMode::kLexical});
        lexical_ms.push_back(since(s));
        s = std::chrono::steady_clock::now();
        auto hits = service->Search({.question = q.question, .limit = 10});
        ms.push_back(since(s));
        if (!hits.ok() || hits->empty()) return Fail("a question found nothing: " + q.question);
      }
    }
    for (auto* v : {&ms, &embed_ms, &lexical_ms}) std::sort(v->begin(), v->end());
    auto pct_of = [](const std::vector<double>& v, double p) {
      return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
    };
    auto pct = [&](double p) { return pct_of(ms, p); };
    const double mean = std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size());
    std::printf("indexing: %.1f s wall, %.1f s CPU, %.2f ms per family (%.0f families/s)\n", index_s, index_cpu,
                1000 * index_s / static_cast<double>(families), static_cast<double>(families) / index_s);
    std::printf("queries (%zu, no cache): mean %.2f ms, p50 %.2f, p90 %.2f, p99 %.2f, max %.2f ms\n", ms.size(), mean,
                pct(0.5), pct(0.9), pct(0.99), ms.back());
    std::printf("  of which: embedding the question p50 %.2f, p99 %.2f ms; lexical ranking alone p50 %.2f, p99 %.2f ms\n",
                pct_of(embed_ms, 0.5), pct_of(embed_ms, 0.99), pct_of(lexical_ms, 0.5), pct_of(lexical_ms, 0.99));
    std::printf("memory: %.0f MiB before, %.0f MiB with the model loaded, %.0f MiB indexed\n", rss_start, rss_model,
                rss_indexed);
    char buf[2048];
    std::snprintf(buf, sizeof buf,
                  "\"families\":%zu,\"index_seconds\":%.2f,\"index_cpu_seconds\":%.2f,\"ms_per_family\":%.3f,"
                  "\"queries\":%zu,\"query_ms\":{\"mean\":%.3f,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
                  "\"rss_mib\":{\"start\":%.1f,\"model\":%.1f,\"indexed\":%.1f},"
                  "\"embed_ms\":{\"p50\":%.3f,\"p99\":%.3f},\"lexical_ms\":{\"p50\":%.3f,\"p99\":%.3f},\"reused_table\":%s",
                  families, index_s, index_cpu, 1000 * index_s / static_cast<double>(families), ms.size(), mean,
                  pct(0.5), pct(0.9), pct(0.99), ms.back(), rss_start, rss_model, rss_indexed, pct_of(embed_ms, 0.5),
                  pct_of(embed_ms, 0.99), pct_of(lexical_ms, 0.5), pct_of(lexical_ms, 0.99), reuse ? "true" : "false");
    json += buf;
  }
  json += "}\n";
  if (!out.empty()) std::ofstream(out) << json;
  return 0;
}
