# tests/cli_product.cmake — the product as a user runs it, with a tiny model on the CPU.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
function(run expect)
  execute_process(COMMAND ${BIN} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL expect)
    message(FATAL_ERROR "pixelart ${ARGN}: exit ${rc}, expected ${expect}\n${out}\n${err}")
  endif()
  set(last_out "${out}${err}" PARENT_SCOPE)
endfunction()
function(need path)
  if(NOT EXISTS ${path})
    message(FATAL_ERROR "missing ${path}")
  endif()
endfunction()

run(0 train restore --widths 4,8,8,8 --batch 2 --steps 4 --log-every 2 --checkpoint-every 2
      --data gen:40 --out ${WORK}/run --device cpu)
foreach(f model.safetensors checkpoint.safetensors metrics.jsonl curves.png config.json holdout.sprites)
  need(${WORK}/run/${f})
endforeach()
run(0 train restore --widths 4,8,8,8 --batch 2 --steps 6 --log-every 2 --data gen:40 --out ${WORK}/run
      --device cpu --resume ${WORK}/run/checkpoint.safetensors)
if(NOT last_out MATCHES "resumed at step 4")
  message(FATAL_ERROR "resume did not continue from step 4: ${last_out}")
endif()
# Grow the trained model by two context layers, then restore with it; a model that does not fit
# is a usage error.
run(0 train restore --widths 4,8,8,8 --context 2 --init ${WORK}/run/model.safetensors --batch 2 --steps 2
      --log-every 1 --data gen:40 --out ${WORK}/ctx --device cpu)
if(NOT last_out MATCHES "4-4-8-8-8\\+2ctx-4")
  message(FATAL_ERROR "the grown model is not 4-4-8-8-8+2ctx-4: ${last_out}")
endif()
run(2 train restore --widths 4,8,8 --init ${WORK}/run/model.safetensors --batch 2 --steps 1
      --data gen:40 --out ${WORK}/misfit --device cpu)
# bf16 training runs and says so in its configuration; an unknown precision is a usage error.
run(0 train restore --widths 4,8,8,8 --precision bf16 --batch 2 --steps 2 --log-every 1 --data gen:40
      --out ${WORK}/bf16 --device cpu)
file(READ ${WORK}/bf16/config.json bf16_config)
if(NOT bf16_config MATCHES "\"precision\": \"bf16\"")
  message(FATAL_ERROR "the bf16 run's config.json does not say bf16: ${bf16_config}")
endif()
run(2 train restore --widths 4,8,8,8 --precision fp16 --batch 2 --steps 1 --data gen:40 --out ${WORK}/fp16 --device cpu)

run(0 synth --data gen:8 -n 3 -o ${WORK}/pairs --device cpu)
file(MAKE_DIRECTORY ${WORK}/in)
file(COPY ${WORK}/pairs/00000_input.png ${WORK}/pairs/00001_input.png DESTINATION ${WORK}/in)
file(WRITE ${WORK}/in/broken.png "not a png")
run(5 restore ${WORK}/in -o ${WORK}/out --model ${WORK}/run/model.safetensors --preview 4 --sheet ${WORK}/sheet.png)
need(${WORK}/out/00000_input.png)
need(${WORK}/out/00000_input_x4.png)
need(${WORK}/sheet.png)
if(NOT last_out MATCHES "broken.png")
  message(FATAL_ERROR "the bad file was not named: ${last_out}")
endif()
run(5 restore ${WORK}/in -o ${WORK}/out --model ${WORK}/run/model.safetensors)   # outputs exist: skipped
if(NOT last_out MATCHES "skipped 2")
  message(FATAL_ERROR "existing outputs were not skipped: ${last_out}")
endif()
run(4 restore ${WORK}/in/broken.png -o ${WORK}/x.png --model ${WORK}/run/model.safetensors)
run(2 restore ${WORK}/in/00000_input.png -o ${WORK}/y.png --model ${WORK}/run/model.safetensors --size 0)
# Inputs are never overwritten, not even with --overwrite.
file(SHA256 ${WORK}/in/00000_input.png before)
run(4 restore ${WORK}/in/00000_input.png -o ${WORK}/in/00000_input.png --model ${WORK}/run/model.safetensors --overwrite)
file(SHA256 ${WORK}/in/00000_input.png after)
if(NOT before STREQUAL after OR NOT last_out MATCHES "overwrite the input")
  message(FATAL_ERROR "an input was overwritten or not refused: ${last_out}")
