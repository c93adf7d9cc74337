// pixelart/autograd.h — a minimal tape-based autograd.
//
// While a Tape is active on this thread (TapeScope), every op whose inputs require a gradient
// records one node: a closure that reads the output's gradient and accumulates into the inputs'
// gradients. `tape.backward(loss)` seeds d(loss)/d(loss) = 1 on the loss's device and runs the
// nodes in reverse order. Fused ops (conv+bias+ReLU, the composite loss) are single nodes with a
// hand-written backward. NoGradGuard turns recording off (inference).
#pragma once
#include <functional>
#include <vector>

#include "pixelart/tensor.h"

namespace pixelart {

class Tape {
 public:
  using Backward = std::function<void()>;
  void record(Backward fn) { nodes_.push_back(std::move(fn)); }
  // Seeds loss.grad = 1 (loss must have one element), runs every node in reverse, then clears.
  void backward(const Tensor& loss);
  void clear() { nodes_.clear(); }
  size_t size() const { return nodes_.size(); }

 private:
  std::vector<Backward> nodes_;
};

// Makes `tape` the active tape of this thread for the scope's lifetime (scopes nest).
class TapeScope {
 public:
  explicit TapeScope(Tape& tape);
  ~TapeScope();
  TapeScope(const TapeScope&) = delete;
  TapeScope& operator=(const TapeScope&) = delete;
 private:
  Tape* previous_;
};

// Disables recording on this thread for the guard's lifetime.
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;
 private:
  bool previous_;
};

// For ops: the tape to record on if any input requires a gradient and recording is on, else
// nullptr. When it returns a tape, the op marks its output(s) as requiring a gradient.
Tape* recording_tape(std::initializer_list<const Tensor*> inputs);

}  // namespace pixelart
