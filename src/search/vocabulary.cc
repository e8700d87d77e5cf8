#include "search/vocabulary.h"

#include <map>

#include "search/metric_text.h"

namespace mytsdb::search {

std::string Stem(std::string_view term) {
  if (term.size() > 3 && term.back() == 's' && !term.ends_with("ss") && !term.ends_with("us") &&
      !term.ends_with("is") && term != "bytes") {
    term.remove_suffix(1);
  }
  return std::string(term);
}

const std::vector<std::string>& Expansion(std::string_view term) {
  static const auto* table = new std::map<std::string, std::vector<std::string>, std::less<>>{
      // A rate per second is a counter's: "requests" and "total" find it,
      // "per second" would find durations in seconds.
      {"rps", {"requests", "total"}},
      {"qps", {"queries", "total"}},
      {"tps", {"transactions", "total"}},
      {"oom", {"out", "of", "memory", "oom", "killed"}},
      {"p50", {"quantile", "percentile", "median", "duration", "latency"}},
      {"p90", {"quantile", "percentile", "duration", "latency"}},
      {"p95", {"quantile", "percentile", "duration", "latency"}},
      {"p99", {"quantile", "percentile", "duration", "latency"}},
      {"latency", {"duration", "seconds", "latency"}},
      {"mem", {"memory"}},
      {"fs", {"filesystem"}},
      {"db", {"database"}},
      {"k8s", {"kubernetes"}},
      {"gc", {"gc", "garbage", "collection"}},
      {"rtt", {"round", "trip", "time"}},
      {"tx", {"transmit", "sent"}},
      {"rx", {"receive", "received"}},
      {"cpu", {"cpu", "processor"}},
      {"ssl", {"ssl", "tls"}},
      {"tls", {"tls", "ssl"}},
      {"uptime", {"uptime", "start", "time", "boot"}},
  };
  static const std::vector<std::string> kNone;
  auto it = table->find(term);
  return it == table->end() ? kNone : it->second;
}

std::vector<std::string> QueryTerms(std::string_view question) {
  std::vector<std::string> out;
  for (const std::string& term : Terms(question)) {
    out.push_back(Stem(term));
    for (const std::string& more : Expansion(term)) out.push_back(Stem(more));
  }
  return out;
}

}  // namespace mytsdb::search
