// pixelart/safetensors.h — the safetensors file format (8-byte little-endian header length, a JSON
// header, raw little-endian data), used for model weights, checkpoints and packed sprite sets, so
// that other tools can read them. Every header field, offset and size is validated before use:
// a malformed file is an Error naming the file and the problem, never a crash. Files are written
// to a temporary name, flushed and renamed: they appear whole or not at all.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "pixelart/tensor.h"

namespace pixelart {

struct SafeTensors {
  std::map<std::string, Tensor> tensors;            // CPU tensors (F32, F64, BF16 or U8)
  std::map<std::string, std::string> metadata;      // the header's "__metadata__" (strings)
};

void save_safetensors(const std::string& path, const SafeTensors& st);
// Throws Error(kind BadInput) naming `path` on any malformation.
SafeTensors load_safetensors(const std::string& path);

// A minimal JSON string escape (for metadata values built by callers).
std::string json_escape(const std::string& s);

}  // namespace pixelart
