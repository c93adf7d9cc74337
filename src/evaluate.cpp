// src/evaluate.cpp — the restore pipeline scored against known truths (include/pixelart/evaluate.h).
#include <algorithm>
#include <cstdio>

#include "pixelart/evaluate.h"

namespace pixelart {

Sprite resize_nearest(const Sprite& s, int w, int h) {
  Sprite o;
  o.width = w, o.height = h, o.name = s.name;
  o.rgba.resize(size_t(w) * h * 4);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const int sx = std::min(s.width - 1, int((x + 0.5) * s.width / w)), sy = std::min(s.height - 1, int((y + 0.5) * s.height / h));
      std::copy(s.px(sx, sy), s.px(sx, sy) + 4, o.px(x, y));
    }
  return o;
}

namespace {
std::vector<double> values(const Sprite& s) {
  std::vector<double> v(s.rgba.size());
  for (size_t k = 0; k < v.size(); ++k) v[k] = s.rgba[k] / 255.0;
  return v;
}
}  // namespace

RestoreEval evaluate_restore(const Restorer& model, int64_t n, const std::function<EvalSample(uint64_t)>& sample,
                             const RestoreOptions& opt, Device dev, int batch, int keep_worst,
                             const std::function<void(int64_t, int64_t)>& progress) {
  RestoreEval ev;
  const int scale = model.config().scale();
  for (int64_t b = 0; b < n; b += batch) {
    const int nb = int(std::min<int64_t>(batch, n - b));
    std::vector<EvalSample> in(static_cast<size_t>(nb));
    std::vector<RestoreJob> jobs(static_cast<size_t>(nb));
#pragma omp parallel for schedule(dynamic)
    for (int i = 0; i < nb; ++i) {
      in[size_t(i)] = sample(uint64_t(b + i));
      jobs[size_t(i)] = prepare_restore(in[size_t(i)].image, opt, scale);
    }
    std::vector<RestoreJob*> ready;
    for (RestoreJob& j : jobs)
      if (j.ok()) ready.push_back(&j);
    run_restorer(model, ready, dev);
#pragma omp parallel for schedule(dynamic)
    for (int i = 0; i < nb; ++i) finish_restore(jobs[size_t(i)], opt, scale);
    for (int i = 0; i < nb; ++i) {
      const EvalSample& s = in[size_t(i)];
      RestoreJob& j = jobs[size_t(i)];
      ++ev.samples;
      ev.seconds += j.seconds;
      Sprite out = j.sprite;
      if (!j.ok()) {
        ++ev.refused;
        out = s.truth;
        std::fill(out.rgba.begin(), out.rgba.end(), uint8_t(0));
      }
      const bool size_ok = j.ok() && out.width == s.truth.width && out.height == s.truth.height;
      ev.size_right += size_ok;
      if (!size_ok) out = resize_nearest(out, s.truth.width, s.truth.height);
      SpriteMetrics one;
      one.add(values(out), values(s.truth), 1, s.truth.height, s.truth.width);
      if (!size_ok) one.perfect_sprites = 0, one.colour_only_sprites = 0;
      ev.metrics.merge(one);
      RestoreEval::Record rec{one, size_ok, !j.ok(), j.background, j.ok() ? j.sprite.width : 0, j.ok() ? j.sprite.height : 0,
                              s.truth.width, s.truth.height, j.seconds, j.error, s.what};
      if (j.ok()) {
        char origin[64];
        std::snprintf(origin, sizeof origin, ", origin %.2f,%.2f", j.lattice.x.origin, j.lattice.y.origin);
        rec.found = j.lattice.describe() + origin;
      }
      ev.records.push_back(std::move(rec));
      const double acc = one.pixel_accuracy();
      if (keep_worst > 0 && (int(ev.worst.size()) < keep_worst || acc < ev.worst.back().accuracy)) {
        ev.worst.push_back({acc, s.image, j.ok() ? j.sprite : out, s.truth, s.what + (j.ok() ? "" : " (refused: " + j.error + ")")});
        std::stable_sort(ev.worst.begin(), ev.worst.end(), [](const auto& p, const auto& q) { return p.accuracy < q.accuracy; });
        if (int(ev.worst.size()) > keep_worst) ev.worst.pop_back();
      }
    }
    if (progress) progress(b + nb, n);
  }
  return ev;
}

}  // namespace pixelart
