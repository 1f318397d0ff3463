#include "suite/classify/json_fields.h"

namespace lingerlab::classify {

const nlohmann::json* Field(const nlohmann::json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

const nlohmann::json& FieldOrNull(const nlohmann::json& obj, std::string_view key) {
  static const nlohmann::json kNull;
  const nlohmann::json* v = Field(obj, key);
  return v ? *v : kNull;
}

std::optional<double> NumberField(const nlohmann::json& obj, std::string_view key) {
  const nlohmann::json* v = Field(obj, key);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  return v->get<double>();
}

std::optional<int64_t> IntField(const nlohmann::json& obj, std::string_view key) {
  const nlohmann::json* v = Field(obj, key);
  if (v == nullptr || !v->is_number_integer()) return std::nullopt;
  return v->get<int64_t>();
}

std::optional<std::string> StringField(const nlohmann::json& obj, std::string_view key) {
  const nlohmann::json* v = Field(obj, key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->get<std::string>();
}

std::optional<bool> BoolField(const nlohmann::json& obj, std::string_view key) {
  const nlohmann::json* v = Field(obj, key);
  if (v == nullptr || !v->is_boolean()) return std::nullopt;
  return v->get<bool>();
}

}  // namespace lingerlab::classify
