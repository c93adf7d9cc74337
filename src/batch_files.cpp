// src/batch_files.cpp — the files of a batch command: expanding files, folders and globs, and
// planning the outputs so that no input is overwritten and existing outputs are kept unless asked
// (pixelart/batch_files.h).
#include "pixelart/batch_files.h"

#include <glob.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "pixelart/error.h"

namespace pixelart {
namespace fs = std::filesystem;

static bool is_image(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), ::tolower);
  return e == ".png" || e == ".jpg" || e == ".jpeg" || e == ".webp" || e == ".bmp" || e == ".tif" || e == ".tiff";
}

std::vector<std::string> expand_inputs(const std::vector<std::string>& args, std::vector<std::string>* errors) {
  std::vector<std::string> out;
  for (const auto& a : args) {
    std::error_code ec;
    if (fs::is_directory(a, ec)) {
      std::vector<std::string> files;
      for (const auto& e : fs::directory_iterator(a, ec))
        if (e.is_regular_file() && is_image(e.path())) files.push_back(e.path().string());
      std::sort(files.begin(), files.end());
      if (files.empty()) errors->push_back(a + ": no images in this folder (PNG, JPEG, WebP, BMP, TIFF)");
      out.insert(out.end(), files.begin(), files.end());
    } else if (a.find_first_of("*?[") != std::string::npos) {
      glob_t g{};
      if (::glob(a.c_str(), 0, nullptr, &g) == 0)
        for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
      else errors->push_back(a + ": no file matches");
      ::globfree(&g);
    } else {
      out.push_back(a);
    }
  }
  return out;
}

// A path as the file system names it (links and ".." resolved), whether or not it exists: two
// names of one file give one key.
static std::string key(const fs::path& p) {
  std::error_code e;
  const fs::path c = fs::weakly_canonical(fs::absolute(p, e), e);
  return e ? fs::absolute(p).lexically_normal().string() : c.string();
}

OutputPlan plan_outputs(const std::vector<std::string>& inputs, const std::string& out, bool overwrite, int preview,
                        const std::string& sheet) {
  OutputPlan plan;
  plan.existing = overwrite ? Existing::Replace : Existing::Keep;
  // -o names one PNG file when it ends in an image extension and is not a folder already;
  // otherwise it is the folder the outputs go to.
  std::error_code ec;
  const bool names_file = (is_image(out) || fs::path(out).extension() == ".gif") && !fs::is_directory(out, ec);
  if (names_file) {
    std::string e = fs::path(out).extension().string();
    std::transform(e.begin(), e.end(), e.begin(), ::tolower);
    if (e != ".png")
      throw Error("-o " + out + ": outputs are RGBA PNG files; name the file .png, or give a folder", ErrorKind::Usage);
    if (inputs.size() > 1)
      throw Error("-o " + out + " names one file, but there are " + std::to_string(inputs.size()) +
                  " inputs; give a folder", ErrorKind::Usage);
  } else if (fs::exists(out, ec) && !fs::is_directory(out, ec)) {
    throw Error("-o " + out + ": exists and is not a folder", ErrorKind::Usage);
  }
  const fs::path folder = names_file ? fs::path(out).parent_path() : fs::path(out);
  if (!folder.empty() && !fs::is_directory(folder, ec) && !fs::create_directories(folder, ec) &&
      !fs::is_directory(folder, ec))  // (another run may have made it meanwhile)
    throw Error("-o " + out + ": cannot create the folder " + folder.string() + ": " + ec.message(), ErrorKind::Output);
  remove_stale_temporaries(folder.string());

  // Every path of the run, as the file system names it: the inputs, then each output as it is
  // given out. No output may be an input or another output.
  std::set<std::string> input_keys, taken;
  for (const auto& in : inputs) input_keys.insert(key(in));
  auto preview_of = [&](const std::string& png) {
    return preview > 0 ? png.substr(0, png.size() - 4) + "_x" + std::to_string(preview) + ".png" : std::string();
  };
  auto is_free = [&](const std::string& p) { return p.empty() || (!input_keys.count(key(p)) && !taken.count(key(p))); };
  auto exists = [&](const std::string& p) { return !p.empty() && fs::exists(fs::symlink_status(p, ec)); };
  std::set<std::string> seen_inputs;
  for (const auto& in : inputs) {
    if (!seen_inputs.insert(key(in)).second) continue;  // the same file named twice (a folder and a glob)
    OutputJob job{in, out, ""};
    if (names_file) {
      job.preview = preview_of(out);
      if (key(out) == key(in) || input_keys.count(key(out))) {
        plan.errors.push_back(in + ": the output " + out + " would overwrite the input; choose another -o");
        continue;
      }
      if (!is_free(job.preview)) {
        plan.errors.push_back(in + ": the preview " + job.preview + " would overwrite an input; choose another -o");
        continue;
      }
    } else {
      // OUT/STEM.png, else OUT/STEM_1.png, OUT/STEM_2.png ... the first whose files (and the
      // preview's) are no input and no other output of this run
      const std::string stem = fs::path(in).stem().string();
      for (int k = 0;; ++k) {
        job.output = (fs::path(out) / (k ? stem + "_" + std::to_string(k) + ".png" : stem + ".png")).string();
        job.preview = preview_of(job.output);
        if (k == 0 && key(job.output) == key(in)) {
          plan.errors.push_back(in + ": the output would overwrite the input; choose another -o");
          job.output.clear();
          break;
        }
        if (is_free(job.output) && is_free(job.preview)) break;
      }
      if (job.output.empty()) continue;
    }
    taken.insert(key(job.output));
    if (!job.preview.empty()) taken.insert(key(job.preview));
    if (!overwrite && (exists(job.output) || exists(job.preview))) {
      ++plan.skipped;
      continue;
    }
    plan.jobs.push_back(job);
  }
  if (!sheet.empty()) {
    if (input_keys.count(key(sheet))) throw Error("--sheet " + sheet + " is one of the inputs; name another file", ErrorKind::Usage);
    if (taken.count(key(sheet))) throw Error("--sheet " + sheet + " is also an image output of this run; name another file", ErrorKind::Usage);
    plan.sheet_kept = !overwrite && exists(sheet);
  }
  return plan;
}

void refuse_replacing(const std::vector<std::string>& outputs, const std::vector<std::string>& inputs, bool overwrite) {
  std::error_code ec;
  for (const auto& o : outputs) {
    for (const auto& in : inputs)
      if (key(in) == key(o)) throw Error(o + " is an input of this command; name another output", ErrorKind::Usage);
    if (!overwrite && fs::exists(fs::symlink_status(o, ec)))
      throw Error(o + " exists; name another output, or --overwrite to replace it", ErrorKind::Usage);
  }
}

int batch_exit_code(int done, size_t failures, int output_failures) {
  if (failures == 0) return kExitOk;
  if (done > 0) return kExitPartial;
  return size_t(output_failures) == failures ? kExitOutput : kExitBadInput;
}

}  // namespace pixelart
