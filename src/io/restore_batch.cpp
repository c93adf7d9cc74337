// src/io/restore_batch.cpp — the restore pipeline over many files (include/pixelart/restore_batch.h).
#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "pixelart/postprocess.h"
#include "pixelart/restore_batch.h"

namespace pixelart {

namespace {

struct Decoded {
  const RestoreFile* file = nullptr;
  Sprite original;  // kept for the contact sheet only
  RestoreJob job;
  std::string error;
  bool output_failed = false;
};

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

std::string size_text(int64_t b) {
  char s[32];
  std::snprintf(s, sizeof s, b >= 1000000000 ? "%.1f GB" : "%.0f MB", b >= 1000000000 ? double(b) / 1e9 : double(b) / 1e6);
  return s;
}

// Stage 1 for files [begin, end): decoded, the grid found, resampled onto it.
std::vector<Decoded> decode(const std::vector<RestoreFile>& files, size_t begin, size_t end, const RestoreBatchOptions& o, int scale) {
  std::vector<Decoded> v(end - begin);
#pragma omp parallel for schedule(dynamic)
  for (size_t i = 0; i < v.size(); ++i) {
    Decoded& d = v[i];
    d.file = &files[begin + i];
    const std::string& path = d.file->input;
    try {
      Sprite img = read_image(path, o.max_pixels);
      d.job = prepare_restore(img, o.restore, scale);
      if (!d.job.ok()) d.error = path + ": " + d.job.error;
      if (o.sheet_images > 0) d.original = std::move(img);
    } catch (const Error& e) {  // nothing may leave an OpenMP loop; the batch goes on
      d.error = e.what();
    } catch (const std::bad_alloc&) {
      d.error = path + ": out of memory (--max-pixels, or a smaller --batch, bounds what is in memory)";
    } catch (const std::exception& e) {
      d.error = path + ": " + e.what();
    }
  }
  return v;
}

// Memory, from the grids found, before the network and refinement spend it: an image that alone
// needs more than is available is refused with the figure. True where the batch as a whole needs
// more than half of it (it is then refined image by image).
bool check_memory(std::vector<Decoded>& batch, int64_t max_memory) {
  const int64_t avail = max_memory > 0 ? max_memory : host_available_bytes();
  int64_t need = 0;
  for (Decoded& d : batch) {
    if (!d.error.empty()) continue;
    const int64_t bytes = restore_memory_bytes(d.job);
    if (avail > 0 && bytes > avail) {
      d.error = d.file->input + ": its grid of " + std::to_string(d.job.lattice.x.cells) + " x " +
                std::to_string(d.job.lattice.y.cells) + " cells needs about " + size_text(bytes) + ", and " + size_text(avail) +
                " are available (--max-memory; --size or --scale if the grid is wrong)";
      d.job.canonical = d.job.colours = Sprite{};
      continue;
    }
    need += bytes;
  }
  return avail > 0 && need > avail / 2;
}

// Stage 2: the network over the batch; where that fails (out of memory, say), image by image,
// naming those that fail.
void run_network(const Restorer& model, Device dev, std::vector<Decoded>& batch) {
  std::vector<RestoreJob*> ready;
  for (Decoded& d : batch)
    if (d.error.empty()) ready.push_back(&d.job);
  try {
    run_restorer(model, ready, dev);
  } catch (const std::exception&) {
    for (Decoded& d : batch) {
      if (!d.error.empty()) continue;
      try {
        run_restorer(model, {&d.job}, dev);
      } catch (const std::bad_alloc&) {
        d.error = d.file->input + ": out of memory in the network (" + d.job.lattice.describe() + ")";
      } catch (const std::exception& e) {
        d.error = d.file->input + ": " + e.what();
      }
    }
  }
}

// Stage 3: refinement and the PNGs.
void finish(std::vector<Decoded>& batch, const RestoreBatchOptions& o, int scale, bool one_at_a_time) {
#pragma omp parallel for schedule(dynamic) if (!one_at_a_time)
  for (size_t i = 0; i < batch.size(); ++i) {
    Decoded& d = batch[i];
    if (!d.error.empty()) continue;
    try {
      finish_restore(d.job, o.restore, scale);
      write_png(d.file->output, d.job.sprite, o.existing);
      if (!d.file->preview.empty()) write_png(d.file->preview, scale_pixel_art(d.job.sprite, o.preview, false), o.existing);
    } catch (const Error& e) {  // as above: one failed write never stops the batch
      d.error = e.what();
      d.output_failed = e.kind() == ErrorKind::Output || e.kind() == ErrorKind::Exists;
    } catch (const std::exception& e) {
      d.error = d.file->input + ": " + e.what();
    }
  }
}

}  // namespace

RestoreBatchSummary restore_files(const Restorer& model, Device dev, const std::vector<RestoreFile>& files,
                                  const RestoreBatchOptions& o, const std::function<void(const RestoreFileResult&)>& on_result,
                                  const std::function<void(size_t, size_t)>& on_progress) {
  PA_CHECK(o.batch > 0, "restore_files: a batch of " << o.batch);
  const int scale = model.config().scale();
  const size_t B = size_t(o.batch);
  RestoreBatchSummary sum;
  // the written batch's outcomes, reported here on the calling thread
  auto report = [&](std::vector<Decoded>& done) {
    for (Decoded& d : done) {
      if (on_result) on_result(RestoreFileResult{*d.file, d.job, d.error, d.output_failed});
      if (!d.error.empty()) {
        sum.errors.push_back(d.error);
        sum.output_failures += d.output_failed;
        continue;
      }
      ++sum.restored;
      if (sum.sheet.size() < 2 * size_t(o.sheet_images)) {
        sum.sheet.push_back(std::move(d.original));
        sum.sheet.push_back(std::move(d.job.sprite));
      }
    }
  };
  Worker decoder, writer;
  std::future<std::vector<Decoded>> next;
  std::future<std::vector<Decoded>> writing;
  auto collect = [&] {
    if (!writing.valid()) return;
    std::vector<Decoded> done = writing.get();
    report(done);
  };
  if (!files.empty()) next = decoder.submit([&, e = std::min(files.size(), B)] { return decode(files, 0, e, o, scale); });
  for (size_t b = 0; b < files.size(); b += B) {
    std::vector<Decoded> cur = next.get();
    const size_t nb = b + B;
    if (nb < files.size()) next = decoder.submit([&, nb, e = std::min(files.size(), nb + B)] { return decode(files, nb, e, o, scale); });
    const bool one_at_a_time = check_memory(cur, o.max_memory);
    run_network(model, dev, cur);
    collect();  // the previous batch's sprites are written before this one's start
    writing = writer.submit([&o, scale, one_at_a_time, c = std::move(cur)]() mutable {
      finish(c, o, scale, one_at_a_time);
      return std::move(c);
    });
    if (on_progress) on_progress(std::min(files.size(), nb), files.size());
  }
  collect();
  return sum;
}

}  // namespace pixelart
