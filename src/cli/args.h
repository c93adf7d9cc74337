// src/cli/args.h — a small flag parser for the `pixelart` subcommands: --flag value, --flag=value,
// boolean --switch, list flags (--filters 64 64 64 and --filters 64,64,64 alike), and positional
// arguments. Unknown flags are usage errors (exit code 2) that list the command's options;
// -h/--help anywhere asks for the command's usage text (HelpRequest, printed by main, exit 0); "--" ends
// the options (the words after it are positional, file names that begin with "-" included).
#pragma once
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "pixelart/error.h"
#include "pixelart/batch_files.h"
#include "pixelart/files.h"
#include "pixelart/sprites.h"
#include "pixelart/upscaler.h"

namespace pixelart::cli {

// `pixelart CMD --help`: the command's usage text, for main to print on stdout (exit code 0).
struct HelpRequest {
  std::string text;
};

class Args {
 public:
  // `usage`: the command's usage text (for --help); `flags`: flags taking a value; `switches`:
  // boolean flags; `lists`: those of `flags` whose value is a list of numbers and may be given as
  // several words: the words after the flag that read as numbers are joined with commas
  // ("--kernels 7 5 3 1" is "--kernels 7,5,3,1").
  Args(const std::vector<std::string>& argv, const char* usage, std::set<std::string> flags,
       std::set<std::string> switches, std::set<std::string> lists = {});
  bool has(const std::string& k) const { return values_.count(k) > 0; }
  std::string get(const std::string& k, const std::string& def) const {
    auto it = values_.find(k);
    return it == values_.end() ? def : it->second;
  }
  long long get_int(const std::string& k, long long def, long long lo, long long hi) const;
  // A number in [lo, hi]; else a usage error "--K must be WHAT, got 'V'".
  double get_double(const std::string& k, double def, double lo, double hi, const char* what) const;
  const std::vector<std::string>& positional() const { return positional_; }
  // For commands that take no positional arguments.
  void no_positional(const char* cmd) const {
    if (!positional_.empty())
      throw Error(std::string(cmd) + ": unexpected argument '" + positional_[0] + "' (see --help)", ErrorKind::Usage);
  }

 private:
  // A word that can only be a list's next number: digits, with '.', 'e', '+', '-' and ','.
  static bool numeric_word(const std::string& w);
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

int run_info(const std::vector<std::string>& argv);
int run_forward(const std::vector<std::string>& argv);
int run_bench(const std::vector<std::string>& argv);
int run_sprites(const std::vector<std::string>& argv);
int run_synth(const std::vector<std::string>& argv);
int run_train(const std::vector<std::string>& argv);
int run_restore(const std::vector<std::string>& argv);
int run_eval(const std::vector<std::string>& argv);
int run_upscale(const std::vector<std::string>& argv);
int run_plot(const std::vector<std::string>& argv);
int run_eval_upscale(const std::vector<std::string>& argv);
// inputs.cpp: shared by restore and upscale.
// The folders searched for the shipped models, in order: PREFIX/share/pixelart/models beside an
// installed binary, data/models of a source tree around the binary, ./data/models, and data/models
// of the source tree the build was configured from.
std::vector<std::string> model_folders();
std::string shipped_model(const std::string& file, const char* train_hint);  // the first FILE found there
std::string default_model_path();                                            // the shipped restorer
// The shipped upscaler (data/models/upscaler*.safetensors) trained for the factor nearest to
// `factor` (by ratio: x2.5 takes the x3 model); *trained gets that model's factor.
std::string shipped_upscaler(double factor, double* trained);
// The JPEG denoiser of `--denoiser PATH`: an upscaler trained at factor 1, else a usage error
// naming the file. *name: the file's name, for the summary line.
Upscaler load_denoiser(const std::string& path, Device dev, std::string* name);
std::vector<std::string> split_commas(const std::string& s);  // "a,b" -> {"a", "b"}
// The number that is the whole of `s` (no trailing characters), or nothing.
std::optional<double> parse_number(const std::string& s);

}  // namespace pixelart::cli
