// pixelart/model_file.h — the models' files: safetensors with the weights by parameter name (f32)
// and metadata (format, the shape fields, and what the caller adds: the training command, its
// configuration, the held-out record, evaluation figures). Every reader checks the fields against
// what the code supports and the weights for NaN and infinities, naming the file and the field.
// Running a model needs this header, never the trainer's.
#pragma once
#include <map>
#include <string>

#include "pixelart/restorer.h"
#include "pixelart/safetensors.h"
#include "pixelart/upscaler.h"

namespace pixelart {

// The restorer's files: metadata widths, context, in/out channels and the canvas it was trained on.
void save_restorer(const std::string& path, const Restorer& model, int canvas,
                   const std::map<std::string, std::string>& metadata);
Restorer load_restorer(const std::string& path, Device dev, int* canvas = nullptr,
                       std::map<std::string, std::string>* metadata = nullptr);
// The upscaler's files: the same layout, metadata filters, kernels, channels and its factor.
void save_upscaler(const std::string& path, const Upscaler& model, double factor,
                   const std::map<std::string, std::string>& metadata);
Upscaler load_upscaler(const std::string& path, Device dev, double* factor = nullptr,
                       std::map<std::string, std::string>* metadata = nullptr);
// Every reader above (and --init, --holdout-from) takes a trainer's checkpoint too: read as the
// model it holds, its parameters and the metadata a model file of its configuration has
// (train_config, steps, and the held-out record). A model file comes back as is.
SafeTensors load_model_file(const std::string& path);

}  // namespace pixelart
