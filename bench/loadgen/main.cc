// mytsdb-loadgen: builds deterministic remote-write request bodies once, and
// sends them to a server the way Prometheus does (several keep-alive
// connections, each a shard of the series, batches in time order).
//
//   mytsdb-loadgen generate --workload node --series 100000 --duration 2h --out DIR
//   mytsdb-loadgen send --dir DIR --url http://127.0.0.1:9663/api/v1/write
//   mytsdb-loadgen openmetrics --workload node ... --out FILE   (for promtool)
//
// Bodies are generated ahead of time so that the sender only reads memory and
// writes sockets: its own CPU is not what the benchmark measures.
#include <httplib.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <barrier>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "ingest/remote_write.h"
#include "exporter.h"
#include "workload.h"

namespace fs = std::filesystem;
using mytsdb::bench::Workload;
using mytsdb::bench::WorkloadOptions;

namespace {

int64_t ParseDurationMs(const std::string& s) {
  int64_t n = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), n);
  std::string unit(r.ptr, s.data() + s.size());
  if (unit == "ms") return n;
  if (unit == "s") return n * 1000;
  if (unit == "m") return n * 60000;
  if (unit == "h") return n * 3600000;
  throw CLI::ValidationError("duration", "invalid duration " + s + " (use ms, s, m, h)");
}

void PutU32(std::ofstream& out, uint32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); }

struct Request {
  uint32_t step;
  uint32_t samples;
  std::string body;
};

int Generate(const WorkloadOptions& wo, int shards, int batch, const std::string& dir) {
  fs::create_directories(dir);
  Workload w(wo);
  std::vector<std::ofstream> files;
  for (int s = 0; s < shards; ++s) {
    files.emplace_back(fs::path(dir) / ("shard-" + std::to_string(s) + ".bin"), std::ios::binary);
  }
  int64_t requests = 0, samples = 0, bytes = 0;
  auto start = std::chrono::steady_clock::now();
  for (int64_t step = 0; step < w.num_steps(); ++step) {
    int64_t t = w.timestamp(step);
    for (int shard = 0; shard < shards; ++shard) {
      mytsdb::ingest::WriteRequest req;
      auto flush = [&] {
        if (req.timeseries.empty()) return;
        std::string body = mytsdb::ingest::EncodeWriteRequest(req);
        PutU32(files[shard], static_cast<uint32_t>(step));
        PutU32(files[shard], static_cast<uint32_t>(req.timeseries.size()));
        PutU32(files[shard], static_cast<uint32_t>(body.size()));
        files[shard].write(body.data(), static_cast<std::streamsize>(body.size()));
        ++requests;
        samples += static_cast<int64_t>(req.timeseries.size());
        bytes += static_cast<int64_t>(body.size());
        req.timeseries.clear();
      };
      // Prometheus shards by series; a series always goes to the same shard.
      for (int64_t slot = shard; slot < w.num_slots(); slot += shards) {
        req.timeseries.push_back({w.LabelsAt(slot, step), {{t, w.NextValue(slot, step)}}});
        if (static_cast<int>(req.timeseries.size()) >= batch) flush();
      }
      flush();
    }
    if (step % 40 == 0 || step + 1 == w.num_steps()) {
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr, "\rgenerate: step %lld/%lld, %lld samples, %.1f MB, %.0f s",
                   static_cast<long long>(step + 1), static_cast<long long>(w.num_steps()),
                   static_cast<long long>(samples), bytes / 1e6, secs);
    }
  }
  std::fprintf(stderr, "\n");
  std::ofstream manifest(fs::path(dir) / "manifest.json");
  manifest << "{\"workload\":\"" << wo.kind << "\",\"series\":" << wo.num_series
           << ",\"total_series\":" << w.TotalSeries() << ",\"duration_ms\":" << wo.duration_ms
           << ",\"interval_ms\":" << wo.interval_ms << ",\"start_ms\":" << wo.start_ms
           << ",\"end_ms\":" << w.timestamp(w.num_steps() - 1) << ",\"seed\":" << wo.seed
           << ",\"shards\":" << shards << ",\"batch\":" << batch << ",\"requests\":" << requests
           << ",\"samples\":" << samples << ",\"body_bytes\":" << bytes << "}\n";
  return 0;
}

