// pixelart/restore_batch.h — the restore pipeline (restore.h) over many files, as `restore` runs
// it: each batch passes through three stages in order, so that the device is busy while the host
// works: decoding, finding the grid and resampling on CPU threads (batch b+1), the network on the
// device (batch b), refinement and writing the PNGs on CPU threads (batch b-1). One bad file never
// stops the batch: its error is recorded and the rest go on. Implemented in src/io/ (it reads and
// writes image files).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pixelart/files.h"
#include "pixelart/image_io.h"
#include "pixelart/restore.h"

namespace pixelart {

struct RestoreFile {
  std::string input, output;
  std::string preview;  // the sprite enlarged (RestoreBatchOptions::preview times); empty: none
};

struct RestoreBatchOptions {
  RestoreOptions restore;
  int batch = 8;                             // images per forward pass
  int preview = 0;                           // the previews' enlargement (nearest neighbour)
  int64_t max_pixels = kDefaultMaxPixels;    // an input of more pixels is refused from its header
  // The memory the network and refinement may use (bytes; 0: what the machine has available):
  // an image whose grid needs more (restore_memory_bytes) is refused with the figure; a batch
  // that needs more than half of it is refined image by image.
  int64_t max_memory = 0;
  Existing existing = Existing::Keep;        // outputs that exist: kept (an error) or replaced
  int sheet_images = 0;                      // keep the first N inputs and their sprites
};

// One file's outcome, reported in the files' order once it is written (or has failed).
struct RestoreFileResult {
  const RestoreFile& file;
  const RestoreJob& job;        // the grid found, the background cleared, the seconds it took
  std::string error;            // empty: restored; otherwise it names the file
  bool output_failed = false;   // the error is the output's (it cannot be written), not the input's
};

struct RestoreBatchSummary {
  int restored = 0, output_failures = 0;
  std::vector<std::string> errors;  // one a failed file, in order
  std::vector<Sprite> sheet;        // input, sprite, input, sprite ... (RestoreBatchOptions::sheet_images)
};

// `on_result` and `on_progress` (files done, of all) are called on the calling thread.
RestoreBatchSummary restore_files(const Restorer& model, Device dev, const std::vector<RestoreFile>& files,
                                  const RestoreBatchOptions& o, const std::function<void(const RestoreFileResult&)>& on_result,
                                  const std::function<void(size_t done, size_t total)>& on_progress = {});

}  // namespace pixelart
