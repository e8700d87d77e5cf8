// Any text as a template, with Prometheus's functions (a fake `query`):
// parsing and running it (on data with maps, lists, methods and a String
// method) ends with output or an error, within the execution limits, never
// with a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "template/prometheus_functions.h"
#include "template/template.h"

namespace {

mytsdb::tmpl::Value Data() {
  using mytsdb::tmpl::Value;
  auto type = std::make_shared<mytsdb::tmpl::Type>();
  type->name = "fuzz.List";
  type->methods["First"] = mytsdb::tmpl::Method{
      {}, false, mytsdb::tmpl::Param::kAny, [](const Value& self, std::span<const Value>) -> mytsdb::Result<Value> {
        return self.AsList().empty() ? Value() : self.AsList()[0];
      }};
  type->methods["At"] = mytsdb::tmpl::Method{
      {mytsdb::tmpl::Param::kInt}, false, mytsdb::tmpl::Param::kAny,
      [](const Value& self, std::span<const Value> args) -> mytsdb::Result<Value> {
        const int64_t i = args[0].AsInt();
        if (i < 0 || static_cast<size_t>(i) >= self.AsList().size()) return mytsdb::Status::InvalidArgument("range");
        return self.AsList()[static_cast<size_t>(i)];
      }};
  type->string_method = [](const Value&) { return std::string("list"); };
  std::map<std::string, Value, std::less<>> data;
  data["Labels"] = Value::StringMap({{"job", "api"}, {"instance", "h:1"}});
  data["Value"] = Value::Float(0.25);
  data["List"] = Value::MakeList({Value::Int(1), Value::String("a"), Value::Float(-1)}, type);
  data["S"] = Value::Struct({{"Name", Value::String("n")}}, type);
  return Value::MakeMap(std::move(data), Value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  static const mytsdb::tmpl::Value data = Data();
  static const auto funcs = [] {
    mytsdb::tmpl::PrometheusContext context;
    context.external_url = "http://localhost:9090/prefix";
    context.query = [](std::string_view q) -> mytsdb::Result<std::vector<mytsdb::tmpl::QuerySample>> {
      if (q.empty()) return mytsdb::Status::InvalidArgument("empty query");
      return std::vector<mytsdb::tmpl::QuerySample>{{{{"__name__", "up"}, {"job", "a"}}, 1},
                                                    {{{"__name__", "up"}, {"job", "b"}}, 0}};
    };
    return mytsdb::tmpl::PrometheusFunctions(context);
  }();
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);
  auto t = mytsdb::tmpl::Template::Parse("fuzz", text, funcs);
  if (!t.ok()) return 0;
  mytsdb::tmpl::ExecOptions options;
  options.max_steps = 20'000;
  options.max_output_bytes = 64 << 10;
  options.max_value_bytes = 1 << 20;
  (void)t->Execute(data, options);
  return 0;
}
