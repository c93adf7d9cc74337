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
#include "pixelart/postprocess.h"
#include "pixelart/train.h"

namespace pixelart::cli {
namespace fs = std::filesystem;

namespace {

struct Decoded {
  std::string path, out;
  Sprite original;
  Sprite input;  // resized so that a sprite pixel spans `scale` pixels
  int w = 0, h = 0;
  std::string error;
};

// Output sprite size for an input: --size N makes the longer side N sprite pixels (the shorter
// follows the aspect); --size WxH is exact.
std::pair<int, int> sprite_dims(const Sprite& img, int n, int fixed_w, int fixed_h) {
  if (fixed_w > 0) return {fixed_w, fixed_h};
  const int big = std::max(img.width, img.height);
  return {std::max(1, int(std::lround(double(n) * img.width / big))), std::max(1, int(std::lround(double(n) * img.height / big)))};
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

constexpr const char* kUsage = R"(usage: pixelart restore IMAGE|DIR|GLOB... -o OUT [--model M] [--size 16|32|WxH] [--device D]
       [--palette K|auto] [--no-refine] [--preview N] [--sheet PNG] [--overwrite] [--batch B]
  damaged images (PNG, JPEG, WebP, BMP; grey, RGB or RGBA; any size) to RGBA sprites
  -o OUT             a folder (OUT/NAME.png per input), or a .png file for a single input
  --model M          a restorer model or training checkpoint (default: the shipped
                     data/models/restorer16.safetensors)
  --size N|WxH       the output sprite size (default: the model's canvas, 16); with N the
                     longer side gets N sprite pixels and non-square inputs are padded
  --device D         auto (default: CUDA when a GPU is usable), cpu or cuda
  --palette K|auto   snap each sprite's colours to a palette of at most K colours (auto: its size
                     chosen per sprite)
  --no-refine        the network's output as it is, without the colour refinement
  --preview N        also write NAME_xN.png, the sprite enlarged N times (nearest neighbour)
  --sheet PNG        a before/after contact sheet of the inputs and their sprites
  --overwrite        replace existing outputs (default: skip them); inputs are never overwritten
  --batch B          images per forward pass (default 256 on CUDA, 8 on the CPU)
exit codes: 0 all restored, 4 every input failed, 5 some inputs failed (each named on stderr))";

int run_restore(const std::vector<std::string>& argv) {
  Args a(argv, kUsage, {"output", "model", "size", "device", "preview", "sheet", "palette", "batch"}, {"overwrite", "no-refine"});
  if (a.positional().empty() || !a.has("output")) throw Error(kUsage, ErrorKind::Usage);
  const Device dev = parse_device(a.get("device", "auto"));
  const std::string model_path = a.has("model") ? a.get("model", "") : default_model_path();
  int canvas = 16;
  std::map<std::string, std::string> meta;
  Restorer model = load_restorer(model_path, dev, &canvas, &meta);
  const int scale = model.config().scale();
  int n = canvas, fw = 0, fh = 0;
  if (a.has("size")) {
    const std::string s = a.get("size", "");
    const size_t x = s.find('x');
    try {
      if (x == std::string::npos) n = std::stoi(s);
      else fw = std::stoi(s.substr(0, x)), fh = std::stoi(s.substr(x + 1));
    } catch (...) {
      n = -1;
    }
    if (n <= 0 || n > 1024 || fw < 0 || fh < 0 || fw > 1024 || fh > 1024 || (x != std::string::npos && (fw == 0 || fh == 0)))
      throw Error("--size must be N or WxH sprite pixels (at most 1024), got '" + s + "'", ErrorKind::Usage);
  }
  int palette = 0;
  if (a.has("palette")) palette = a.get("palette", "") == "auto" ? -1 : int(a.get_int("palette", 0, 1, 256));
  const int preview = int(a.get_int("preview", 0, 0, 64));
  const int batch = int(a.get_int("batch", dev == Device::CUDA ? 256 : 8, 1, 4096));

  std::vector<std::string> errors;
  const OutputPlan plan = plan_outputs(expand_inputs(a.positional(), &errors), a.get("output", ""), a.has("overwrite"));
  errors.insert(errors.end(), plan.errors.begin(), plan.errors.end());
  const int skipped = plan.skipped;
  std::vector<Decoded> jobs;
  for (const auto& [in, out] : plan.jobs) {
    Decoded d;
    d.path = in;
    d.out = out;
    jobs.push_back(d);
  }

  // Three stages, each batch passing through them in order: decoding and resizing on CPU threads
  // (batch b+1), the network on the device (batch b), colour refinement and PNG writing on CPU
  // threads (batch b-1). On a GPU the device stays busy while the host decodes and writes.
  auto decode = [&](size_t begin, size_t end) {
    std::vector<Decoded> v(jobs.begin() + long(begin), jobs.begin() + long(end));
#pragma omp parallel for schedule(dynamic)
    for (size_t i = 0; i < v.size(); ++i) {
      Decoded& d = v[i];
      try {
        d.original = read_image(d.path);
        std::tie(d.w, d.h) = sprite_dims(d.original, n, fw, fh);
        d.input = resize_image(d.original, d.w * scale, d.h * scale);
      } catch (const std::exception& e) {  // nothing may leave an OpenMP loop; the batch goes on
        d.error = e.what();
      }
    }
    return v;
  };
  // The network's output for one group of same-sized inputs, waiting to be refined and written.
  struct Pending {
    std::vector<Decoded*> items;
    int w = 0, h = 0;
    std::vector<double> x, y;
  };
  struct Written {
    int restored = 0;
    std::vector<std::string> errors;
    std::vector<Sprite> sheet;
  };
  const bool refine = !a.has("no-refine"), want_sheet = a.has("sheet");
  auto finish = [&](std::vector<Pending> groups, std::vector<Decoded> keep) {
    Written out;
    for (Pending& g : groups) {
      if (refine) refine_colours(g.y, g.x, int64_t(g.items.size()), g.h, g.w, scale);
      std::vector<Sprite> sprites(g.items.size());
      std::vector<std::string> errs(g.items.size());
#pragma omp parallel for schedule(dynamic)
      for (size_t i = 0; i < g.items.size(); ++i) {
        try {
          sprites[i] = output_sprite(g.y, int64_t(i), g.h, g.w);
          snap_palette(sprites[i], palette);
          write_png(g.items[i]->out, sprites[i]);
          if (preview > 0) {
            const std::string p = g.items[i]->out.substr(0, g.items[i]->out.size() - 4) + "_x" + std::to_string(preview) + ".png";
            write_png(p, scale_pixel_art(sprites[i], preview, false));
          }
        } catch (const std::exception& e) {  // as above: one failed write never stops the batch
          errs[i] = e.what();
        }
      }
      for (size_t i = 0; i < g.items.size(); ++i) {
        if (!errs[i].empty()) {
          out.errors.push_back(errs[i]);
          continue;
        }
        ++out.restored;
        if (want_sheet && out.sheet.size() < 128) {
          out.sheet.push_back(g.items[i]->original);
          out.sheet.push_back(sprites[i]);
        }
      }
    }
    (void)keep;  // the decoded batch the groups point into lives until its sprites are written
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
    errors.insert(errors.end(), w.errors.begin(), w.errors.end());
    for (Sprite& s : w.sheet)
      if (sheet.size() < 128) sheet.push_back(std::move(s));
  };
  Worker decoder, writer;
  if (!jobs.empty()) next = decoder.submit([&decode, e = std::min(jobs.size(), size_t(batch))] { return decode(0, e); });
  for (size_t b = 0; b < jobs.size(); b += size_t(batch)) {
    std::vector<Decoded> cur = next.get();
    const size_t nb = b + size_t(batch);
    if (nb < jobs.size()) next = decoder.submit([&decode, nb, e = std::min(jobs.size(), nb + size_t(batch))] { return decode(nb, e); });
    // Group by sprite size: one forward pass per size present in the batch.
    std::map<std::pair<int, int>, std::vector<Decoded*>> by_size;
    for (Decoded& d : cur) {
      if (!d.error.empty()) errors.push_back(d.error);
      else by_size[{d.w, d.h}].push_back(&d);
    }
    std::vector<Pending> groups;
    for (auto& [dims, items] : by_size) {
      Pending g;
      g.items = items;
      std::tie(g.w, g.h) = dims;
      const size_t per = size_t(g.w * scale) * size_t(g.h * scale) * 4;
      g.x.resize(items.size() * per);
      for (size_t i = 0; i < items.size(); ++i)
        for (size_t k = 0; k < per; ++k) g.x[i * per + k] = items[i]->input.rgba[k] / 255.0;
      {
        NoGradGuard ng;
        g.y = model.forward(Tensor::from_vector(g.x, {int64_t(items.size()), g.h * scale, g.w * scale, 4}, DType::F32, dev)).to_vector();
      }
      groups.push_back(std::move(g));
    }
    collect();  // the previous batch's sprites are written before this one's start
    writing = writer.submit([&finish, g = std::move(groups), c = std::move(cur)]() mutable { return finish(std::move(g), std::move(c)); });
    progress.update(double(std::min(jobs.size(), nb)) / double(jobs.size()),
                    std::to_string(std::min(jobs.size(), nb)) + "/" + std::to_string(jobs.size()));
  }
  collect();
  progress.finish();
  if (a.has("sheet") && !sheet.empty()) write_png(a.get("sheet", ""), make_contact_sheet(sheet, 8, 128));
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const auto& e : errors) std::fprintf(stderr, "pixelart restore: error: %s\n", e.c_str());
  std::printf("restored %d, skipped %d (output exists; --overwrite to redo), failed %zu, in %.2f s (%.1f images/s) "
              "with %s on %s; %s\n",
              restored, skipped, errors.size(), s, restored / std::max(s, 1e-9), fs::path(model_path).filename().c_str(),
              to_string(dev), peak_memory(dev).c_str());
  if (!errors.empty()) return restored + skipped > 0 ? kExitPartial : kExitBadInput;
  return kExitOk;
}

}  // namespace pixelart::cli
