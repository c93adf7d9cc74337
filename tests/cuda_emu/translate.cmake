# tests/cuda_emu/translate.cmake — cmake -DIN=kernels/x.cu -DOUT=x.cpp -P translate.cmake
# Rewrites each kernel launch `k<<<grid, block>>>(args)` as `PA_EMU_LAUNCH(k, grid, block)(args)`
# (cuda_emu.h) so that g++ compiles the file unchanged otherwise; #line keeps errors and
# diagnostics pointing at the .cu file.
file(READ "${IN}" text)
string(REGEX REPLACE "([A-Za-z_][A-Za-z_0-9]*)<<<([^>]+)>>>\\(" "PA_EMU_LAUNCH(\\1, \\2)(" text "${text}")
string(REGEX MATCHALL "<<<" left "${text}")
if(left)
  message(FATAL_ERROR "translate.cmake: ${IN}: a launch it cannot rewrite (the form is name<<<grid, block>>>(args))")
endif()
file(WRITE "${OUT}.tmp" "#line 1 \"${IN}\"\n${text}")
file(RENAME "${OUT}.tmp" "${OUT}")