endif()

run(0 eval --model ${WORK}/run/model.safetensors --data ${WORK}/run/holdout.sprites -n 4 --batch 2 --json
      --families clean,outside --sheet ${WORK}/worst.png --device cpu)
if(NOT last_out MATCHES "\"outside\": {\"pixel_accuracy\"")
  message(FATAL_ERROR "eval --json printed no figures for the outside family: ${last_out}")
endif()
need(${WORK}/worst.png)
run(2 eval --model ${WORK}/run/model.safetensors --data ${WORK}/run/holdout.sprites --families nope)

# The upscaler: train a tiny one on the rendered pairs, upscale (tiles, passes), pixel-art modes.
# Lists as words, as the issue writes them (--filters 64 64 64 --kernels 7 5 3 1).
run(0 train upscale --filters 4 4 --kernels 3 3 1 --patch 24 --batch 2 --steps 3 --log-every 1 --holdout 0
      --loss 1 0 0.5 0 --augment dihedral --sampling area --data ${WORK}/pairs --out ${WORK}/up --device cpu)
need(${WORK}/up/model.safetensors)
file(READ ${WORK}/up/config.json up_config)
if(NOT up_config MATCHES "\"filters\": \"4,4\"" OR NOT up_config MATCHES "\"kernels\": \"3,3,1\""
   OR NOT up_config MATCHES "\"loss\": \"1,0,0.5,0\"" OR NOT up_config MATCHES "\"augment\": \"dihedral\""
   OR NOT up_config MATCHES "\"sampling\": \"area\"")
  message(FATAL_ERROR "the lists given as words were not read as lists: ${up_config}")
endif()
run(0 upscale ${WORK}/in/00000_input.png -o ${WORK}/up.png --model ${WORK}/up/model.safetensors -f 1.5 --passes 2 --tile 64)
need(${WORK}/up.png)
run(0 upscale ${WORK}/out/00000_input.png -o ${WORK}/px.png --pixel-art nearest -f 4)
run(0 upscale ${WORK}/in/00000_input.png -o ${WORK}/pr.png --pixel-art restore --restorer ${WORK}/run/model.safetensors -f 4)
run(0 upscale ${WORK}/in/00000_input.png -o ${WORK}/prc.png --pixel-art restore --restorer ${WORK}/ctx/model.safetensors -f 3)
run(2 upscale ${WORK}/in/00000_input.png -o ${WORK}/bad.png --pixel-art nearest -f 1.5)
run(0 upscale ${WORK}/out/00000_input.png -o ${WORK}/pxh.png --pixel-art nearest -f 6 --edges hard)
run(2 upscale ${WORK}/out/00000_input.png -o ${WORK}/bad.png --pixel-art nearest -f 2 --edges round)
run(2 upscale ${WORK}/out/00000_input.png -o ${WORK}/bad.png -f 2 --edges hard)
run(0 upscale ${WORK}/in/00000_input.png -o ${WORK}/ens.png --model ${WORK}/up/model.safetensors -f 2 --ensemble)
need(${WORK}/ens.png)
run(2 upscale ${WORK}/out/00000_input.png -o ${WORK}/bad.png --pixel-art nearest -f 2 --ensemble)
# Without --model, the shipped upscaler trained for the factor nearest to -f (data/models).
foreach(pair "2;upscaler.safetensors \\(trained for x2\\)" "2.4;upscaler.safetensors \\(trained for x2\\)"
        "3;upscaler_x3.safetensors \\(trained for x3\\)")
  list(GET pair 0 f)
  list(GET pair 1 expect)
  run(0 upscale ${WORK}/out/00000_input.png -o ${WORK}/shipped_${f}.png -f ${f})
  if(NOT last_out MATCHES "${expect}")
    message(FATAL_ERROR "-f ${f} did not take the shipped model trained for it: ${last_out}")
  endif()
