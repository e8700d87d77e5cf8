#include "template/value.h"

namespace mytsdb::tmpl {

Value Value::Bool(bool b) {
  Value v;
  v.kind_ = Kind::kBool;
  v.data_ = b;
  return v;
}

Value Value::Int(int64_t i) {
  Value v;
  v.kind_ = Kind::kInt;
  v.data_ = i;
  return v;
}

Value Value::Float(double f) {
  Value v;
  v.kind_ = Kind::kFloat;
  v.data_ = f;
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.kind_ = Kind::kString;
  v.data_ = std::move(s);
  return v;
}

Value Value::MakeList(List items, std::shared_ptr<const Type> type) {
  Value v;
  v.kind_ = Kind::kList;
  v.data_ = std::make_shared<const List>(std::move(items));
  v.type_ = std::move(type);
  return v;
}

Value Value::StringMap(std::map<std::string, std::string, std::less<>> entries, std::shared_ptr<const Type> type) {
  static const auto* empty_string = new std::shared_ptr<const Value>(std::make_shared<const Value>(String("")));
  auto data = std::make_shared<MapData>();
  for (auto& [key, value] : entries) data->entries.emplace(key, String(std::move(value)));
  data->zero = *empty_string;
  Value v;
  v.kind_ = Kind::kMap;
  v.data_ = std::shared_ptr<const MapData>(std::move(data));
  v.type_ = std::move(type);
  return v;
}

Value Value::MakeMap(std::map<std::string, Value, std::less<>> entries, Value zero, std::shared_ptr<const Type> type) {
  auto data = std::make_shared<MapData>();
  data->entries = std::move(entries);
  data->zero = std::make_shared<const Value>(std::move(zero));
  Value v;
  v.kind_ = Kind::kMap;
  v.data_ = std::shared_ptr<const MapData>(std::move(data));
  v.type_ = std::move(type);
  return v;
}

Value Value::Struct(Fields fields, std::shared_ptr<const Type> type) {
  Value v;
  v.kind_ = Kind::kStruct;
  v.data_ = std::make_shared<const Fields>(std::move(fields));
  v.type_ = std::move(type);
  return v;
}

Value Value::Typed(Value v, std::shared_ptr<const Type> type) {
  v.type_ = std::move(type);
  return v;
}

Value Value::Constant(Value v) {
  v.constant_ = true;
  return v;
}

std::string Value::TypeName() const {
  if (type_ && !type_->name.empty()) return type_->name;
  switch (kind_) {
    case Kind::kNil: return "<nil>";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float64";
    case Kind::kString: return "string";
    case Kind::kList: return "[]interface {}";
    case Kind::kMap:
      return AsMap().zero && AsMap().zero->kind() == Kind::kString ? "map[string]string"
                                                                   : "map[string]interface {}";
    case Kind::kStruct: return "struct";
  }
  return "?";
}

bool Value::IsTrue() const {
  switch (kind_) {
    case Kind::kNil: return false;
    case Kind::kBool: return AsBool();
    case Kind::kInt: return AsInt() != 0;
    case Kind::kFloat: return AsFloat() != 0;
    case Kind::kString: return !AsString().empty();
    case Kind::kList: return !AsList().empty();
    case Kind::kMap: return !AsMap().entries.empty();
    case Kind::kStruct: return true;
  }
  return false;
}

const Method* Value::FindMethod(std::string_view name) const {
  if (!type_) return nullptr;
  auto it = type_->methods.find(name);
  return it == type_->methods.end() ? nullptr : &it->second;
}

}  // namespace mytsdb::tmpl
