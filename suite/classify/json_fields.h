// Typed, non-throwing reads of fields of a case document.
//
// A results file may come from an older or damaged run, so every read checks
// the field's presence and JSON type: a missing field, a null or a value of
// the wrong type reads as std::nullopt (or nullptr), never as an exception or
// a default that could pass for an observation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace lingerlab::classify {

// `obj[key]` if `obj` is an object holding `key`, else nullptr.
const nlohmann::json* Field(const nlohmann::json& obj, std::string_view key);
// The same as a reference: a shared null when absent, so chains of reads
// (`FieldOrNull(FieldOrNull(c, "verdict"), "status")`) never insert or throw.
const nlohmann::json& FieldOrNull(const nlohmann::json& obj, std::string_view key);

std::optional<double> NumberField(const nlohmann::json& obj, std::string_view key);
// Integers only: 1.5 reads as nullopt, so a fractional byte count is not truncated.
std::optional<int64_t> IntField(const nlohmann::json& obj, std::string_view key);
std::optional<std::string> StringField(const nlohmann::json& obj, std::string_view key);
std::optional<bool> BoolField(const nlohmann::json& obj, std::string_view key);

}  // namespace lingerlab::classify
