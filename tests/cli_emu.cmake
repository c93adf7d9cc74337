# tests/cli_emu.cmake — the product on the emulated device (tests/cuda_emu): `--device cuda` runs
# src/'s CUDA paths and kernels/*.cu on the CPU, and what a user gets from them is byte for byte
# what `--device cpu` gives. Under the emulation the float arithmetic of inference is the same
# code on both sides (the hand-written kernels share their per-element math with the CPU loops,
# and the emulated cuDNN and cuBLAS compute with the CPU's convolution and GEMM once they have
# read what the calls describe), so any difference is a bug in the CUDA path: a wrong index,
# size, copy, dispatch, descriptor or library argument. Both trainers also run and resume here; their
# figures are compared with the CPU's in pixelart_emu_tests (reductions sum in another order).
# cmake -DBIN=pixelart_emu -DSRC=source dir -DWORK=dir -P cli_emu.cmake
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
function(run)
  execute_process(COMMAND ${BIN} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pixelart_emu ${ARGN}: exit ${rc}\n${out}\n${err}")
  endif()
  set(last_out "${out}${err}" PARENT_SCOPE)
endfunction()
function(same_files a b)
  file(GLOB files RELATIVE ${a} ${a}/*)
  list(LENGTH files n)
  if(n EQUAL 0)
    message(FATAL_ERROR "nothing in ${a}")
  endif()
  foreach(f ${files})
    execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${a}/${f} ${b}/${f} RESULT_VARIABLE differ)
    if(differ)
      message(FATAL_ERROR "${b}/${f} (device cuda, emulated) differs from ${a}/${f} (device cpu)")
    endif()
  endforeach()
  message(STATUS "${n} files identical: ${a} ${b}")
endfunction()

run(info)
if(NOT last_out MATCHES "emulated")
  message(FATAL_ERROR "not the emulated device: ${last_out}")
endif()
set(models ${SRC}/data/models)
foreach(dev cpu cuda)
  # the damage pipeline
  run(synth --data gen:6 -n 6 -o ${WORK}/synth_${dev} --device ${dev})
  # the shipped restorer (ten context layers, colour refinement) through the three-stage pipeline:
  # six examples in batches of two, so decoding, the device and refinement overlap
  file(GLOB examples ${SRC}/data/examples/damaged_*.png)
  run(restore ${examples} -o ${WORK}/restore_${dev} --model ${models}/restorer16.safetensors --batch 2 --preview 2
      --palette auto --device ${dev})
  # the shipped x2 upscaler on 2x2 blocks, in tiles, with the self-ensemble, and the x3 model
  run(upscale ${SRC}/data/examples/original_1.png -o ${WORK}/upscale_${dev}/x2.png -f 2 --tile 48 --ensemble
      --model ${models}/upscaler.safetensors --device ${dev})
  run(upscale ${SRC}/data/examples/original_2.png -o ${WORK}/upscale_${dev}/x3.png -f 3 --passes 2
      --model ${models}/upscaler_x3.safetensors --device ${dev})
  # held-out evaluation of the restorer, as JSON (the seconds it took left out: they are a time)
  run(eval --model ${models}/restorer16.safetensors --data gen:24 -n 8 --json --device ${dev})
  string(REGEX REPLACE "\"seconds_per_image\": [0-9.]+" "" eval_json "${last_out}")
  file(MAKE_DIRECTORY ${WORK}/eval_${dev})
  file(WRITE ${WORK}/eval_${dev}/eval.json "${eval_json}")
endforeach()
# Both trainers from the command line on the device, resumed there (figures compared in
# pixelart_emu_tests: reductions sum in another order than on the CPU)
run(train restore --widths 4,8,8,8 --batch 2 --steps 2 --log-every 1 --checkpoint-every 2 --data gen:24
    --out ${WORK}/train_restore --device cuda)
run(train restore --widths 4,8,8,8 --batch 2 --steps 3 --log-every 1 --data gen:24 --out ${WORK}/train_restore
    --device cuda --resume ${WORK}/train_restore/checkpoint.safetensors)
if(NOT last_out MATCHES "resumed at step 2")
  message(FATAL_ERROR "the restorer did not resume at step 2 on the device: ${last_out}")
endif()
run(train upscale --filters 8 8 --kernels 3 3 3 --unshuffle 2 --patch 32 --batch 2 --steps 2 --log-every 1
    --back-project on --data ${SRC}/data/examples --out ${WORK}/train_upscale --device cuda)
foreach(f model.safetensors checkpoint.safetensors metrics.jsonl curves.png)
  foreach(run train_restore train_upscale)
    if(NOT EXISTS ${WORK}/${run}/${f})
      message(FATAL_ERROR "missing ${WORK}/${run}/${f}")
    endif()
  endforeach()
endforeach()

foreach(what synth restore upscale eval)
  same_files(${WORK}/${what}_cpu ${WORK}/${what}_cuda)
endforeach()
