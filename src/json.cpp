// src/json.cpp — see json.h.
#include "json.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace pixelart::json {

namespace {
class Parser {
 public:
  Parser(const std::string& t, const std::string& src, const std::string& prefix) : t_(t), src_(src), prefix_(prefix) {}
  Value run() {
    Value v = value(0);
    ws();
    if (p_ != t_.size()) bad("trailing characters");
    return v;
  }

 private:
  [[noreturn]] void bad(const std::string& what) {
    throw Error(src_ + ": " + prefix_ + ": " + what + " at byte " + std::to_string(p_), ErrorKind::BadInput);
  }
  void ws() {
    while (p_ < t_.size() && (t_[p_] == ' ' || t_[p_] == '\t' || t_[p_] == '\r' || t_[p_] == '\n')) ++p_;
  }
  char peek() {
    ws();
    if (p_ >= t_.size()) bad("unexpected end");
    return t_[p_];
  }
  void expect(char c) {
    if (peek() != c) bad(std::string("expected '") + c + "'");
    ++p_;
  }
  bool word(const char* w) {
    const size_t n = std::strlen(w);
    if (t_.compare(p_, n, w) != 0) return false;
    p_ += n;
    return true;
  }
  Value value(int depth) {
    if (depth > 16) bad("nested too deeply");
    const char c = peek();
    Value v;
    if (c == '"') {
      v.kind = Value::Str;
      v.s = str();
    } else if (c == '{') {
      v.kind = Value::Obj;
      ++p_;
      if (peek() == '}') { ++p_; return v; }
      for (;;) {
        std::string k = str();
        expect(':');
        v.o.emplace_back(std::move(k), value(depth + 1));
        if (peek() == ',') { ++p_; continue; }
        expect('}');
        break;
      }
    } else if (c == '[') {
      v.kind = Value::Arr;
      ++p_;
      if (peek() == ']') { ++p_; return v; }
      for (;;) {
        v.a.push_back(value(depth + 1));
        if (peek() == ',') { ++p_; continue; }
        expect(']');
        break;
      }
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      v.kind = Value::Num;
      const size_t start = p_;
      if (t_[p_] == '-') ++p_;
      while (p_ < t_.size() && std::strchr("0123456789.eE+-", t_[p_]) && t_[p_]) ++p_;
      const std::string tok = t_.substr(start, p_ - start);
      char* end = nullptr;
      v.num = std::strtod(tok.c_str(), &end);
      if (end != tok.c_str() + tok.size()) bad("bad number '" + tok + "'");
      v.integral = tok.find_first_of(".eE") == std::string::npos;
      if (v.integral) {
        errno = 0;
        v.i = std::strtoll(tok.c_str(), nullptr, 10);
        if (errno) bad("integer out of range");
      }
    } else if (word("true")) {
      v.kind = Value::Bool, v.b = true;
    } else if (word("false")) {
      v.kind = Value::Bool, v.b = false;
    } else if (word("null")) {
      v.kind = Value::Null;
    } else {
      bad(std::string("unexpected '") + c + "'");
    }
    return v;
  }
  std::string str() {
    expect('"');
    std::string out;
    while (p_ < t_.size() && t_[p_] != '"') {
      const char c = t_[p_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (p_ >= t_.size()) break;
      const char e = t_[p_++];
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
          if (p_ + 4 > t_.size()) bad("bad \\u escape");
          const unsigned cp = unsigned(std::strtoul(t_.substr(p_, 4).c_str(), nullptr, 16));
          p_ += 4;
          if (cp < 0x80) out += char(cp);
          else if (cp < 0x800) out += char(0xc0 | (cp >> 6)), out += char(0x80 | (cp & 0x3f));
          else out += char(0xe0 | (cp >> 12)), out += char(0x80 | ((cp >> 6) & 0x3f)), out += char(0x80 | (cp & 0x3f));
          break;
        }
        default: out += e;
      }
    }
    if (p_ >= t_.size()) bad("unterminated string");
    ++p_;
    return out;
  }
  const std::string& t_;
  const std::string& src_;
  const std::string& prefix_;
  size_t p_ = 0;
};
}  // namespace

Value parse(const std::string& text, const std::string& source, const std::string& prefix) {
  return Parser(text, source, prefix).run();
}

std::string escape(const std::string& s) {
  std::string o;
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') o += '\\', o += char(c);
    else if (c == '\n') o += "\\n";
    else if (c == '\t') o += "\\t";
    else if (c < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      o += b;
    } else o += char(c);
  }
  return o;
}

}  // namespace pixelart::json
