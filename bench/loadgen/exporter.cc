#include "exporter.h"

#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <functional>

namespace mytsdb::bench {

std::string ExporterBody(const std::string& target, int series, long long unix_seconds) {
  // 40 series a family, with HELP and TYPE, labels as a node exporter's.
  static const char* kModes[] = {"idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"};
  const size_t seed = std::hash<std::string>()(target);
  std::string body;
  body.reserve(static_cast<size_t>(series) * 80);
  char line[256];
  for (int i = 0; i < series; ++i) {
    const int family = i / 40;
    if (i % 40 == 0) {
      std::snprintf(line, sizeof line,
                    "# HELP bench_metric_%d_total A counter of the fake exporter, family %d.\n"
                    "# TYPE bench_metric_%d_total counter\n",
                    family, family, family);
      body += line;
    }
    // Grows by a per-series step each second: a realistic counter.
    const long long value = static_cast<long long>((seed + i * 7919) % 100000) + unix_seconds * (1 + i % 13);
    std::snprintf(line, sizeof line, "bench_metric_%d_total{cpu=\"%d\",mode=\"%s\",device=\"sd%c\"} %lld\n", family,
                  i % 16, kModes[i % 8], static_cast<char>('a' + i % 4), value);
    body += line;
  }
  return body;
}

int RunExporter(const std::string& host, int port, int series, int threads) {
  httplib::Server server;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // Each scrape on its own connection: httplib gives a connection a thread
  // while it stays open, and thousands of idle keep-alive scrapers would
  // hold every thread.
  server.set_keep_alive_max_count(1);
  server.Get("/metrics", [series](const httplib::Request& req, httplib::Response& res) {
    const std::string target = req.get_param_value("target");
    const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    res.set_content(ExporterBody(target, series, now), "text/plain; version=0.0.4; charset=utf-8");
  });
  const int bound = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    std::fprintf(stderr, "exporter: cannot listen on %s:%d\n", host.c_str(), port);
    return 1;
  }
  std::printf("exporter listening on %s:%d\n", host.c_str(), bound);
  std::fflush(stdout);
  return server.listen_after_bind() ? 0 : 1;
}

}  // namespace mytsdb::bench
