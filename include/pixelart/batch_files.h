// pixelart/batch_files.h — the files of a batch command (restore, upscale) and of the commands
// that write files the user names: inputs expanded from files, folders and globs; every output
// decided before any work, so that no input is ever overwritten, no output replaces another, and
// existing files are kept unless the user asked. Implemented in src/batch_files.cpp.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "pixelart/files.h"

namespace pixelart {

// Files, folders (their images, sorted) and globs, in the order given; globs that match nothing
// are reported in *errors.
std::vector<std::string> expand_inputs(const std::vector<std::string>& args, std::vector<std::string>* errors);
// Every output path of a run, decided before any work: OUT itself for one input and OUT.png,
// else OUT/STEM.png; with `preview` N also STEM_xN.png beside it. An output is never an input nor
// another output of the run: a name that would be is given a number (STEM_1.png ...), and one
// input's own path as its output is an error. Existing outputs are skipped unless `overwrite`
// (then `existing` says Replace; else Keep, so a file another run writes meanwhile is kept and
// reported). `sheet`, when given, may be no input and no output (a usage error before any work);
// an existing one is kept unless `overwrite` (sheet_kept). The output folder's stale temporaries
// (those of killed runs) are removed.
struct OutputJob {
  std::string input, output, preview;  // preview: empty without --preview
};
struct OutputPlan {
  std::vector<OutputJob> jobs;
  int skipped = 0;
  std::vector<std::string> errors;
  Existing existing = Existing::Keep;
  bool sheet_kept = false;  // the --sheet exists and is kept: not written
};
OutputPlan plan_outputs(const std::vector<std::string>& inputs, const std::string& out, bool overwrite, int preview = 0,
                        const std::string& sheet = "");
// For the commands that write files the user names (plot, sprites, synth, the --sheet of eval and
// eval-upscale), before any work: an output that is one of `inputs` is a usage error, even with
// --overwrite; an output that exists is a usage error unless `overwrite`.
void refuse_replacing(const std::vector<std::string>& outputs, const std::vector<std::string>& inputs, bool overwrite);
// A batch's exit code: 0 when nothing failed; 5 when some inputs failed and others were done (or
// skipped as done before); when none was: 6 if every failure was an output's, else 4.
int batch_exit_code(int done, size_t failures, int output_failures);

}  // namespace pixelart