endforeach()
# The convolutions on 2x2 blocks: trained, kept in the model file, used by upscale and eval-upscale
# at sizes that are not whole blocks (the 1.5x input is odd).
run(0 train upscale --filters 8 --kernels 3 1 --unshuffle 2 --patch 24 --batch 2 --steps 2 --holdout 0
      --data ${WORK}/pairs --out ${WORK}/ups --device cpu)
if(NOT last_out MATCHES "2x2:8@3-16@1")
  message(FATAL_ERROR "train did not describe the blocked upscaler: ${last_out}")
endif()
run(0 upscale ${WORK}/in/00000_input.png -o ${WORK}/ups.png --model ${WORK}/ups/model.safetensors -f 1.5 --passes 2 --tile 20)
need(${WORK}/ups.png)
run(0 eval-upscale --model ${WORK}/ups/model.safetensors --data ${WORK}/pairs --factors 2 --crop 47)
run(2 train upscale --filters 8 --kernels 3 1 --unshuffle 2 --patch 25 --data ${WORK}/pairs --out ${WORK}/up2)
run(2 train upscale --filters 8 --kernels 3 1 --unshuffle 5 --patch 40 --data ${WORK}/pairs --out ${WORK}/up2)
run(2 train restore --unshuffle 2 --data gen:40 --out ${WORK}/aug)
run(2 train upscale --kernels 3,4,1 --filters 4,4 --data ${WORK}/pairs --out ${WORK}/up2)
run(2 train upscale --filters 4 4 --kernels 3 3 1 --augment rotate --data ${WORK}/pairs --out ${WORK}/up2)
run(2 train restore --augment dihedral --data gen:40 --out ${WORK}/aug)
run(2 train upscale --sampling pixel --data ${WORK}/pairs --out ${WORK}/up2)
# Train on from the tiny upscaler with a new schedule; other filters do not fit (usage error).
run(0 train upscale --filters 4,4 --kernels 3,3,1 --patch 24 --batch 2 --steps 2 --holdout 0 --lr 1e-4
      --init ${WORK}/up/model.safetensors --data ${WORK}/pairs --out ${WORK}/up_more --device cpu)
if(NOT last_out MATCHES "init: 6 of 6 parameters")
  message(FATAL_ERROR "the upscaler was not warm-started: ${last_out}")
endif()
need(${WORK}/up_more/model.safetensors)
run(2 train upscale --filters 8,4 --kernels 3,3,1 --patch 24 --batch 2 --steps 1 --holdout 0
      --init ${WORK}/up/model.safetensors --data ${WORK}/pairs --out ${WORK}/up_misfit --device cpu)
run(0 plot ${WORK}/run/metrics.jsonl -o ${WORK}/curves_again.png)
need(${WORK}/curves_again.png)
run(0 plot ${WORK}/run/metrics.jsonl ${WORK}/up/metrics.jsonl --key loss -o ${WORK}/compare.png)
run(0 eval-upscale --model ${WORK}/up/model.safetensors --data ${WORK}/pairs --factors 2,3 --crop 48 --json --ensemble)
if(NOT last_out MATCHES "\"upscaler\": {\"psnr\"" OR NOT last_out MATCHES "\"ensemble\": {\"psnr\"")
  message(FATAL_ERROR "eval-upscale printed no figures for the upscaler and its ensemble: ${last_out}")
endif()
run(0 eval-upscale --model ${WORK}/up/model.safetensors --data ${WORK}/pairs --factors 2 --crop 48 --per-image)
if(NOT last_out MATCHES "x2 per image \\(PSNR dB, worst gain first\\)" OR NOT last_out MATCHES "00000_input.png"
   OR NOT last_out MATCHES "x2 median gain over bicubic [-+][0-9.]+ dB \\(4 images\\)")
  message(FATAL_ERROR "eval-upscale --per-image printed no row per image: ${last_out}")
endif()
run(0 eval-upscale --model ${WORK}/up/model.safetensors --data ${WORK}/pairs --factors 2 --crop 48 --per-image --json)
if(NOT last_out MATCHES "\"image_files\": \\[\"" OR NOT last_out MATCHES "\"per_image_psnr\": \\[[0-9]")
  message(FATAL_ERROR "eval-upscale --per-image --json has no per-image figures: ${last_out}")
endif()
run(2 eval-upscale --model ${WORK}/up/model.safetensors --data ${WORK}/pairs --factors 2,x)
