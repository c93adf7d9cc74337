// src/cli/args.cpp — the flag parser of the `pixelart` subcommands (args.h).
#include "cli/args.h"

#include <cmath>

namespace pixelart::cli {

Args::Args(const std::vector<std::string>& argv, const char* usage, std::set<std::string> flags,
           std::set<std::string> switches, std::set<std::string> lists) {
  for (const auto& w : argv) {
    if (w == "--") break;  // what follows is file names
    if (w == "-h" || w == "--help") throw HelpRequest{usage};
  }
  for (size_t i = 0; i < argv.size(); ++i) {
    std::string a = argv[i];
    if (a == "--") {  // the end of the options
      positional_.insert(positional_.end(), argv.begin() + long(i) + 1, argv.end());
      break;
    }
    if (a == "-o") a = "--output";  // the short aliases
    if (a == "-n") a = "--n";
    if (a == "-f") a = "--factor";
    if (a.rfind("--", 0) != 0) {
      positional_.push_back(a);
      continue;
    }
    std::string value;
    const size_t eq = a.find('=');
    const bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    }
    const std::string name = a.substr(2);
    if (switches.count(name)) {
      if (inline_value) throw Error("--" + name + " takes no value", ErrorKind::Usage);
      values_[name] = std::string(1, '1');  // not = "1": GCC 12 -Wrestrict false positive (PR 105329)
    } else if (flags.count(name)) {
      if (!inline_value) {
        if (i + 1 >= argv.size()) throw Error("--" + name + " needs a value", ErrorKind::Usage);
        value = argv[++i];
      }
      if (lists.count(name))
        while (i + 1 < argv.size() && numeric_word(argv[i + 1])) value += "," + argv[++i];
      values_[name] = value;
    } else {
      std::set<std::string> all = flags;
      all.insert(switches.begin(), switches.end());
      std::string known;
      for (const auto& k : all) known += (known.empty() ? "--" : ", --") + k;
      throw Error("unknown option --" + name + "; " + (known.empty() ? "it takes no options" : "its options: " + known) +
                      " (see --help)",
                  ErrorKind::Usage);
    }
  }
}

long long Args::get_int(const std::string& k, long long def, long long lo, long long hi) const {
  if (!has(k)) return def;
  const std::string v = get(k, "");
  size_t used = 0;
  long long x = 0;
  try {
    x = std::stoll(v, &used);
  } catch (...) {
    used = 0;
  }
  if (used != v.size() || v.empty())
    throw Error("--" + k + " must be an integer, got '" + v + "'", ErrorKind::Usage);
  if (x < lo || x > hi)
    throw Error("--" + k + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                    "], got " + v, ErrorKind::Usage);
  return x;
}

double Args::get_double(const std::string& k, double def, double lo, double hi, const char* what) const {
  if (!has(k)) return def;
  const std::optional<double> v = parse_number(get(k, ""));
  if (!v || !(*v >= lo && *v <= hi)) throw Error("--" + k + " must be " + what + ", got '" + get(k, "") + "'", ErrorKind::Usage);
  return *v;
}

std::optional<double> parse_number(const std::string& s) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (...) {
    return std::nullopt;
  }
  if (used != s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

bool Args::numeric_word(const std::string& w) {
  if (w.empty() || w.rfind("--", 0) == 0) return false;
  bool digit = false;
  for (char c : w) {
    if (c >= '0' && c <= '9') digit = true;
    else if (c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-' && c != ',') return false;
  }
  return digit;
}

}  // namespace pixelart::cli
