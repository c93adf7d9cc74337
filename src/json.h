// src/json.h — a small strict JSON reader (objects, arrays, strings, numbers, true/false/null),
// shared by the safetensors header and training configuration files. Errors name the source.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "pixelart/error.h"

namespace pixelart::json {

struct Value {
  enum Kind { Null, Bool, Str, Num, Arr, Obj } kind = Null;
  bool b = false;
  std::string s;
  double num = 0;
  bool integral = false;  // written without '.', 'e' or 'E'
  long long i = 0;        // the value, when integral
  std::vector<Value> a;
  std::vector<std::pair<std::string, Value>> o;
  const Value* find(const std::string& key) const {
    for (const auto& [k, v] : o)
      if (k == key) return &v;
    return nullptr;
  }
};

// Throws Error(kind BadInput): "<source>: <prefix>: what, at byte N".
Value parse(const std::string& text, const std::string& source, const std::string& prefix = "invalid JSON");
std::string escape(const std::string& s);

}  // namespace pixelart::json
