// src/settings_text.h — settings as text, the way flags, JSON configurations and model metadata
// spell them (train_config.cpp, model_file.cpp, train.cpp). Not a public header.
#pragma once
#include <string>
#include <vector>

namespace pixelart::text {

std::string join(const std::vector<int>& v);  // "8,16,32"
std::string num(double v);                     // 10 significant digits, shortest form
// Strict readers: the whole string, finite; a usage error naming --key otherwise.
double to_double(const std::string& key, const std::string& v);
long long to_int(const std::string& key, const std::string& v);
std::vector<double> to_list(const std::string& key, const std::string& v);  // comma-separated

}  // namespace pixelart::text
