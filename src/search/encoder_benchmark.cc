// Speed of the sentence encoder: one search question, one metric's text,
// and batches of metrics' texts (as indexing runs them). The same source is
// built against each back end of the comparison in docs/design/search.md:
// OpenBLAS for the matrix products (encoder_benchmark, what the server
// uses), Eigen alone (encoder_eigen_benchmark) and libtorch
// (encoder_libtorch_benchmark); the last two only with
// -DMYTSDB_ENCODER_COMPARISON=ON. ENCODER_THREADS sets the back end's
// threads (default 1). Before measuring, each checks its embedding of a
// golden text against sentence-transformers' (cosine >= 0.999).
//
// Counters: tokens_per_text; peak_rss_mib (the process's, model included).
#include <benchmark/benchmark.h>
#include <rapidjson/document.h>
#include <sys/resource.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#ifdef MYTSDB_ENCODER_LIBTORCH
#include <torch/torch.h>

#include "search/libtorch_encoder.h"
#else
#include "search/encoder.h"
#endif
#include "search/wordpiece.h"


namespace mytsdb::search {
namespace {

#ifdef MYTSDB_ENCODER_LIBTORCH
using Encoder = LibtorchEncoder;
#else
using Encoder = SentenceEncoder;
#endif

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> JsonLines(const std::string& path) {
  std::vector<std::string> out;
  std::istringstream lines(ReadFile(path));
  for (std::string line; std::getline(lines, line);) {
    rapidjson::Document doc;
    doc.Parse(line.data(), line.size());
    if (doc.IsString()) out.emplace_back(doc.GetString(), doc.GetStringLength());
  }
  return out;
}

struct Fixture {
  std::unique_ptr<Encoder> encoder;
  std::vector<std::string> metric_texts;  // "words. HELP" for each metric of the corpus
};

Fixture& Shared() {
  static Fixture* fixture = [] {
    const char* threads_env = std::getenv("ENCODER_THREADS");
    const int threads = threads_env != nullptr ? std::atoi(threads_env) : 1;
#ifdef MYTSDB_ENCODER_LIBTORCH
    torch::set_num_threads(threads);
    torch::set_num_interop_threads(1);
#else
    SentenceEncoder::SetMatrixThreads(threads);
#endif
    auto* f = new Fixture;
    auto loaded = Encoder::Load(MYTSDB_MODEL_DIR);
    if (!loaded.ok()) {
      std::cerr << loaded.status().ToString() << "\n";
      std::exit(1);
    }
    f->encoder = loaded.MoveValue();
    const std::string testdata = MYTSDB_SEARCH_TESTDATA;
    const auto corpus = JsonLines(testdata + "/tokenizer_corpus.txt");
    for (size_t i = 0; i + 2 < corpus.size() - 30; i += 3) f->metric_texts.push_back(corpus[i + 1] + ". " + corpus[i + 2]);
    // Computes the right thing before it is timed.
    const auto golden_texts = JsonLines(testdata + "/embedding_golden.jsonl");
    const std::string golden = ReadFile(testdata + "/embedding_golden.f32");
    const auto got = f->encoder->Embed(golden_texts.at(1));
    double dot = 0;
    for (size_t d = 0; d < 384; ++d) {
      float want;
      std::memcpy(&want, golden.data() + (384 + d) * sizeof(float), sizeof(float));
      dot += double{got[d]} * want;
    }
    if (dot < 0.999) {
      std::cerr << "embedding differs from the reference: cosine " << dot << "\n";
      std::exit(1);
    }
    return f;
  }();
  return *fixture;
}

double PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

size_t Tokens(const std::vector<std::string_view>& texts) {
  static const WordPiece tokenizer = *WordPiece::FromJson(ReadFile(std::string(MYTSDB_MODEL_DIR) + "/tokenizer.json"));
  size_t n = 0;
  for (auto t : texts) n += tokenizer.Encode(t, 256).size();
  return n;
}

// Questions of about 8, 14 and 20 tokens (the evaluation's longest).
void BM_Question(benchmark::State& state) {
  Fixture& f = Shared();
  static constexpr std::string_view kQuestions[] = {
      "show me latency metrics",
      "which disks are almost full on the database servers tonight",
      "clients that failed to connect or were disconnected uncleanly from the mariadb primary server",
  };
  const std::string_view question = kQuestions[state.range(0)];
  for (auto _ : state) benchmark::DoNotOptimize(f.encoder->Embed(question));
  state.counters["tokens_per_text"] = static_cast<double>(Tokens({question}));
  state.counters["peak_rss_mib"] = PeakRssMiB();
}
BENCHMARK(BM_Question)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

// A batch of `range(0)` metrics' texts; items are texts.
void BM_MetricTexts(benchmark::State& state) {
  Fixture& f = Shared();
  const size_t batch = static_cast<size_t>(state.range(0));
  std::vector<std::string_view> texts;
  for (size_t i = 0; i < batch; ++i) texts.push_back(f.metric_texts[i % f.metric_texts.size()]);
  for (auto _ : state) benchmark::DoNotOptimize(f.encoder->EmbedBatch(texts));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
  state.counters["tokens_per_text"] = static_cast<double>(Tokens(texts)) / static_cast<double>(batch);
  state.counters["peak_rss_mib"] = PeakRssMiB();
}
BENCHMARK(BM_MetricTexts)->Arg(1)->Arg(16)->Arg(64)->Arg(256)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mytsdb::search
