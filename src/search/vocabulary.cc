#include "search/vocabulary.h"

#include <map>

#include "search/metric_text.h"

namespace mytsdb::search {

namespace {

// Synonym groups, head word first; every word is stemmed before lookup.
const std::map<std::string, std::vector<std::string>, std::less<>>& Canonical() {
  static const auto* table = [] {
    const std::vector<std::vector<std::string>> groups = {
        {"error", "err", "errs", "failure", "fail", "failed", "fails"},
        {"receive", "received", "recv", "rx", "input", "inbound", "incoming"},
        {"transmit", "transmitted", "xmit", "tx", "sent", "send", "output", "outbound", "outgoing"},
        {"connection", "conn", "connected"},
        {"request", "req"},
        {"response", "resp"},
        {"memory", "mem"},
        {"filesystem", "fs"},
        {"available", "avail", "free"},
        {"limit", "max", "maximum"},
        {"process", "processe", "proc"},
        {"network", "net"},
        {"database", "db"},
        {"transaction", "txn", "xact"},
        {"replica", "slave", "standby", "follower"},
        {"primary", "master", "leader"},
        {"replication", "repl"},
        {"duration", "latency"},
        {"second", "sec"},
        {"percent", "pct", "percentage"},
        {"information", "info"},
        {"packet", "pkt"},
        {"drop", "dropped", "discard", "discarded"},
        {"eviction", "evict", "evicted"},
        {"usage", "used"},
        {"hit"},
        {"miss", "missed"},
        {"fd", "descriptor", "filefd"},
        {"cpu", "processor"},
        {"temperature", "temp"},
        {"vm", "victoriametric"},
        {"lag", "delay", "behind"},
    };
    auto* t = new std::map<std::string, std::vector<std::string>, std::less<>>;
    for (const auto& group : groups) {
      for (const std::string& word : group) (*t)[word] = {group.front()};
    }
    // Words that are two.
    (*t)["qcache"] = {"query", "cache"};
    (*t)["pswpin"] = {"swap", "receive"};
    (*t)["pswpout"] = {"swap", "transmit"};
    (*t)["kbyte"] = {"byte"};
    return t;
  }();
  return *table;
}

// What people abbreviate in questions, already canonical.
const std::map<std::string, std::vector<std::string>, std::less<>>& QueryExpansions() {
  static const auto* table = new std::map<std::string, std::vector<std::string>, std::less<>>{
      // A rate per second is a counter's: "request" and "total" find it,
      // "per second" would find durations in seconds.
      {"rps", {"request", "total"}},
      {"qps", {"query", "total"}},
      {"tps", {"transaction", "total"}},
      {"oom", {"oom", "memory", "kill"}},
      {"p50", {"quantile", "duration", "bucket"}},
      {"p90", {"quantile", "duration", "bucket"}},
      {"p95", {"quantile", "duration", "bucket"}},
      {"p99", {"quantile", "duration", "bucket"}},
      {"gc", {"gc", "garbage", "collection"}},
      {"rtt", {"round", "trip", "duration"}},
      {"ssl", {"ssl", "tls"}},
      {"tls", {"tls", "ssl"}},
      {"uptime", {"uptime", "start", "boot"}},
      {"io", {"io", "read", "write"}},
  };
  return *table;
}

}  // namespace

std::string Stem(std::string_view term) {
  if (term.size() > 4 && term.ends_with("ies")) return std::string(term.substr(0, term.size() - 3)) + "y";
  if (term.size() >= 3 && term.back() == 's' && !term.ends_with("ss") && !term.ends_with("us") &&
      !term.ends_with("is")) {
    term.remove_suffix(1);
  }
  return std::string(term);
}

std::vector<std::string> CanonicalTerms(std::string_view word) {
  std::string stemmed = Stem(word);
  auto it = Canonical().find(stemmed);
  if (it == Canonical().end()) it = Canonical().find(word);
  if (it != Canonical().end()) return it->second;
  return {std::move(stemmed)};
}

std::vector<std::string> DocumentTerms(std::string_view text) {
  std::vector<std::string> out;
  for (const std::string& word : Terms(text)) {
    for (std::string& t : CanonicalTerms(word)) out.push_back(std::move(t));
  }
  return out;
}

std::vector<std::string> QueryTerms(std::string_view question) {
  std::vector<std::string> out;
  for (const std::string& word : Terms(question)) {
    for (std::string& t : CanonicalTerms(word)) out.push_back(std::move(t));
    if (auto it = QueryExpansions().find(word); it != QueryExpansions().end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
    }
  }
  return out;
}

std::string_view ReadableWord(std::string_view word) {
  static const auto* table = new std::map<std::string, std::string, std::less<>>{
      {"errs", "errors"},       {"err", "error"},         {"recv", "receive"},       {"xmit", "transmit"},
      {"avail", "available"},   {"conn", "connection"},   {"conns", "connections"},  {"req", "request"},
      {"reqs", "requests"},     {"resp", "response"},     {"mem", "memory"},         {"fs", "filesystem"},
      {"repl", "replication"},  {"txn", "transaction"},   {"xact", "transaction"},   {"pkts", "packets"},
      {"qcache", "query cache"}, {"fds", "file descriptors"}, {"fd", "file descriptor"}, {"pct", "percent"},
      {"procs", "processes"},   {"proc", "process"},      {"tup", "tuple"},          {"tmp", "temporary"},
      {"pswpin", "pages swapped in"}, {"pswpout", "pages swapped out"}, {"filefd", "file descriptors"},
  };
  auto it = table->find(word);
  return it == table->end() ? word : std::string_view(it->second);
}

}  // namespace mytsdb::search
