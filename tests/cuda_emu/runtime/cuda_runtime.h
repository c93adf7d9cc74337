// tests/cuda_emu/runtime/cuda_runtime.h — in the emulated build only, first on the include path:
// what production code gets for <cuda_runtime.h> is the CPU emulation of the runtime
// (cuda_emu.h), so no production header names the emulation.
#pragma once
#include "../cuda_emu.h"
