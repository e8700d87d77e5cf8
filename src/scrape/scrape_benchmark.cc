// Speed of the scrape path's CPU parts, in samples a second: the two
// parsers on an exposition shaped like a node exporter's (families with
// HELP and TYPE, a few labels each), and a whole scrape's append being
// built from it (target labels merged, staleness tracked, report series).
#include <benchmark/benchmark.h>
#include <yaml-cpp/yaml.h>

#include "scrape/exposition.h"
#include "scrape/scrape_append.h"

namespace mytsdb::scrape {
namespace {

std::string MakeBody(int series, bool openmetrics) {
  std::string body;
  const char* modes[] = {"idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"};
  for (int i = 0; i < series; ++i) {
    const std::string family = "node_metric_" + std::to_string(i / 40);
    if (i % 40 == 0) {
      body += "# HELP " + family + " A metric family of a node exporter, with some help text.\n";
      body += "# TYPE " + family + " " + (openmetrics ? "gauge" : "counter") + "\n";
    }
    body += family + "{cpu=\"" + std::to_string(i % 16) + "\",mode=\"" + modes[i % 8] + "\",device=\"sda" +
            std::to_string(i % 5) + "\"} " + std::to_string(12345.678 + i) + "\n";
  }
  if (openmetrics) body += "# EOF\n";
  return body;
}

void BM_Parse(benchmark::State& state, Format format) {
  const std::string body = MakeBody(static_cast<int>(state.range(0)), format == Format::kOpenMetrics);
  for (auto _ : state) {
    auto parsed = Parse(body, format);
    if (!parsed.ok()) state.SkipWithError(parsed.status().ToString().c_str());
    benchmark::DoNotOptimize(parsed->samples.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK_CAPTURE(BM_Parse, text, Format::kPrometheusText)->Arg(1000)->Arg(10000);
BENCHMARK_CAPTURE(BM_Parse, openmetrics, Format::kOpenMetrics)->Arg(1000)->Arg(10000);

// Parse and build one scrape's append: what a target costs each interval
// before the storage.
void BM_Scrape(benchmark::State& state) {
  const std::string body = MakeBody(static_cast<int>(state.range(0)), false);
  auto configs = ParseScrapeConfigs(YAML::Load("- job_name: node\n"), ScrapeGlobals{}, "");
  const ScrapeConfig config = (*configs)[0];
  TargetAppender appender(&config, model::Labels{{"instance", "host-1.example.org:9100"}, {"job", "node"}});
  int64_t t = 1'700'000'000'000;
  for (auto _ : state) {
    auto parsed = ParsePrometheusText(body);
    AppendBatch batch;
    auto counts = appender.AddScrape(std::move(*parsed), t, &batch);
    if (!counts.ok()) state.SkipWithError(counts.status().ToString().c_str());
    appender.AddReport(true, 0.01, *counts, t, &batch);
    appender.Commit();
    benchmark::DoNotOptimize(batch.labels.data());
    t += 15'000;
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Scrape)->Arg(1000)->Arg(10000);

}  // namespace
}  // namespace mytsdb::scrape
