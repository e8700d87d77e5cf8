#include "search/vocabulary.h"

#include <libstemmer.h>

#include <map>
#include <set>

#include "search/metric_text.h"

namespace mytsdb::search {

namespace {

// Synonym groups, head word first. A word is looked up as it is, then by
// its stem, so each group's words are keys both ways; a word whose stem is
// another common word ("timed" -> "time") must not be in a group.
const std::map<std::string, std::vector<std::string>, std::less<>>& Canonical() {
  static const auto* table = [] {
    const std::vector<std::vector<std::string>> groups = {
        {"error", "err", "errs", "failure", "fail", "failed", "fails"},
        {"receive", "received", "recv", "rx", "input", "inbound", "incoming"},
        {"transmit", "transmitted", "xmit", "tx", "sent", "send", "output", "outbound", "outgoing"},
        {"connection", "conn", "connected"},
        {"request", "req"},
        {"query", "question"},  // MySQL counts queries as "questions"
        {"response", "resp"},
        {"memory", "mem"},
        {"filesystem", "fs"},
        {"available", "avail", "free"},
        {"limit", "max", "maximum"},
        {"process", "proc"},
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
        {"drop", "dropped", "discard", "discarded", "loss", "lost"},
        {"eviction", "evict", "evicted", "nuked", "nuke"},
        {"usage", "used", "utilization", "utilisation"},
        {"hit"},
        {"miss", "missed"},
        {"fd", "descriptor", "filefd", "filedesc"},
        {"cpu", "processor"},
        {"temperature", "temp"},
        {"vm", "victoriametric"},
        {"lag", "delay", "behind"},
        {"boot", "reboot", "rebooted"},
        {"byte", "octet"},
        {"socket", "sock"},
        {"swap", "swapping", "swapped"},
        {"append", "ingest", "ingested", "insert", "inserted"},
        {"expire", "expiry", "expiration", "expired"},
        {"certificate", "cert"},
        {"statement", "stmt"},
        {"temporary", "tmp"},
        {"notification", "notify", "notified"},
        {"timeout", "timeouts"},
        {"restart", "restarted", "respawn"},
        {"retry", "retries", "retried", "retransmit", "retransmission", "retrans"},
        {"table", "relation"},
        {"interface", "iface", "nic", "if"},
        {"checkpoint", "checkpointer"},
        {"fragmentation", "frag", "fragmented"},
        {"tuple", "tup", "row"},
        {"average", "avg", "mean"},
        {"heap", "alloc", "allocation", "allocated"},
        {"block", "blk", "blks"},
        {"resolve", "resolver", "resolution", "lookup"},
        {"description", "descr"},
        {"operational", "oper"},
        {"unicast", "ucast"},
        {"software", "sw"},
        {"performance", "perf"},
        {"established", "estab"},
        {"pg", "postgres", "postgresql"},
        {"mysql", "mariadb"},
    };
    auto* t = new std::map<std::string, std::vector<std::string>, std::less<>>;
    for (const auto& group : groups) {
      for (const std::string& word : group) {
        (*t)[word] = {group.front()};
        (*t)[Stem(word)] = {group.front()};
      }
    }
    // Words that are two.
    (*t)["qcache"] = {"query", "cache"};
    (*t)["pswpin"] = {"swap", "receive"};
    (*t)["pswpout"] = {"swap", "transmit"};
    (*t)["kbyte"] = {"byte"};
    // Compounds in metric names.
    for (const auto& [compound, parts] : std::vector<std::pair<std::string, std::vector<std::string>>>{
             {"namedprocess", {"process"}},        {"namegroup", {"name", "group"}},
             {"pagecache", {"page", "cache"}},     {"sockstat", {"socket", "stat"}},
             {"netstat", {"network", "stat"}},     {"memstats", {"memory", "stat"}},
             {"inuse", {"usage"}},                 {"remotewrite", {"remote", "write"}},
             {"hitmiss", {"hit", "miss"}},         {"loadbalanced", {"load", "balance"}},
             {"pagefaults", {"page", "fault"}},    {"processlist", {"process", "list"}},
             {"hugepages", {"huge", "page"}},      {"slowlog", {"slow", "log"}},
             {"persistentqueue", {"persistent", "queue"}}, {"tcplistener", {"tcp", "listener"}},
             {"filestream", {"file", "stream"}},   {"zoneinfo", {"zone", "information"}},
             {"promscrape", {"scrape"}},           {"maxclients", {"limit", "client"}},
             {"maxmemory", {"limit", "memory"}},   {"syscalls", {"syscall"}},
             {"cpuload", {"cpu", "load"}},         {"uptime", {"uptime", "boot"}},
             {"keyspace", {"keyspace", "key"}},    {"pagesize", {"page", "size"}},
             {"conntrack", {"connection", "track"}}, {"timex", {"time", "clock"}},
             {"currestab", {"current", "established"}}, {"hwmon", {"hardware", "sensor"}},
             {"swrun", {"software", "run", "process"}}, {"filedesc", {"fd"}},
             {"nucast", {"multicast", "broadcast"}}, {"hcin", {"receive"}}, {"hcout", {"transmit"}},
         }) {
      (*t)[compound] = parts;
    }
    return t;
  }();
  return *table;
}

// What people abbreviate in questions, as words (canonicalized when used).
const std::map<std::string, std::vector<std::string>, std::less<>>& QueryExpansions() {
  static const auto* table = [] {
    const std::vector<std::pair<std::string, std::vector<std::string>>> words = {
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
      {"disk", {"disk", "filesystem"}},
      {"full", {"available", "size"}},
      {"space", {"space", "available", "size"}},
      {"inode", {"inode", "file"}},
      {"reachable", {"probe", "success", "up"}},
      {"reachability", {"probe", "success", "up"}},
      {"website", {"http", "probe"}},
      {"site", {"http", "probe"}},
      {"url", {"http", "probe"}},
      {"https", {"https", "ssl", "tls"}},
      {"handle", {"fd"}},
      {"bandwidth", {"byte", "total"}},
      {"throughput", {"byte", "total"}},
      {"traffic", {"byte", "packet"}},
      {"ping", {"ping", "icmp", "rtt"}},
      {"slow", {"slow", "duration"}},
      {"slowest", {"slow", "duration"}},
      {"ram", {"memory"}},
      {"crash", {"restart", "panic"}},
      {"clock", {"clock", "time", "offset"}},
      {"skew", {"offset", "skew"}},
      {"drift", {"offset", "drift"}},
      {"5xx", {"5xx", "error", "code"}},
      {"4xx", {"4xx", "error", "code"}},
      {"cardinality", {"series"}},
      {"ratio", {"ratio", "hit", "miss"}},
      {"kernel", {"kernel", "uname"}},
      {"version", {"version", "information", "release"}},
      {"temperature", {"temperature", "celsius"}},
      {"ntp", {"ntp", "clock", "sync"}},
      {"psi", {"pressure"}},
      {"certificate", {"certificate", "ssl", "tls"}},
      {"persistence", {"rdb", "aof", "save"}},
      {"snapshot", {"snapshot", "rdb", "save"}},
      {"flapping", {"carrier", "change", "operational", "status"}},
      {"flap", {"carrier", "change", "operational", "status"}},
      {"link", {"link", "carrier", "operational"}},
      {"cluster", {"cluster", "peer", "gossip"}},
      {"down", {"down", "up"}},
      {"alive", {"up"}},
      {"healthy", {"health", "up"}},
      {"pause", {"pause", "duration"}},
      {"restart", {"restart", "start", "uptime"}},
      {"balancer", {"balancer", "haproxy"}},
      {"proxy", {"proxy", "haproxy", "squid"}},
    };
    // Looked up by the word or its stem ("disks", "websites").
    auto* t = new std::map<std::string, std::vector<std::string>, std::less<>>;
    for (const auto& [word, expansion] : words) {
      (*t)[word] = expansion;
      t->emplace(Stem(word), expansion);
    }
    return t;
  }();
  return *table;
}

// Words of questions that say nothing of a metric ("how many ... are there").
bool IsStopWord(std::string_view word) {
  static const auto* words = new std::set<std::string, std::less<>>{
      "a",     "an",   "and",  "any",   "are",  "as",   "at",    "be",    "by",   "can",  "did",  "do",
      "does",  "for",  "from", "have",  "has",  "how",  "i",     "in",    "is",   "it",   "its",  "me",
      "many",  "much", "my",   "of",    "on",   "or",   "our",   "show",  "so",   "that", "the",  "their",
      "there", "this", "to",   "want",  "was",  "we",   "were",  "what",  "when", "where", "which", "who",
      "why",   "with", "see",  "right", "now",  "each", "all",   "get",   "too",  "if",
  };
  return words->contains(word);
}

}  // namespace

std::string Stem(std::string_view term) {
  // A stemmer holds its buffer: one per thread.
  struct Stemmer {
    sb_stemmer* stemmer = sb_stemmer_new("english", "UTF_8");
    ~Stemmer() { sb_stemmer_delete(stemmer); }
  };
  thread_local Stemmer english;
  if (english.stemmer == nullptr || term.size() < 3) return std::string(term);
  const sb_symbol* stemmed =
      sb_stemmer_stem(english.stemmer, reinterpret_cast<const sb_symbol*>(term.data()), static_cast<int>(term.size()));
  if (stemmed == nullptr) return std::string(term);
  return std::string(reinterpret_cast<const char*>(stemmed), static_cast<size_t>(sb_stemmer_length(english.stemmer)));
}

std::vector<std::string> CanonicalTerms(std::string_view word) {
  auto it = Canonical().find(word);
  std::string stemmed = Stem(word);
  if (it == Canonical().end()) it = Canonical().find(stemmed);
  if (it == Canonical().end()) return {std::move(stemmed)};
  // A compound's parts are words too: each one in its canonical form.
  std::vector<std::string> out;
  for (const std::string& part : it->second) {
    auto head = Canonical().find(part);
    out.push_back(head != Canonical().end() && head->second.size() == 1 ? head->second.front() : Stem(part));
  }
  return out;
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
    if (IsStopWord(word)) continue;
    for (std::string& t : CanonicalTerms(word)) out.push_back(std::move(t));
    auto it = QueryExpansions().find(word);
    if (it == QueryExpansions().end()) it = QueryExpansions().find(Stem(word));
    if (it != QueryExpansions().end()) {
      for (const std::string& expansion : it->second) {
        for (std::string& t : CanonicalTerms(expansion)) out.push_back(std::move(t));
      }
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
      {"filedesc", "file descriptors"}, {"namedprocess", "named process"}, {"namegroup", "name group"},
      {"pagecache", "page cache"},   {"sockstat", "socket statistics"}, {"netstat", "network statistics"},
      {"memstats", "memory statistics"}, {"inuse", "in use"},    {"remotewrite", "remote write"},
      {"hitmiss", "hit miss"},       {"loadbalanced", "load balanced"}, {"pagefaults", "page faults"},
      {"processlist", "process list"}, {"hugepages", "huge pages"}, {"slowlog", "slow log"},
      {"persistentqueue", "persistent queue"}, {"tcplistener", "tcp listener"}, {"filestream", "file stream"},
      {"zoneinfo", "zone information"}, {"maxclients", "max clients"}, {"maxmemory", "max memory"},
      {"cpuload", "cpu load"},       {"currestab", "currently established"}, {"hwmon", "hardware monitor"},
      {"swrun", "software running"}, {"blks", "blocks"},       {"blk", "block"},          {"descr", "description"},
      {"oper", "operational"},       {"ucast", "unicast"},     {"nucast", "non-unicast"}, {"stmt", "statement"},
      {"conntrack", "connection tracking"}, {"estab", "established"}, {"perf", "performance"},
  };
  auto it = table->find(word);
  return it == table->end() ? word : std::string_view(it->second);
}

}  // namespace mytsdb::search
