// The functions and data Prometheus gives the templates of alerting rules
// (labels and annotations): humanize and its kin, query/first/label/value,
// regular expressions, links and URLs, as Prometheus's template package
// defines them (docs/TEMPLATES.md lists them).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "template/template.h"

namespace mytsdb::tmpl {

using LabelMap = std::map<std::string, std::string, std::less<>>;

// One sample of an instant vector, as `query` hands it to templates.
struct QuerySample {
  LabelMap labels;  // with __name__ where the series has one
  double value = 0;
};

struct PrometheusContext {
  // Runs an instant PromQL query at the evaluation's time; unset: `query`
  // fails with a message saying so.
  std::function<Result<std::vector<QuerySample>>(std::string_view query)> query;
  std::string external_url;  // --web.external-url
};

// Prometheus's template functions (with Go's builtins: Template adds them).
std::shared_ptr<const FunctionMap> PrometheusFunctions(PrometheusContext context);

// The data of an alert's templates: .Labels, .ExternalLabels,
// .ExternalURL, .Value.
Value AlertTemplateData(const LabelMap& labels, const LabelMap& external_labels, const std::string& external_url,
                        double value);

// What Prometheus puts before each alert template so that $labels,
// $externalLabels, $externalURL and $value exist.
constexpr std::string_view kAlertTemplatePreamble =
    "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}"
    "{{$value := .Value}}";

// Prometheus's graphLink and tableLink of an expression:
// "/graph?g0.expr=<escaped>&g0.tab=0" (or 1), the generator URL's path.
std::string GraphLink(std::string_view expr);
std::string TableLink(std::string_view expr);

// Go's time.Time.String() of a Unix time in milliseconds, in UTC:
// "2024-01-02 03:04:05.678 +0000 UTC".
std::string GoTimeString(int64_t unix_ms);

}  // namespace mytsdb::tmpl
