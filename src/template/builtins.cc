// Go's builtin template functions (text/template/funcs.go).
#include <cmath>
#include <string>

#include "template/format.h"
#include "template/quote.h"
#include "template/template.h"

namespace mytsdb::tmpl {

namespace {

Status Fail(std::string message) { return Status::InvalidArgument(std::move(message)); }

// The text html, js and urlquery work on: a single string as is, else
// fmt.Sprint of the arguments.
std::string ArgsText(std::span<const Value> args) {
  if (args.size() == 1 && args[0].kind() == Kind::kString) return args[0].AsString();
  return Sprint(args);
}

// The kinds Go's comparison functions know ("basicKind").
enum class Basic { kInvalid, kBool, kInt, kFloat, kString, kOther };
Basic BasicKind(const Value& v) {
  switch (v.kind()) {
    case Kind::kNil: return Basic::kInvalid;
    case Kind::kBool: return Basic::kBool;
    case Kind::kInt: return Basic::kInt;
    case Kind::kFloat: return Basic::kFloat;
    case Kind::kString: return Basic::kString;
    default: return Basic::kOther;
  }
}

Result<bool> Equal(const Value& a, const Value& b) {
  const Basic ka = BasicKind(a);
  const Basic kb = BasicKind(b);
  if (ka != kb) {
    if (!a.IsNil() && !b.IsNil()) {
      return Fail("incompatible types for comparison: " + a.TypeName() + " and " + b.TypeName());
    }
    return false;
  }
  switch (ka) {
    case Basic::kInvalid: return true;
    case Basic::kBool: return a.AsBool() == b.AsBool();
    case Basic::kInt: return a.AsInt() == b.AsInt();
    case Basic::kFloat: return a.AsFloat() == b.AsFloat();
    case Basic::kString: return a.AsString() == b.AsString();
    default: {
      const Value shown[] = {b};
      return Fail("non-comparable type " + Sprintf("%s", shown) + ": " + b.TypeName());
    }
  }
}

Result<bool> Less(const Value& a, const Value& b) {
  const Basic ka = BasicKind(a);
  const Basic kb = BasicKind(b);
  if (ka == Basic::kInvalid || ka == Basic::kBool || ka == Basic::kOther || kb == Basic::kInvalid ||
      kb == Basic::kBool || kb == Basic::kOther) {
    return Fail("invalid type for comparison");
  }
  if (ka != kb) return Fail("incompatible types for comparison: " + a.TypeName() + " and " + b.TypeName());
  switch (ka) {
    case Basic::kInt: return a.AsInt() < b.AsInt();
    case Basic::kFloat: return a.AsFloat() < b.AsFloat();
    default: return a.AsString() < b.AsString();
  }
}

Result<Value> Index(std::span<const Value> args) {
  Value item = args[0];
  if (item.IsNil()) return Fail("index of untyped nil");
  for (size_t i = 1; i < args.size(); ++i) {
    const Value& index = args[i];
    switch (item.kind()) {
      case Kind::kList: case Kind::kString: {
        if (index.kind() != Kind::kInt) return Fail("cannot index slice/array with type " + index.TypeName());
        const int64_t x = index.AsInt();
        const size_t size = item.kind() == Kind::kList ? item.AsList().size() : item.AsString().size();
        if (x < 0 || static_cast<size_t>(x) >= size) return Fail("index out of range: " + std::to_string(x));
        item = item.kind() == Kind::kList ? item.AsList()[static_cast<size_t>(x)]
                                          : Value::Int(static_cast<unsigned char>(item.AsString()[static_cast<size_t>(x)]));
        break;
      }
      case Kind::kMap: {
        if (index.kind() != Kind::kString) {
          if (index.IsNil()) return Fail("value is nil; should be of type string");
          return Fail("value has type " + index.TypeName() + "; should be string");
        }
        const auto& map = item.AsMap();
        auto it = map.entries.find(index.AsString());
        item = it != map.entries.end() ? it->second : map.zero ? *map.zero : Value();
        break;
      }
      case Kind::kNil:
        return Fail("index of untyped nil");
      default:
        return Fail("can't index item of type " + item.TypeName());
    }
  }
  return item;
}

Result<Value> Slice(std::span<const Value> args) {
  const Value& item = args[0];
  if (item.IsNil()) return Fail("slice of untyped nil");
  if (args.size() > 4) return Fail("too many slice indexes: " + std::to_string(args.size() - 1));
  size_t cap = 0;
  switch (item.kind()) {
    case Kind::kString:
      if (args.size() == 4) return Fail("cannot 3-index slice a string");
      cap = item.AsString().size();
      break;
    case Kind::kList:
      cap = item.AsList().size();
      break;
    default:
      return Fail("can't slice item of type " + item.TypeName());
  }
  int64_t idx[3] = {0, static_cast<int64_t>(cap), static_cast<int64_t>(cap)};
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i].kind() != Kind::kInt) return Fail("cannot index slice/array with type " + args[i].TypeName());
    const int64_t x = args[i].AsInt();
    if (x < 0 || static_cast<size_t>(x) > cap) return Fail("index out of range: " + std::to_string(x));
    idx[i - 1] = x;
  }
  if (idx[0] > idx[1]) return Fail("invalid slice index: " + std::to_string(idx[0]) + " > " + std::to_string(idx[1]));
  if (args.size() == 4 && idx[1] > idx[2]) {
    return Fail("invalid slice index: " + std::to_string(idx[1]) + " > " + std::to_string(idx[2]));
  }
  const auto from = static_cast<size_t>(idx[0]);
  const auto to = static_cast<size_t>(idx[1]);
  if (item.kind() == Kind::kString) return Value::String(item.AsString().substr(from, to - from));
  const auto& list = item.AsList();
  return Value::MakeList(Value::List(list.begin() + static_cast<std::ptrdiff_t>(from),
                                     list.begin() + static_cast<std::ptrdiff_t>(to)));
}

