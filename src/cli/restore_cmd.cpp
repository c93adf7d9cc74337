// src/cli/restore_cmd.cpp — `pixelart restore`: damaged images in, pixel-perfect RGBA sprites out.
// Inputs are decoded and resized on CPU threads while the previous batch runs on the device, and
// refined and written on CPU threads while the next one does.
#include <glob.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "cli/args.h"
#include "cli/progress.h"
#include "pixelart/autograd.h"
#include "pixelart/image_io.h"
#include "pixelart/model_file.h"
#include "pixelart/postprocess.h"
#include "pixelart/restore.h"
#include "pixelart/safetensors.h"

namespace pixelart::cli {
namespace fs = std::filesystem;

namespace {

struct Decoded {
  std::string path, out, preview;
  Sprite original;  // kept for the contact sheet only
  RestoreJob job;
  std::string error;
  bool output_failed = false;  // the error is the output's (it cannot be written), not the input's
};

// "--size auto|N|WxH" and "--scale S|SxT" as lattice hints.
LatticeHints parse_hints(const Args& a) {
  LatticeHints h;
  if (a.has("size") && a.get("size", "") != "auto") {
    const std::string s = a.get("size", "");
    const size_t x = s.find('x');
    int n = 0, fw = 0, fh = 0;
    try {
      size_t used = 0;
      if (x == std::string::npos) n = std::stoi(s, &used), used = used == s.size() ? used : 0;
      else fw = std::stoi(s.substr(0, x)), fh = std::stoi(s.substr(x + 1)), used = 1;
      if (!used) n = -1;
    } catch (...) {
      n = -1;
    }
    if (n < 0 || n > kMaxCells || fw < 0 || fh < 0 || fw > kMaxCells || fh > kMaxCells || (x == std::string::npos && n == 0) ||
        (x != std::string::npos && (fw == 0 || fh == 0)))
      throw Error("--size must be auto, N or WxH sprite pixels (at most " + std::to_string(kMaxCells) +
                      ": the largest grid restore takes), got '" + s + "'",
                  ErrorKind::Usage);
    h.cells_long = n, h.cells_x = fw, h.cells_y = fh;
  }
  if (a.has("scale")) {
    if (a.has("size") && a.get("size", "") != "auto") throw Error("give --size or --scale, not both", ErrorKind::Usage);
    const std::string s = a.get("scale", "");
    const size_t x = s.find('x');
    double sx = -1, sy = -1;
    try {
      size_t u1 = 0, u2 = 0;
      sx = std::stod(x == std::string::npos ? s : s.substr(0, x), &u1);
      sy = x == std::string::npos ? sx : std::stod(s.substr(x + 1), &u2);
      if (u1 != (x == std::string::npos ? s.size() : x) || (x != std::string::npos && u2 != s.size() - x - 1)) sx = -1;
    } catch (...) {
      sx = -1;
    }
    if (!(sx >= 1 && sx <= 512 && sy >= 1 && sy <= 512))
      throw Error("--scale must be S or SxT input pixels per sprite pixel, in [1, 512], got '" + s + "'", ErrorKind::Usage);
    h.pitch_x = sx, h.pitch_y = sy;
  }
  return h;
}

std::string json_line(const Decoded& d) {
  const Lattice& l = d.job.lattice;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "\"pitch\": [%.4f, %.4f], \"origin\": [%.3f, %.3f], \"cells\": [%d, %d], \"confidence\": %.4f, "
                "\"background_cleared\": %d, \"seconds\": %.4f",
                l.x.pitch, l.y.pitch, l.x.origin, l.y.origin, l.x.cells, l.y.cells, l.confidence, d.job.background, d.job.seconds);
  std::string s = "{\"input\": \"" + json_escape(d.path) + "\", ";
  if (d.error.empty()) s += "\"output\": \"" + json_escape(d.out) + "\", \"ok\": true, ";
  else s += "\"ok\": false, \"error\": \"" + json_escape(d.error) + "\", ";
  if (l.x.pitch > 0) s += buf;
  else s += "\"seconds\": " + std::to_string(d.job.seconds);
  return s + "}";
}

// One long-lived thread that runs the tasks given to it in order. A stage of the pipeline keeps
// its thread (and so its OpenMP team) for the whole run instead of starting one per batch.
class Worker {
 public:
  Worker() : thread_([this] { loop(); }) {}
  ~Worker() {
    {
      std::lock_guard<std::mutex> l(m_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  template <class F>
  auto submit(F f) -> std::future<decltype(f())> {
    auto task = std::make_shared<std::packaged_task<decltype(f())()>>(std::move(f));
    auto fut = task->get_future();
    {
      std::lock_guard<std::mutex> l(m_);
      q_.emplace_back([task] { (*task)(); });
    }
    cv_.notify_one();
    return fut;
  }

 private:
  void loop() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> l(m_);
        cv_.wait(l, [this] { return done_ || !q_.empty(); });
        if (q_.empty()) return;
        job = std::move(q_.front());
        q_.pop_front();
      }
      job();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace

constexpr const char* kUsage = R"(usage: pixelart restore IMAGE|DIR|GLOB... -o OUT [--model M] [--size auto|N|WxH] [--scale S|SxT]
       [--device D] [--palette K|auto] [--no-refine] [--preview N] [--sheet PNG] [--json] [--overwrite] [--batch B]
       [--max-pixels P] [--max-memory GB]
  damaged images (PNG, JPEG, WebP, BMP, TIFF; grey, RGB or RGBA; any size up to --max-pixels) to
  RGBA sprites at their logical resolution: the pixel grid (pitch and phase per axis, hence the
  size) is found from the image; an image with no credible grid is named on stderr and not
  restored
  -o OUT             a folder (OUT/NAME.png per input), or a .png file for a single input
  --model M          a restorer model or training checkpoint (default: the shipped
                     data/models/restorer16.safetensors)
  --size auto|N|WxH  the sprite's size in pixels (at most 512): auto (default) finds it; N gives
                     the longer side N pixels (the other follows the image); WxH is exact
  --scale S|SxT      input pixels per sprite pixel (any number >= 1, per axis with SxT); the grid's
                     phase and the size are still found from the image
  --device D         auto (default: CUDA when a GPU is usable), cpu or cuda
  --palette K|auto   snap each sprite's colours to a palette of at most K colours (auto: its size
                     chosen per sprite)
  --no-refine        the network's output as it is, without the colour refinement
  --preview N        also write NAME_xN.png, the sprite enlarged N times (nearest neighbour)
  --sheet PNG        a before/after contact sheet of the inputs and their sprites
  --json             one JSON line per image on stdout: the grid found (pitch, origin, cells),
                     its confidence, the background made transparent (a flat or checkerboard
                     one found around the art: its 1 or 2 colours; a smooth one: -1; else 0),
                     the output, the seconds it took; the summary goes to stderr
  --overwrite        replace existing outputs (default: skip them); inputs are never overwritten,
                     nor is one output by another (names that would be get _1, _2 ...)
  --batch B          images per forward pass (default 256 on CUDA, 8 on the CPU); about twice
                     as many are in memory at once
  --max-pixels P     an input of more pixels is refused from its header, before decoding
                     (default 100000000: about 1.2 GB to decode and search it)
  --max-memory GB    the memory the network and refinement may use (default: what the machine
                     has available): an image whose grid needs more (about 20 KB a cell) is
                     refused with the figure; a batch that needs more is refined image by image
exit codes: 0 all restored, 4 every input failed, 5 some inputs failed (each named on stderr),
            6 every output failed to be written (nothing was replaced))";

int run_restore(const std::vector<std::string>& argv) {
  Args a(argv, kUsage, {"output", "model", "size", "scale", "device", "preview", "sheet", "palette", "batch", "max-pixels", "max-memory"},
         {"overwrite", "no-refine", "json"});
  if (a.positional().empty() || !a.has("output")) throw Error(kUsage, ErrorKind::Usage);
  const Device dev = parse_device(a.get("device", "auto"));
  const std::string model_path = a.has("model") ? a.get("model", "") : default_model_path();
  RestoreOptions opt;
  opt.hints = parse_hints(a);
  opt.refine = !a.has("no-refine");
  if (a.has("palette")) opt.palette = a.get("palette", "") == "auto" ? -1 : int(a.get_int("palette", 0, 1, 256));
  Restorer model = load_restorer(model_path, dev);
  const int scale = model.config().scale();
  const int preview = int(a.get_int("preview", 0, 0, 64));
  const int batch = int(a.get_int("batch", dev == Device::CUDA ? 256 : 8, 1, 4096));
  const bool json = a.has("json");
  const int64_t max_pixels = a.get_int("max-pixels", kDefaultMaxPixels, 1, int64_t(1) << 40);
  int64_t max_memory = 0;  // bytes; 0: what the machine has available
  if (a.has("max-memory")) {
    double gb = -1;
    try {
      size_t used = 0;
      gb = std::stod(a.get("max-memory", ""), &used);
      if (used != a.get("max-memory", "").size()) gb = -1;
    } catch (...) {
    }
    if (!(gb > 0 && gb < 1e6)) throw Error("--max-memory must be a positive number of GB, got '" + a.get("max-memory", "") + "'", ErrorKind::Usage);
    max_memory = int64_t(gb * 1e9);
  }

  std::vector<std::string> errors;
  const OutputPlan plan = plan_outputs(expand_inputs(a.positional(), &errors), a.get("output", ""), a.has("overwrite"),
                                       preview, a.get("sheet", ""));
  errors.insert(errors.end(), plan.errors.begin(), plan.errors.end());
  const int skipped = plan.skipped;
  int output_failures = 0;
  std::vector<Decoded> jobs;
  for (const OutputJob& j : plan.jobs) {
    Decoded d;
    d.path = j.input;
    d.out = j.output;
    d.preview = j.preview;
    jobs.push_back(d);
  }

  // Three stages, each batch passing through them in order: decoding, finding the grid and
  // resampling on CPU threads (batch b+1), the network on the device (batch b), refinement and PNG
  // writing on CPU threads (batch b-1). On a GPU the device stays busy while the host works.
  const bool want_sheet = a.has("sheet");
  auto decode = [&](size_t begin, size_t end) {
    std::vector<Decoded> v(jobs.begin() + long(begin), jobs.begin() + long(end));
#pragma omp parallel for schedule(dynamic)
    for (size_t i = 0; i < v.size(); ++i) {
      Decoded& d = v[i];
      try {
        Sprite img = read_image(d.path, max_pixels);
        d.job = prepare_restore(img, opt, scale);
        if (!d.job.ok()) d.error = d.path + ": " + d.job.error;
        if (want_sheet) d.original = std::move(img);
      } catch (const Error& e) {  // nothing may leave an OpenMP loop; the batch goes on
        d.error = e.what();
      } catch (const std::bad_alloc&) {
        d.error = d.path + ": out of memory (--max-pixels, or a smaller --batch, bounds what is in memory)";
      } catch (const std::exception& e) {
        d.error = d.path + ": " + e.what();
      }
    }
    return v;
  };
  struct Written {
    int restored = 0, output_failures = 0;
    std::vector<std::string> errors, lines;
    std::vector<Sprite> sheet;
  };
  auto finish = [&](std::vector<Decoded> cur, bool one_at_a_time) {
    Written out;
#pragma omp parallel for schedule(dynamic) if (!one_at_a_time)
    for (size_t i = 0; i < cur.size(); ++i) {
      Decoded& d = cur[i];
      if (!d.error.empty()) continue;
      try {
        finish_restore(d.job, opt, scale);
        write_png(d.out, d.job.sprite, plan.existing);
        if (!d.preview.empty()) write_png(d.preview, scale_pixel_art(d.job.sprite, preview, false), plan.existing);
      } catch (const Error& e) {  // as above: one failed write never stops the batch
        d.error = e.what();
        d.output_failed = e.kind() == ErrorKind::Output || e.kind() == ErrorKind::Exists;
      } catch (const std::exception& e) {
        d.error = d.path + ": " + e.what();
      }
    }
    for (Decoded& d : cur) {
      if (json) out.lines.push_back(json_line(d));
      if (!d.error.empty()) {
        out.errors.push_back(d.error);
        out.output_failures += d.output_failed;
        continue;
      }
      ++out.restored;
      if (want_sheet && out.sheet.size() < 128) {
        out.sheet.push_back(std::move(d.original));
        out.sheet.push_back(std::move(d.job.sprite));
      }
    }
    return out;
  };
  int restored = 0;
  std::vector<Sprite> sheet;
  Progress progress("restore", Progress::stderr_is_terminal() && jobs.size() > size_t(batch));
  const auto t0 = std::chrono::steady_clock::now();
  std::future<std::vector<Decoded>> next;
  std::future<Written> writing;
  auto collect = [&] {
    if (!writing.valid()) return;
    Written w = writing.get();
    restored += w.restored;
    output_failures += w.output_failures;
    errors.insert(errors.end(), w.errors.begin(), w.errors.end());
    for (const std::string& l : w.lines) std::printf("%s\n", l.c_str());
    std::fflush(stdout);
    for (Sprite& s : w.sheet)
      if (sheet.size() < 128) sheet.push_back(std::move(s));
  };
  Worker decoder, writer;
  if (!jobs.empty()) next = decoder.submit([&decode, e = std::min(jobs.size(), size_t(batch))] { return decode(0, e); });
  for (size_t b = 0; b < jobs.size(); b += size_t(batch)) {
    std::vector<Decoded> cur = next.get();
    const size_t nb = b + size_t(batch);
    if (nb < jobs.size()) next = decoder.submit([&decode, nb, e = std::min(jobs.size(), nb + size_t(batch))] { return decode(nb, e); });
    // Memory, from the grids found, before the network and refinement spend it: an image that
    // alone needs more than the machine has is refused with the figure; a batch that needs more
    // is refined one image at a time.
    const int64_t avail = max_memory > 0 ? max_memory : host_available_bytes();
    int64_t need = 0;
    for (Decoded& d : cur) {
      if (!d.error.empty()) continue;
      const int64_t bytes = restore_memory_bytes(d.job);
      if (avail > 0 && bytes > avail) {
        auto size = [](int64_t b) {
          char s[32];
          std::snprintf(s, sizeof s, b >= 1000000000 ? "%.1f GB" : "%.0f MB", b >= 1000000000 ? double(b) / 1e9 : double(b) / 1e6);
          return std::string(s);
        };
        d.error = d.path + ": its grid of " + std::to_string(d.job.lattice.x.cells) + " x " + std::to_string(d.job.lattice.y.cells) +
                  " cells needs about " + size(bytes) + ", and " + size(avail) +
                  " are available (--max-memory; --size or --scale if the grid is wrong)";
        d.job.canonical = d.job.colours = Sprite{};
        continue;
      }
      need += bytes;
    }
    const bool one_at_a_time = avail > 0 && need > avail / 2;
    std::vector<RestoreJob*> ready;
    for (Decoded& d : cur)
      if (d.error.empty()) ready.push_back(&d.job);
    try {
      run_restorer(model, ready, dev);
    } catch (const std::exception&) {  // out of memory, say: image by image, naming those that fail
      for (Decoded& d : cur) {
        if (!d.error.empty()) continue;
        try {
          run_restorer(model, {&d.job}, dev);
        } catch (const std::bad_alloc&) {
          d.error = d.path + ": out of memory in the network (" + d.job.lattice.describe() + ")";
        } catch (const std::exception& e) {
          d.error = d.path + ": " + e.what();
        }
      }
    }
    collect();  // the previous batch's sprites are written before this one's start
    writing = writer.submit([&finish, c = std::move(cur), one_at_a_time]() mutable { return finish(std::move(c), one_at_a_time); });
    progress.update(double(std::min(jobs.size(), nb)) / double(jobs.size()),
                    std::to_string(std::min(jobs.size(), nb)) + "/" + std::to_string(jobs.size()));
  }
  collect();
  progress.finish();
  if (plan.sheet_kept)
    std::fprintf(stderr, "pixelart restore: %s exists and is kept (--overwrite replaces it)\n", a.get("sheet", "").c_str());
  else if (a.has("sheet") && !sheet.empty()) {
    try {
      write_png(a.get("sheet", ""), make_contact_sheet(sheet, 8, 128), plan.existing);
    } catch (const Error& e) {
      errors.push_back(e.what());
      ++output_failures;
    }
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const auto& e : errors) std::fprintf(stderr, "pixelart restore: error: %s\n", e.c_str());
  std::fprintf(json ? stderr : stdout,
               "restored %d, skipped %d (output exists; --overwrite to redo), failed %zu, in %.2f s (%.1f images/s) "
               "with %s on %s; %s\n",
               restored, skipped, errors.size(), s, restored / std::max(s, 1e-9), fs::path(model_path).filename().c_str(),
               to_string(dev), peak_memory(dev).c_str());
  return batch_exit_code(restored + skipped, errors.size(), output_failures);
}

}  // namespace pixelart::cli
