#include "telemetry/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

namespace mytsdb::telemetry {
namespace {

TEST(MetricsTest, RendersCountersHistogramsAndCollectors) {
  Registry r;
  auto& requests = r.Counter("http_requests_total", "Requests.", {"handler", "code"});
  requests.Add({"/api/v1/write", "204"}, 2);
  requests.Add({"/api/v1/write", "400"}, 1);
  auto& latency = r.Histogram("http_request_duration_seconds", "Latency.", {"handler"}, {0.1, 1});
  latency.Observe({"/metrics"}, 0.05);
  latency.Observe({"/metrics"}, 0.5);
  latency.Observe({"/metrics"}, 5);
  r.AddCollector([](TextWriter* w) {
    w->Family("active_series", "gauge", "Series in \\ memory\nnow.");
    w->Sample("active_series", {}, 42);
  });
  std::string text = r.Render();
  EXPECT_NE(text.find("# HELP active_series Series in \\\\ memory\\nnow.\n"), std::string::npos);
  EXPECT_NE(text.find("active_series 42\n"), std::string::npos);
  EXPECT_NE(text.find("http_requests_total{handler=\"/api/v1/write\",code=\"204\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("http_request_duration_seconds_bucket{handler=\"/metrics\",le=\"0.1\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("http_request_duration_seconds_bucket{handler=\"/metrics\",le=\"1\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("http_request_duration_seconds_bucket{handler=\"/metrics\",le=\"+Inf\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("http_request_duration_seconds_count{handler=\"/metrics\"} 3\n"),
            std::string::npos);
  EXPECT_EQ(requests.Get({"/api/v1/write", "400"}), 1);
}

TEST(MetricsTest, FormatValue) {
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(1e21), "1e+21");
  EXPECT_EQ(FormatValue(NAN), "NaN");
  EXPECT_EQ(FormatValue(-INFINITY), "-Inf");
}

}  // namespace
}  // namespace mytsdb::telemetry