int OpenMetrics(const WorkloadOptions& wo, const std::string& path) {
  Workload w(wo);
  std::ofstream out(path, std::ios::binary);
  // Family by family (OpenMetrics wants a family's samples together), each
  // series in time order. Every family is typed gauge: the type does not
  // change how the TSDB stores samples, and gauge sample names need no suffix
  // rules.
  std::map<std::string, std::vector<int64_t>> families;
  for (int64_t slot = 0; slot < w.num_slots(); ++slot) families[w.FamilyOf(slot)].push_back(slot);
  std::string line;
  char num[64];
  for (const auto& [family, slots] : families) {
    out << "# TYPE " << family << " gauge\n";
    for (int64_t slot : slots) {
      for (int64_t step = 0; step < w.num_steps(); ++step) {
        const mytsdb::model::Labels& labels = w.LabelsAt(slot, step);
        double v = w.NextValue(slot, step);
        line.clear();
        line += family;
        line += '{';
        bool first = true;
        for (const auto& l : labels) {
          if (l.name == "__name__") continue;
          if (!first) line += ',';
          first = false;
          line += l.name;
          line += "=\"";
          line += l.value;  // generated values need no escaping
          line += '"';
        }
        line += "} ";
        auto r = std::to_chars(num, num + sizeof(num), v);
        line.append(num, r.ptr);
        line += ' ';
        int64_t t = w.timestamp(step);
        line += std::to_string(t / 1000);
        line += '.';
        char ms[4];
        std::snprintf(ms, sizeof(ms), "%03lld", static_cast<long long>(t % 1000));
        line += ms;
        line += '\n';
        out << line;
      }
    }
  }
  out << "# EOF\n";
  return out.good() ? 0 : 1;
}

std::vector<Request> LoadShard(const fs::path& path) {
  std::vector<Request> out;
  std::ifstream in(path, std::ios::binary);
  uint32_t head[3];
  while (in.read(reinterpret_cast<char*>(head), sizeof(head))) {
    Request r{head[0], head[1], std::string(head[2], '\0')};
    in.read(r.body.data(), head[2]);
    out.push_back(std::move(r));
  }
  return out;
}

