#include "workload.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace mytsdb::bench {
namespace {

WorkloadOptions Small(const std::string& kind) {
  WorkloadOptions o;
  o.kind = kind;
  o.num_series = 1000;
  o.duration_ms = 3600 * 1000;
  return o;
}

TEST(WorkloadTest, NodeHasTheRequestedSeriesAndIsDeterministic) {
  Workload a(Small("node")), b(Small("node"));
  ASSERT_EQ(a.num_slots(), 1000);
  EXPECT_EQ(a.TotalSeries(), 1000);
  std::set<model::Labels> distinct;
  for (int64_t s = 0; s < a.num_slots(); ++s) {
    EXPECT_TRUE(a.LabelsAt(s, 0).Validate().ok()) << a.LabelsAt(s, 0).ToString();
    distinct.insert(a.LabelsAt(s, 0));
    for (int64_t step = 0; step < 10; ++step) EXPECT_EQ(a.NextValue(s, step), b.NextValue(s, step));
  }
  EXPECT_EQ(distinct.size(), 1000u);
}

TEST(WorkloadTest, AnExtraLabelMakesEverySeriesDistinctFromAnotherSenders) {
  WorkloadOptions o = Small("node");
  o.extra_label = {"shard", "w2"};
  Workload plain(Small("node")), tagged(o);
  ASSERT_EQ(plain.num_slots(), tagged.num_slots());
  for (int64_t s = 0; s < tagged.num_slots(); ++s) {
    const model::Labels& ls = tagged.LabelsAt(s, 0);
    EXPECT_EQ(ls.Get("shard"), "w2");
    EXPECT_TRUE(ls.Validate().ok()) << ls.ToString();
    EXPECT_EQ(ls.size(), plain.LabelsAt(s, 0).size() + 1);
  }
}

TEST(WorkloadTest, CountersNeverDecreaseAndHistogramsStayCumulative) {
  Workload w(Small("node"));
  std::map<std::string, double> last;
  for (int64_t step = 0; step < w.num_steps(); ++step) {
    std::map<std::string, std::vector<std::pair<double, double>>> buckets;  // per histogram
    for (int64_t s = 0; s < w.num_slots(); ++s) {
      const model::Labels& ls = w.LabelsAt(s, step);
      double v = w.NextValue(s, step);
      std::string name(ls.metric_name());
      bool counter = name.ends_with("_total") || name.ends_with("_bucket") ||
                     name.ends_with("_count") || name.ends_with("_sum");
      if (counter) {
        std::string key = ls.ToString();
        if (last.count(key)) ASSERT_GE(v, last[key]) << key << " step " << step;
        last[key] = v;
      }
      if (name.ends_with("_bucket")) {
        std::string le(ls.Get("le"));
        double bound = le == "+Inf" ? 1e300 : std::stod(le);
        buckets[std::string(ls.Get("instance")) + std::string(ls.Get("handler"))].push_back({bound, v});
      }
    }
    for (auto& [h, bs] : buckets) {
      std::sort(bs.begin(), bs.end());
      for (size_t i = 1; i < bs.size(); ++i) ASSERT_GE(bs[i].second, bs[i - 1].second) << h;
    }
  }
}

TEST(WorkloadTest, ChurnCreatesSeriesOverTimeWithHighCardinalityCustomers) {
  WorkloadOptions o = Small("churn");
  o.num_series = 10000;
  Workload w(o);
  std::set<model::Labels> seen;
  std::set<std::string> customers;
  for (int64_t step = 0; step < w.num_steps(); ++step) {
    for (int64_t s = 0; s < w.num_slots(); ++s) {
      const model::Labels& ls = w.LabelsAt(s, step);
      seen.insert(ls);
      if (ls.Has("customer_id")) customers.insert(std::string(ls.Get("customer_id")));
      w.NextValue(s, step);
    }
  }
  EXPECT_EQ(static_cast<int64_t>(seen.size()), w.TotalSeries());
  EXPECT_GT(w.TotalSeries(), 10000 + 3000);  // pods restarted within the hour
  EXPECT_GT(customers.size(), 2500u);
}

TEST(WorkloadTest, LatencyIsOneGaugePerCustomerAndInstanceInMilliseconds) {
  WorkloadOptions o = Small("latency");
  o.num_series = 3000;
  Workload w(o);
  ASSERT_EQ(w.num_slots(), 3000);
  std::set<std::string> customers, instances;
  std::map<std::string, std::vector<double>> by_customer;
  for (int64_t step = 0; step < w.num_steps(); ++step) {
    for (int64_t s = 0; s < w.num_slots(); ++s) {
      const model::Labels& ls = w.LabelsAt(s, step);
      ASSERT_EQ(ls.metric_name(), "request_latency_seconds");
      customers.insert(std::string(ls.Get("customer_id")));
      instances.insert(std::string(ls.Get("instance")));
      const double v = w.NextValue(s, step);
      ASSERT_GT(v, 0);
      ASSERT_DOUBLE_EQ(std::round(v * 1000) / 1000, v);  // whole milliseconds
      by_customer[std::string(ls.Get("customer_id"))].push_back(v);
    }
  }
  EXPECT_EQ(customers.size(), 1000u);
  EXPECT_EQ(instances.size(), 3u);
  // Medians follow the customer: cust-49's is about ten times cust-0's.
  auto median = [&](const std::string& c) {
    std::vector<double> v = by_customer[c];
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  EXPECT_NEAR(median("cust-0"), 0.020, 0.004);
  EXPECT_NEAR(median("cust-49"), 0.216, 0.03);
  // Deterministic: the same seed, the same values.
  Workload again(o);
  EXPECT_EQ(again.NextValue(7, 0), Workload(o).NextValue(7, 0));
}

}  // namespace
}  // namespace mytsdb::bench
