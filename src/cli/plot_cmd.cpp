// src/cli/plot_cmd.cpp — `pixelart plot`: training curves from metrics.jsonl files as a PNG. One
// file: every loss term; several: one key per run, to compare runs (loss variants, schedules).
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/args.h"
#include "json.h"
#include "pixelart/image_io.h"
#include "pixelart/plot.h"

namespace pixelart::cli {

namespace {
constexpr const char* kUsage = R"(usage: pixelart plot RUN/metrics.jsonl [MORE.jsonl ...] -o curves.png [--key loss] [--linear] [--overwrite]
  training curves as a PNG: one file plots each of its loss terms (loss, mse, l1, edge, alpha);
  several files plot one key per run, to compare runs
  --key K      the metrics.jsonl key to plot (default loss)
  --linear     a linear y axis (default logarithmic)
  --overwrite  replace an existing -o file (default: refused))";
}  // namespace

int run_plot(const std::vector<std::string>& argv) {
  Args a(argv, kUsage, {"output", "key"}, {"linear", "overwrite"});
  if (a.positional().empty() || !a.has("output")) throw Error(kUsage, ErrorKind::Usage);
  refuse_replacing({a.get("output", "")}, a.positional(), a.has("overwrite"));
  const std::vector<std::string> keys = a.positional().size() == 1 && !a.has("key")
                                            ? std::vector<std::string>{"loss", "mse", "l1", "edge", "alpha"}
                                            : std::vector<std::string>{a.get("key", "loss")};
  std::vector<Series> series;
  for (const auto& path : a.positional()) {
    std::ifstream f(path);
    if (!f) throw Error(path + ": cannot open", ErrorKind::BadInput);
    const std::string run = std::filesystem::path(path).parent_path().filename().string();
    std::vector<Series> mine(keys.size());
    for (size_t k = 0; k < keys.size(); ++k) mine[k].name = a.positional().size() == 1 ? keys[k] : run;
    int line_no = 0;
    for (std::string line; std::getline(f, line);) {
      ++line_no;
      if (line.empty()) continue;
      const json::Value v = json::parse(line, path + ":" + std::to_string(line_no));
      const json::Value* step = v.find("step");
      if (!step || step->kind != json::Value::Num) throw Error(path + ":" + std::to_string(line_no) + ": no step", ErrorKind::BadInput);
      for (size_t k = 0; k < keys.size(); ++k) {
        const json::Value* x = v.find(keys[k]);
        if (x && x->kind == json::Value::Num && (a.has("linear") || x->num > 0)) mine[k].points.emplace_back(step->num, x->num);
      }
    }
    for (auto& s : mine)
      if (!s.points.empty()) series.push_back(std::move(s));
  }
  if (series.empty()) throw Error("nothing to plot (no such key in the files)", ErrorKind::BadInput);
  write_png(a.get("output", ""), plot_series(series, 900, 450, !a.has("linear")), a.has("overwrite") ? Existing::Replace : Existing::Keep);
  std::printf("wrote %s (%zu curves)\n", a.get("output", "").c_str(), series.size());
  return kExitOk;
}

}  // namespace pixelart::cli