int Send(const std::string& dir, const std::string& url, int connections) {
  // url: http://host:port/path
  std::string rest = url.substr(url.find("://") + 3);
  std::string hostport = rest.substr(0, rest.find('/'));
  std::string path = rest.substr(hostport.size());
  int shards = 0;
  while (fs::exists(fs::path(dir) / ("shard-" + std::to_string(shards) + ".bin"))) ++shards;
  if (shards == 0) {
    std::fprintf(stderr, "send: no shard files in %s\n", dir.c_str());
    return 1;
  }
  if (connections != shards) {
    std::fprintf(stderr, "send: %d shards were generated; using %d connections\n", shards, shards);
  }
  std::vector<std::vector<Request>> data(shards);
  for (int s = 0; s < shards; ++s) data[s] = LoadShard(fs::path(dir) / ("shard-" + std::to_string(s) + ".bin"));
  uint32_t max_step = 0;
  for (const auto& d : data) {
    if (!d.empty()) max_step = std::max(max_step, d.back().step);
  }

  std::atomic<int64_t> samples{0}, requests{0}, failures{0};
  std::mutex status_mu;
  std::map<int, int64_t> status_counts;
  std::string first_error;
  // All shards move through time together, as Prometheus's shards do, so no
  // shard runs ahead past the receivers' out-of-order windows.
  std::barrier sync(shards);
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int s = 0; s < shards; ++s) {
    threads.emplace_back([&, s] {
      httplib::Client cli(("http://" + hostport).c_str());
      cli.set_keep_alive(true);
      cli.set_tcp_nodelay(true);
      cli.set_read_timeout(120, 0);
      cli.set_write_timeout(120, 0);
      httplib::Headers headers = {{"Content-Encoding", "snappy"},
                                  {"X-Prometheus-Remote-Write-Version", "0.1.0"}};
      size_t i = 0;
      for (uint32_t step = 0; step <= max_step; ++step) {
        for (; i < data[s].size() && data[s][i].step == step; ++i) {
          const Request& r = data[s][i];
          auto res = cli.Post(path.c_str(), headers, r.body, "application/x-protobuf");
          int status = res ? res->status : -1;
          {
            std::lock_guard<std::mutex> lock(status_mu);
            ++status_counts[status];
            if (status / 100 != 2 && first_error.empty()) {
              first_error = res ? res->body : httplib::to_string(res.error());
            }
          }
          if (status / 100 == 2) {
            samples += r.samples;
          } else {
            ++failures;
          }
          ++requests;
        }
        sync.arrive_and_wait();
      }
    });
  }
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string codes;
  for (const auto& [code, n] : status_counts) {
    codes += (codes.empty() ? "" : ",") + std::string("\"") + std::to_string(code) +
             "\":" + std::to_string(n);
  }
  std::string err;
  for (char c : first_error.substr(0, 300)) {
    if (c == '"' || c == '\\') err += '\\';
    if (c == '\n') continue;
    err += c;
  }
  std::printf("{\"requests\":%lld,\"samples\":%lld,\"seconds\":%.3f,\"samples_per_second\":%.1f,"
              "\"failures\":%lld,\"status\":{%s},\"first_error\":\"%s\",\"connections\":%d}\n",
              static_cast<long long>(requests.load()), static_cast<long long>(samples.load()),
              secs, samples.load() / secs, static_cast<long long>(failures.load()), codes.c_str(),
              err.c_str(), shards);
  return failures.load() == 0 ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mytsdb-loadgen: deterministic remote-write load for benchmarks"};
  app.require_subcommand(1);
  WorkloadOptions wo;
  std::string duration = "2h", interval = "15s", out, dir, url, extra_label;
  int shards = 4, batch = 2500, connections = 4;
  auto add_workload = [&](CLI::App* c) {
    c->add_option("--workload", wo.kind, "node, churn or latency")
        ->check(CLI::IsMember({"node", "churn", "latency"}));
    c->add_option("--series", wo.num_series, "Active series");
    c->add_option("--duration", duration, "Time span of the data (e.g. 2h)");
    c->add_option("--interval", interval, "Sample interval (e.g. 15s)");
    c->add_option("--seed", wo.seed, "Random seed");
    c->add_option("--start-ms", wo.start_ms, "First timestamp (ms since epoch)");
    c->add_option("--label", extra_label, "NAME=VALUE added to every series (distinct senders)");
  };
  CLI::App* gen = app.add_subcommand("generate", "Build request bodies into a directory");
  add_workload(gen);
  gen->add_option("--shards", shards, "Shards = sender connections (default 4)");
  gen->add_option("--batch", batch, "Samples per request (default 2500)");
  gen->add_option("--out", out, "Output directory")->required();
  CLI::App* om = app.add_subcommand("openmetrics", "Write the same data as OpenMetrics text");
  add_workload(om);
  om->add_option("--out", out, "Output file")->required();
  CLI::App* send = app.add_subcommand("send", "Send generated bodies; prints a JSON summary");
  send->add_option("--dir", dir, "Directory written by generate")->required();
  send->add_option("--url", url, "Remote-write URL")->required();
  send->add_option("--connections", connections, "Must equal the generated shards");
  CLI::App* exporter = app.add_subcommand("exporter", "Serve /metrics?target=NAME for the scraping benchmark");
  std::string listen = "127.0.0.1:0";
  int exporter_series = 1000, exporter_threads = 4;
  exporter->add_option("--listen", listen, "HOST:PORT (port 0: any free port, printed)");
  exporter->add_option("--series", exporter_series, "Series per target");
  exporter->add_option("--threads", exporter_threads, "Threads answering scrapes");
  CLI11_PARSE(app, argc, argv);
  if (app.got_subcommand("exporter")) {
    const size_t colon = listen.rfind(':');
    return mytsdb::bench::RunExporter(listen.substr(0, colon), std::stoi(listen.substr(colon + 1)), exporter_series,
                                      exporter_threads);
  }
  try {
    wo.duration_ms = ParseDurationMs(duration);
    wo.interval_ms = ParseDurationMs(interval);
    if (!extra_label.empty()) {
      const size_t eq = extra_label.find('=');
      if (eq == 0 || eq == std::string::npos || eq + 1 == extra_label.size()) {
        throw CLI::ValidationError("label", "--label must be NAME=VALUE, not \"" + extra_label + "\"");
      }
      wo.extra_label = {extra_label.substr(0, eq), extra_label.substr(eq + 1)};
    }
  } catch (const CLI::Error& e) {
    std::fprintf(stderr, "loadgen: %s\n", e.what());
    return 1;
  }
  if (app.got_subcommand("generate")) return Generate(wo, shards, batch, out);
  if (app.got_subcommand("openmetrics")) return OpenMetrics(wo, out);
  return Send(dir, url, connections);
}
