#include "alertmanager/template_functions.h"

#include "common/case_map.h"
#include "common/utf8.h"
#include "template/prometheus_functions.h"

namespace mytsdb::alertmanager {

using tmpl::Function;
using tmpl::Param;
using tmpl::Value;

std::string TitleCase(std::string_view s) {
  std::string out;
  bool in_word = false;
  int32_t previous = 0;
  for (size_t i = 0; i < s.size();) {
    const auto [cp, len] = DecodeUtf8(s, i);
    const int32_t r = static_cast<int32_t>(cp);
    if (r == 0xfffd && len == 1) {
      out.push_back(s[i]);
      in_word = false;
      ++i;
      continue;
    }
    const bool word_char = IsLetterOrDigit(r);
    // An apostrophe between two letters stays inside the word ("don't").
    const bool apostrophe = (r == '\'' || r == 0x2019) && in_word && IsLetterOrDigit(previous) && i + len < s.size() &&
                            IsLetterOrDigit(static_cast<int32_t>(DecodeUtf8(s, i + len).first));
    if (word_char || apostrophe) {
      AppendUtf8(&out, static_cast<uint32_t>(in_word ? ToLowerRune(r) : ToUpperRune(r)));
      in_word = true;
    } else {
      AppendUtf8(&out, cp);
      in_word = false;
    }
    previous = r;
    i += len;
  }
  return out;
}

std::shared_ptr<const tmpl::FunctionMap> TemplateFunctions() {
  static const std::shared_ptr<const tmpl::FunctionMap> functions = [] {
    // Those Alertmanager shares with Prometheus behave the same.
    const auto prometheus = tmpl::PrometheusFunctions({});
    auto f = std::make_shared<tmpl::FunctionMap>();
    for (const char* name : {"toUpper", "toLower", "match", "safeHtml", "reReplaceAll"}) {
      (*f)[name] = prometheus->at(name);
    }
    (*f)["title"] = Function{{Param::kString}, false, Param::kAny, [](std::span<const Value> a) -> Result<Value> {
                               return Value::String(TitleCase(a[0].AsString()));
                             }};
    (*f)["join"] = Function{{Param::kString, Param::kAny}, false, Param::kAny,
                            [](std::span<const Value> a) -> Result<Value> {
                              if (a[1].kind() != tmpl::Kind::kList) {
                                return Status::InvalidArgument("wrong type for value; expected []string; got " +
                                                               a[1].TypeName());
                              }
                              std::string out;
                              for (size_t i = 0; i < a[1].AsList().size(); ++i) {
                                const Value& v = a[1].AsList()[i];
                                if (v.kind() != tmpl::Kind::kString) {
                                  return Status::InvalidArgument("wrong type for value; expected []string; got " +
                                                                 a[1].TypeName());
                                }
                                if (i > 0) out += a[0].AsString();
                                out += v.AsString();
                              }
                              return Value::String(std::move(out));
                            }};
    (*f)["stringSlice"] = Function{{}, true, Param::kString, [](std::span<const Value> a) -> Result<Value> {
                                     Value::List list;
                                     for (const Value& v : a) list.push_back(v.Evaluated());
                                     return Value::MakeList(std::move(list));
                                   }};
    return std::shared_ptr<const tmpl::FunctionMap>(std::move(f));
  }();
  return functions;
}

}  // namespace mytsdb::alertmanager