Function Variadic(std::vector<Param> params, std::function<Result<Value>(std::span<const Value>)> call) {
  return Function{std::move(params), true, Param::kAny, std::move(call)};
}

Function Fixed(std::vector<Param> params, std::function<Result<Value>(std::span<const Value>)> call) {
  return Function{std::move(params), false, Param::kAny, std::move(call)};
}

FunctionMap MakeBuiltins() {
  FunctionMap f;
  // Evaluated lazily by the executor; listed so that the parser knows them.
  f["and"] = Variadic({Param::kAny}, [](std::span<const Value> a) -> Result<Value> { return a.back(); });
  f["or"] = Variadic({Param::kAny}, [](std::span<const Value> a) -> Result<Value> { return a.back(); });
  f["call"] = Variadic({Param::kAny}, [](std::span<const Value> a) -> Result<Value> {
    return Fail("non-function " + ToText(a[0]) + " of type " + a[0].TypeName());
  });
  f["not"] = Fixed({Param::kAny}, [](std::span<const Value> a) -> Result<Value> { return Value::Bool(!a[0].IsTrue()); });
  f["len"] = Fixed({Param::kAny}, [](std::span<const Value> a) -> Result<Value> {
    switch (a[0].kind()) {
      case Kind::kString: return Value::Int(static_cast<int64_t>(a[0].AsString().size()));
      case Kind::kList: return Value::Int(static_cast<int64_t>(a[0].AsList().size()));
      case Kind::kMap: return Value::Int(static_cast<int64_t>(a[0].AsMap().entries.size()));
      case Kind::kNil: return Fail("len of nil pointer");
      default: return Fail("len of type " + a[0].TypeName());
    }
  });
  f["index"] = Variadic({Param::kAny}, Index);
  f["slice"] = Variadic({Param::kAny}, Slice);
  f["print"] = Variadic({}, [](std::span<const Value> a) -> Result<Value> { return Value::String(Sprint(a)); });
  f["println"] = Variadic({}, [](std::span<const Value> a) -> Result<Value> { return Value::String(Sprintln(a)); });
  f["printf"] = Variadic({Param::kString}, [](std::span<const Value> a) -> Result<Value> {
    return Value::String(Sprintf(a[0].AsString(), a.subspan(1)));
  });
  f["html"] = Variadic({}, [](std::span<const Value> a) -> Result<Value> { return Value::String(HtmlEscape(ArgsText(a))); });
  f["js"] = Variadic({}, [](std::span<const Value> a) -> Result<Value> { return Value::String(JsEscape(ArgsText(a))); });
  f["urlquery"] = Variadic({}, [](std::span<const Value> a) -> Result<Value> {
    return Value::String(QueryEscape(ArgsText(a)));
  });
  f["eq"] = Variadic({Param::kAny}, [](std::span<const Value> a) -> Result<Value> {
    if (a.size() < 2) return Fail("missing argument for comparison");
    for (size_t i = 1; i < a.size(); ++i) {
      ASSIGN_OR_RETURN(const bool equal, Equal(a[0], a[i]));
      if (equal) return Value::Bool(true);
    }
    return Value::Bool(false);
  });
  f["ne"] = Fixed({Param::kAny, Param::kAny}, [](std::span<const Value> a) -> Result<Value> {
    ASSIGN_OR_RETURN(const bool equal, Equal(a[0], a[1]));
    return Value::Bool(!equal);
  });
  f["lt"] = Fixed({Param::kAny, Param::kAny}, [](std::span<const Value> a) -> Result<Value> {
    ASSIGN_OR_RETURN(const bool less, Less(a[0], a[1]));
    return Value::Bool(less);
  });
  f["le"] = Fixed({Param::kAny, Param::kAny}, [](std::span<const Value> a) -> Result<Value> {
    ASSIGN_OR_RETURN(const bool less, Less(a[0], a[1]));
    if (less) return Value::Bool(true);
    ASSIGN_OR_RETURN(const bool equal, Equal(a[0], a[1]));
    return Value::Bool(equal);
  });
  f["gt"] = Fixed({Param::kAny, Param::kAny}, [](std::span<const Value> a) -> Result<Value> {
    ASSIGN_OR_RETURN(const bool less, Less(a[0], a[1]));
    if (less) return Value::Bool(false);
    ASSIGN_OR_RETURN(const bool equal, Equal(a[0], a[1]));
    return Value::Bool(!equal);
  });
  f["ge"] = Fixed({Param::kAny, Param::kAny}, [](std::span<const Value> a) -> Result<Value> {
    ASSIGN_OR_RETURN(const bool less, Less(a[0], a[1]));
    return Value::Bool(!less);
  });
  return f;
}

}  // namespace

const FunctionMap& Builtins() {
  static const auto* builtins = new FunctionMap(MakeBuiltins());
  return *builtins;
}

}  // namespace mytsdb::tmpl
