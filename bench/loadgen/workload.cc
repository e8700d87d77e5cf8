#include "workload.h"

#include <cmath>

namespace mytsdb::bench {

namespace {

uint64_t SplitMix(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double Round2(double v) { return std::round(v * 100) / 100; }

const char* kModes[] = {"idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"};
const double kLe[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
constexpr int kNumLe = sizeof(kLe) / sizeof(kLe[0]);

}  // namespace

Workload::Workload(const WorkloadOptions& options) : options_(options) {
  int64_t pod_slots = options.kind == "churn" ? options.num_series * 3 / 10 : 0;
  int64_t latency_slots = options.kind == "latency" ? options.num_series : 0;
  int64_t host_budget = options.num_series - pod_slots - latency_slots;
  for (int64_t host = 0; static_cast<int64_t>(slots_.size()) < host_budget; ++host) {
    AddHost(host, host_budget - static_cast<int64_t>(slots_.size()));
  }
  AddPodSlots(pod_slots);
  AddLatencySlots(latency_slots);
  if (!options.extra_label.name.empty()) {
    for (Slot& slot : slots_) {
      std::vector<model::Label> ls = slot.labels.items();
      ls.push_back(options.extra_label);
      slot.labels = model::Labels::FromUnsorted(std::move(ls));
    }
  }
  // Per-slot random state derives from the seed and the slot index only.
  for (size_t i = 0; i < slots_.size(); ++i) {
    uint64_t s = options.seed * 0x100000001b3ULL + i;
    slots_[i].ident = SplitMix(&s);
    slots_[i].rng = slots_[i].ident;
    Slot& slot = slots_[i];
    if (slot.kind == Kind::kBucket || slot.kind == Kind::kHistSum ||
        slot.kind == Kind::kHistCount) {
      // Every series of one histogram must see the same request counts.
      uint64_t id = std::hash<std::string>{}(std::string(slot.labels.Get("instance")) +
                                             std::string(slot.labels.Get("handler")));
      slot.rate = 5 + static_cast<double>(id % 46);
      slot.phase = static_cast<double>(id % 628) / 100;
    }
  }
}

void Workload::AddHost(int64_t host, int64_t budget) {
  std::string instance = "host-" + std::to_string(host) + ":9100";
  auto add = [&](Kind kind, std::string family, std::string type, model::Labels labels,
                 double value, double scale) {
    if (budget-- <= 0) return;
    Slot s;
    s.kind = kind;
    s.family = family;
    s.type = std::move(type);
    std::vector<model::Label> ls = labels.items();
    ls.push_back({"__name__", std::move(family)});
    ls.push_back({"instance", instance});
    ls.push_back({"job", "node"});
    s.labels = model::Labels::FromUnsorted(std::move(ls));
    s.value = value;
    s.scale = scale;
    slots_.push_back(std::move(s));
  };
  for (int cpu = 0; cpu < 8; ++cpu) {
    for (const char* mode : kModes) {
      add(Kind::kCounterFrac, "node_cpu_seconds_total", "counter",
          {{"cpu", std::to_string(cpu)}, {"mode", mode}}, 100000 + cpu * 1000, 1500);
    }
  }
  for (const char* dev : {"eth0", "eth1", "lo"}) {
    for (const char* dir : {"receive", "transmit"}) {
      for (const char* what : {"bytes", "packets", "errs", "drop"}) {
        double scale = std::string(what) == "bytes" ? 2000000 : std::string(what) == "packets" ? 3000 : 3;
        add(Kind::kCounterInt, std::string("node_network_") + dir + "_" + what + "_total",
            "counter", {{"device", dev}}, 0, scale);
      }
    }
  }
  for (const char* dev : {"sda", "sdb"}) {
    for (const char* what : {"reads_completed", "writes_completed", "read_bytes", "written_bytes"}) {
      add(Kind::kCounterInt, std::string("node_disk_") + what + "_total", "counter",
          {{"device", dev}}, 0, std::string(what).find("bytes") != std::string::npos ? 500000 : 200);
    }
    add(Kind::kCounterFrac, "node_disk_io_time_seconds_total", "counter", {{"device", dev}}, 0, 300);
  }
  for (const char* mount : {"/", "/var", "/home"}) {
    model::Labels fs{{"device", std::string("/dev/sd") + (mount[1] == 'v' ? "b1" : "a1")},
                     {"fstype", "ext4"}, {"mountpoint", mount}};
    add(Kind::kConstant, "node_filesystem_size_bytes", "gauge", fs, 536870912000.0, 0);
    add(Kind::kGaugeBytes, "node_filesystem_avail_bytes", "gauge", fs, 214748364800.0, 16);
    add(Kind::kGaugeBytes, "node_filesystem_free_bytes", "gauge", fs, 236223201280.0, 16);
  }
  add(Kind::kConstant, "node_memory_MemTotal_bytes", "gauge", {}, 68719476736.0, 0);
  for (const char* m : {"MemFree", "MemAvailable", "Cached", "Buffers"}) {
    add(Kind::kGaugeBytes, std::string("node_memory_") + m + "_bytes", "gauge", {},
        8589934592.0, 256);
  }
  add(Kind::kGaugeWalk, "node_load1", "gauge", {}, 1.5, 0.2);
  add(Kind::kGaugeWalk, "node_load5", "gauge", {}, 1.2, 0.05);
  add(Kind::kGaugeWalk, "node_load15", "gauge", {}, 1.0, 0.02);
  add(Kind::kConstant, "node_boot_time_seconds", "gauge", {}, 1766000000.0 + host * 37, 0);
  for (const char* handler : {"/api/v1/query", "/api/v1/write", "/metrics"}) {
    for (int k = 0; k <= kNumLe; ++k) {
      char le[32];
      if (k < kNumLe) {
        std::snprintf(le, sizeof(le), "%g", kLe[k]);
      } else {
        std::snprintf(le, sizeof(le), "+Inf");
      }
      // scale = the bucket's share of requests (a CDF).
      double cdf = k < kNumLe ? 1 - std::exp(-kLe[k] / 0.08) : 1;
      add(Kind::kBucket, "http_request_duration_seconds_bucket", "histogram",
          {{"handler", handler}, {"le", le}}, 0, cdf);
    }
    add(Kind::kHistSum, "http_request_duration_seconds_sum", "histogram", {{"handler", handler}},
        0, 0.08);
    add(Kind::kHistCount, "http_request_duration_seconds_count", "histogram",
        {{"handler", handler}}, 0, 1);
  }
}

void Workload::AddPodSlots(int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    Slot s;
    bool cpu = i % 2 == 0;
    s.kind = cpu ? Kind::kCounterFrac : Kind::kGaugeBytes;
    s.family = cpu ? "container_cpu_usage_seconds_total" : "container_memory_working_set_bytes";
    s.type = cpu ? "counter" : "gauge";
    s.scale = cpu ? 50 : 64;
    s.value = cpu ? 0 : 268435456.0;
    s.churns = true;
    s.labels = model::Labels{{"__name__", s.family}, {"namespace", "ns-" + std::to_string(i % 20)},
                             {"container", "app"}};
    slots_.push_back(std::move(s));
  }
}

void Workload::AddLatencySlots(int64_t count) {
  constexpr int64_t kCustomers = 1000;
  for (int64_t i = 0; i < count; ++i) {
    Slot s;
    s.kind = Kind::kLatency;
    s.family = "request_latency_seconds";
    s.type = "gauge";
    const int64_t customer = i % kCustomers;
    // Medians from 20 ms to 216 ms, so that the customers' P99s differ.
    s.scale = 0.020 + 0.004 * static_cast<double>(customer % 50);
    s.labels = model::Labels{{"__name__", s.family},
                             {"customer_id", "cust-" + std::to_string(customer)},
                             {"instance", "api-" + std::to_string(i / kCustomers) + ":8080"},
                             {"job", "api"}};
    slots_.push_back(std::move(s));
  }
}

const model::Labels& Workload::LabelsAt(int64_t slot, int64_t step) {
  Slot& s = slots_[slot];
  if (!s.churns) return s.labels;
  // Each slot's pods start at an offset of their own, so they do not all
  // restart together.
  int64_t offset = static_cast<int64_t>(s.ident % static_cast<uint64_t>(options_.pod_lifetime_ms));
  int64_t generation = (step * options_.interval_ms + offset) / options_.pod_lifetime_ms;
  if (generation != s.pod_generation) {
    s.pod_generation = generation;
    uint64_t h = s.ident ^ (static_cast<uint64_t>(generation) * 0x9e3779b97f4a7c15ULL);
    uint64_t hs = h;
    std::vector<model::Label> ls = s.labels.items();
    ls.push_back({"pod", "pod-" + std::to_string(slot) + "-" + std::to_string(generation)});
    ls.push_back({"customer_id", "cust-" + std::to_string(SplitMix(&hs) % 10000)});
    s.current = model::Labels::FromUnsorted(std::move(ls));
    // A new pod's counters start at zero, and its first sample shows that
    // zero (rate() then extrapolates the same way in Prometheus 2.x and 3.x).
    if (s.kind == Kind::kCounterFrac) {
      s.value = 0;
      s.pod_started = true;
    }
  }
  return s.current;
}

double Workload::NextValue(int64_t slot, int64_t step) {
  Slot& s = slots_[slot];
  uint64_t r = SplitMix(&s.rng);
  switch (s.kind) {
    case Kind::kCounterInt:
      s.value += static_cast<double>(r % static_cast<uint64_t>(s.scale + 1));
      return s.value;
    case Kind::kCounterFrac:
      if (s.pod_started) {
        s.pod_started = false;
        return s.value;
      }
      s.value = Round2(s.value + static_cast<double>(r % static_cast<uint64_t>(s.scale + 1)) / 100);
      return s.value;
    case Kind::kGaugeWalk: {
      double delta = (static_cast<double>(r % 2001) / 1000 - 1) * s.scale;
      s.value = Round2(std::max(0.0, s.value + delta));
      return s.value;
    }
    case Kind::kGaugeBytes: {
      int64_t pages = static_cast<int64_t>(r % static_cast<uint64_t>(2 * s.scale + 1)) -
                      static_cast<int64_t>(s.scale);
      s.value = std::max(0.0, s.value + 4096.0 * pages);
      return s.value;
    }
    case Kind::kConstant:
      return s.value;
    case Kind::kLatency: {
      // Log-normal around the median (sigma 0.5), by Box-Muller, in ms.
      const double u1 = (static_cast<double>(r >> 11) + 0.5) / 9007199254740992.0;
      const double u2 = static_cast<double>(SplitMix(&s.rng) >> 11) / 9007199254740992.0;
      const double normal = std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
      return std::round(s.scale * std::exp(0.5 * normal) * 1000) / 1000;
    }
    case Kind::kBucket:
    case Kind::kHistSum:
    case Kind::kHistCount: {
      // All series of one histogram derive from the same request count, a
      // closed form of the step, so buckets stay cumulative and monotonic.
      double count =
          s.rate * step + std::floor(s.rate / 2 * (1 + std::sin(step * 0.1 + s.phase)));
      if (s.kind == Kind::kBucket) return std::floor(count * s.scale);
      if (s.kind == Kind::kHistCount) return count;
      return Round2(count * s.scale);
    }
  }
  return 0;
}

const std::string& Workload::TypeOf(int64_t slot) const { return slots_[slot].type; }
const std::string& Workload::FamilyOf(int64_t slot) const { return slots_[slot].family; }

int64_t Workload::TotalSeries() const {
  int64_t total = 0;
  int64_t end = num_steps() * options_.interval_ms;
  for (const Slot& s : slots_) {
    if (!s.churns) {
      ++total;
      continue;
    }
    int64_t offset = static_cast<int64_t>(s.ident % static_cast<uint64_t>(options_.pod_lifetime_ms));
    total += (end - options_.interval_ms + offset) / options_.pod_lifetime_ms -
             offset / options_.pod_lifetime_ms + 1;
  }
  return total;
}

}  // namespace mytsdb::bench
