// src/safetensors.cpp — safetensors read/write (include/pixelart/safetensors.h). The header is
// read by src/json.h and every field is checked here.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "internal.h"
#include "json.h"
#include "pixelart/files.h"
#include "pixelart/safetensors.h"

namespace pixelart {

namespace {
[[noreturn]] void bad(const std::string& path, const std::string& what) {
  throw Error(path + ": not a valid safetensors file: " + what, ErrorKind::BadInput);
}

const char* st_dtype(DType t) {
  switch (t) {
    case DType::F32: return "F32";
    case DType::F64: return "F64";
    case DType::BF16: return "BF16";
    case DType::U8: return "U8";
  }
  return "?";
}

}  // namespace

std::string json_escape(const std::string& s) { return json::escape(s); }

void save_safetensors(const std::string& path, const SafeTensors& st) {
  std::ostringstream h;
  h << "{";
  bool first = true;
  if (!st.metadata.empty()) {
    h << "\"__metadata__\":{";
    for (auto it = st.metadata.begin(); it != st.metadata.end(); ++it)
      h << (it == st.metadata.begin() ? "" : ",") << "\"" << json_escape(it->first) << "\":\"" << json_escape(it->second) << "\"";
    h << "}";
    first = false;
  }
  size_t offset = 0;
  std::vector<Tensor> host;
  for (const auto& [name, t0] : st.tensors) {
    Tensor t = t0.device() == Device::CPU ? t0 : t0.to(Device::CPU);
    host.push_back(t);
    h << (first ? "" : ",") << "\"" << json_escape(name) << "\":{\"dtype\":\"" << st_dtype(t.dtype()) << "\",\"shape\":[";
    for (int64_t d = 0; d < t.dim(); ++d) h << (d ? "," : "") << t.size(d);
    h << "],\"data_offsets\":[" << offset << "," << offset + t.nbytes() << "]}";
    offset += t.nbytes();
    first = false;
  }
  h << "}";
  std::string header = h.str();
  while (header.size() % 8) header += ' ';  // align the data, as the reference writer does

  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = uint8_t(uint64_t(header.size()) >> (8 * i));
  std::vector<std::string_view> parts{{reinterpret_cast<const char*>(len), 8}, header};
  for (const Tensor& t : host) parts.emplace_back(static_cast<const char*>(t.raw()), t.nbytes());
  write_file_whole(path, parts);
}

SafeTensors load_safetensors(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("cannot open " + path + ": " + std::strerror(errno), ErrorKind::BadInput);
  f.seekg(0, std::ios::end);
  const uint64_t size = uint64_t(f.tellg());
  f.seekg(0);
  if (size < 8) bad(path, "shorter than the 8-byte header length");
  uint8_t len[8];
  f.read(reinterpret_cast<char*>(len), 8);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= uint64_t(len[i]) << (8 * i);
  if (n > size - 8 || n > (100u << 20)) bad(path, "header length " + std::to_string(n) + " exceeds the file");
  std::string header(n, '\0');
  f.read(header.data(), std::streamsize(n));
  const json::Value root = json::parse(header, path, "not a valid safetensors file: JSON header");
  if (root.kind != json::Value::Obj) bad(path, "the header is not a JSON object");
  const uint64_t data_size = size - 8 - n;
  SafeTensors st;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& [name, v] : root.o) {
    if (name == "__metadata__") {
      if (v.kind != json::Value::Obj) bad(path, "__metadata__ is not an object");
      for (const auto& [k, mv] : v.o) {
        if (mv.kind != json::Value::Str) bad(path, "metadata value of '" + k + "' is not a string");
        st.metadata[k] = mv.s;
      }
      continue;
    }
    if (v.kind != json::Value::Obj) bad(path, "entry '" + name + "' is not an object");
    const json::Value *dt = nullptr, *shape = nullptr, *offs = nullptr;
    for (const auto& [k, fv] : v.o) {
      if (k == "dtype") dt = &fv;
      else if (k == "shape") shape = &fv;
      else if (k == "data_offsets") offs = &fv;
    }
    if (!dt || dt->kind != json::Value::Str || !shape || shape->kind != json::Value::Arr || !offs || offs->kind != json::Value::Arr || offs->a.size() != 2)
      bad(path, "entry '" + name + "' lacks dtype, shape or data_offsets");
    DType dtype;
    if (dt->s == "F32") dtype = DType::F32;
    else if (dt->s == "F64") dtype = DType::F64;
    else if (dt->s == "BF16") dtype = DType::BF16;
    else if (dt->s == "U8") dtype = DType::U8;
    else bad(path, "entry '" + name + "' has unsupported dtype " + dt->s);
    Shape s;
    uint64_t numel = 1;
    for (const json::Value& d : shape->a) {
      if (!d.integral || d.i < 0 || d.i > (1LL << 40)) bad(path, "entry '" + name + "' has a bad dimension");
      s.push_back(d.i);
      numel *= uint64_t(d.i);
      if (numel > (1ull << 40)) bad(path, "entry '" + name + "' is impossibly large");
    }
    if (!offs->a[0].integral || !offs->a[1].integral || offs->a[0].i < 0 || offs->a[1].i < offs->a[0].i)
      bad(path, "entry '" + name + "' has bad data_offsets");
    const uint64_t b = uint64_t(offs->a[0].i), e = uint64_t(offs->a[1].i);
    if (e > data_size) bad(path, "entry '" + name + "' ends at byte " + std::to_string(e) + " past the data (" + std::to_string(data_size) + " bytes)");
    if (e - b != numel * dtype_size(dtype)) bad(path, "entry '" + name + "' has " + std::to_string(e - b) + " bytes for shape " + shape_str(s));
    for (const auto& [rb, re] : ranges)
      if (b < re && rb < e) bad(path, "entry '" + name + "' overlaps another tensor");
    ranges.emplace_back(b, e);
    Tensor t = Tensor::empty(s, dtype, Device::CPU);
    f.seekg(std::streamoff(8 + n + b));
    f.read(static_cast<char*>(t.raw()), std::streamsize(e - b));
    if (!f) bad(path, "could not read the data of '" + name + "'");
    st.tensors[name] = t;
  }
  return st;
}

}  // namespace pixelart
