// The data a template runs on: Go's dynamically typed values as
// text/template sees them through reflection, reduced to what Prometheus's
// and Alertmanager's templates use: nil, bool, int, float64, string, lists,
// maps with string keys, and structs; each may carry a named type with
// methods (Alertmanager's `.Alerts.Firing`, `.CommonLabels.SortedPairs`)
// and a String method (fmt.Stringer). Values are immutable and cheap to
// copy (containers are shared).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/result.h"

namespace mytsdb::tmpl {

class Value;

// The type a parameter of a function or method has in Go; constants in
// the template convert to it, other values must already have it.
enum class Param { kAny, kString, kFloat, kInt, kBool };

// A method of a named type: its parameters and body, which receives the
// receiver and the call's arguments.
struct Method {
  std::vector<Param> params;  // fixed parameters
  bool variadic = false;      // then more arguments of type `rest`
  Param rest = Param::kAny;
  std::function<Result<Value>(const Value& self, std::span<const Value> args)> call;
};

// A named Go type: its name in messages and %T, its methods, and how
// fmt prints it when it is a fmt.Stringer.
struct Type {
  std::string name;
  std::map<std::string, Method, std::less<>> methods;
  std::function<std::string(const Value&)> string_method;
};

enum class Kind { kNil, kBool, kInt, kFloat, kString, kList, kMap, kStruct };

class Value {
 public:
  using List = std::vector<Value>;
  using Fields = std::vector<std::pair<std::string, Value>>;
  struct MapData {
    std::map<std::string, Value, std::less<>> entries;
    // What a missing key yields (Go's zero value of the element type:
    // "" for map[string]string, nil for map[string]interface{}).
    std::shared_ptr<const Value> zero;
  };

  Value() = default;  // nil
  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value Float(double f);
  static Value String(std::string s);
  static Value MakeList(List items, std::shared_ptr<const Type> type = nullptr);
  // A map whose elements are strings (map[string]string) or anything.
  static Value StringMap(std::map<std::string, std::string, std::less<>> entries,
                         std::shared_ptr<const Type> type = nullptr);
  static Value MakeMap(std::map<std::string, Value, std::less<>> entries, Value zero,
                       std::shared_ptr<const Type> type = nullptr);
  static Value Struct(Fields fields, std::shared_ptr<const Type> type);
  // `v` as a value of the named type `type` (a float with a String
  // method, a list with methods, ...).
  static Value Typed(Value v, std::shared_ptr<const Type> type);
  // A constant written in the template: converts to a function's
  // parameter type as Go's untyped constants do.
  static Value Constant(Value v);
  // The value of a constant once evaluated (Go's idealConstant): typed.
  Value Evaluated() const {
    Value v = *this;
    v.constant_ = false;
    return v;
  }

  Kind kind() const { return kind_; }
  bool IsNil() const { return kind_ == Kind::kNil; }
  bool is_constant() const { return constant_; }
  bool AsBool() const { return std::get<bool>(data_); }
  int64_t AsInt() const { return std::get<int64_t>(data_); }
  double AsFloat() const { return std::get<double>(data_); }
  const std::string& AsString() const { return std::get<std::string>(data_); }
  const List& AsList() const { return *std::get<std::shared_ptr<const List>>(data_); }
  const MapData& AsMap() const { return *std::get<std::shared_ptr<const MapData>>(data_); }
  const Fields& AsFields() const { return *std::get<std::shared_ptr<const Fields>>(data_); }

  const Type* type() const { return type_.get(); }
  // Go's name of the type: "string", "float64", "map[string]string", ...
  std::string TypeName() const;
  // Go's truth: false, 0, nil, and empty strings, lists and maps are false.
  bool IsTrue() const;
  // The method `name` of the value's type, or null.
  const Method* FindMethod(std::string_view name) const;

 private:
  Kind kind_ = Kind::kNil;
  bool constant_ = false;
  std::variant<std::monostate, bool, int64_t, double, std::string, std::shared_ptr<const List>,
               std::shared_ptr<const MapData>, std::shared_ptr<const Fields>>
      data_;
  std::shared_ptr<const Type> type_;
};

}  // namespace mytsdb::tmpl
