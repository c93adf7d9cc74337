// src/autograd.cpp — the tape (include/pixelart/autograd.h).
#include "internal.h"

namespace pixelart {

namespace {
thread_local Tape* g_active = nullptr;
thread_local bool g_grad_enabled = true;
}  // namespace

TapeScope::TapeScope(Tape& tape) : previous_(g_active) { g_active = &tape; }
TapeScope::~TapeScope() { g_active = previous_; }
NoGradGuard::NoGradGuard() : previous_(g_grad_enabled) { g_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_grad_enabled = previous_; }

Tape* recording_tape(std::initializer_list<const Tensor*> inputs) {
  if (!g_grad_enabled || g_active == nullptr) return nullptr;
  for (const Tensor* t : inputs)
    if (t && t->requires_grad()) return g_active;
  return nullptr;
}

void Tape::backward(const Tensor& loss) {
  PA_CHECK(loss.defined() && loss.numel() == 1, "backward: the loss must have one element, got "
                                                    << loss.describe());
  PA_CHECK(loss.requires_grad(), "backward: the loss does not depend on anything that requires a "
                                 "gradient (was it computed under this tape?)");
  loss.grad_or_zeros().fill_(1.0);
  NoGradGuard no_grad;  // backward closures never record
  for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) (*it)();
  nodes_.clear();
}

}  // namespace pixelart
