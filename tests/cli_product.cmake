# tests/cli_product.cmake — the product as a user runs it, with a tiny model on the CPU.
include(${CMAKE_CURRENT_LIST_DIR}/cli_common.cmake)

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
# A bad setting in a --config file: the message names the setting and the file.
file(WRITE ${WORK}/bad_config.json "{\"schedule\": \"linear\"}")
run(2 train restore --config ${WORK}/bad_config.json --steps 1 --data gen:40 --out ${WORK}/badcfg --device cpu)
if(NOT last_out MATCHES "--schedule must be [^\n]*\\(settings from --config [^ ]*/bad_config.json and the flags\\)")
  message(FATAL_ERROR "a bad setting from --config did not name the file: ${last_out}")
endif()

# --time-limit: the step under way finishes once the time has passed, the run is saved as at its
# end (model, checkpoint), exit code 0, and the --resume line is printed; a bad time is a usage error.
run(0 train restore --widths 4,8,8,8 --batch 2 --steps 1000000 --data gen:40 --out ${WORK}/timed --device cpu --time-limit 2s)
if(NOT last_out MATCHES "the time limit \\(0m02s\\) reached at step [0-9]+ of 1000000: saving the run; go on with `[^`]*--resume ${WORK}/timed/checkpoint.safetensors`"
   OR NOT EXISTS ${WORK}/timed/model.safetensors OR NOT EXISTS ${WORK}/timed/checkpoint.safetensors)
  message(FATAL_ERROR "--time-limit did not stop and save the run: ${last_out}")
endif()
run(2 train restore --widths 4,8,8,8 --steps 1 --data gen:40 --out ${WORK}/timed2 --device cpu --time-limit soon)

# Ctrl-C while training: the step under way finishes, the run is saved (checkpoint, model), the
# exit code is 130 (128 + SIGINT), and --resume goes on from that step. --foreground: one SIGINT,
# as one Ctrl-C sends (without it timeout also signals its process group, so the trainer could get
# a second SIGINT, which by design stops it at once, before it says it saved the run).
find_program(TIMEOUT timeout)
if(TIMEOUT)
  execute_process(COMMAND ${TIMEOUT} --foreground --preserve-status -s INT 5 ${BIN} train restore --widths 4,8,8,8 --batch 2
                          --steps 1000000 --log-every 1000 --data gen:40 --out ${WORK}/intr --device cpu
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 130 OR NOT err MATCHES "interrupted \\(Ctrl-C\\) at step ([0-9]+) of 1000000: saving the run; go on with `pixelart train restore [^`]* --resume [^ ]*/intr/checkpoint.safetensors`")
    message(FATAL_ERROR "Ctrl-C during training: exit ${rc} (expected 130), or no word of the saved run:\n${err}")
  endif()
  set(stopped_at ${CMAKE_MATCH_1})
  need(${WORK}/intr/model.safetensors)
  need(${WORK}/intr/checkpoint.safetensors)
  math(EXPR go_to "${stopped_at} + 2")
  run(0 train restore --widths 4,8,8,8 --batch 2 --steps ${go_to} --log-every 1 --data gen:40 --out ${WORK}/intr --device cpu
        --resume ${WORK}/intr/checkpoint.safetensors)
  if(NOT last_out MATCHES "resumed at step ${stopped_at}\\)")
    message(FATAL_ERROR "the interrupted run did not resume at step ${stopped_at}: ${last_out}")
  endif()
endif()

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
if(NOT last_out MATCHES "restored 2, .*; peak memory [1-9][0-9]* MB")
  message(FATAL_ERROR "the summary did not give the peak memory: ${last_out}")
endif()
run(5 restore ${WORK}/in -o ${WORK}/out --model ${WORK}/run/model.safetensors)   # outputs exist: skipped
if(NOT last_out MATCHES "skipped 2")
  message(FATAL_ERROR "existing outputs were not skipped: ${last_out}")
endif()
run(4 restore ${WORK}/in/broken.png -o ${WORK}/x.png --model ${WORK}/run/model.safetensors)
run(2 restore ${WORK}/in/00000_input.png -o ${WORK}/y.png --model ${WORK}/run/model.safetensors --size 0)
run(2 restore ${WORK}/in/00000_input.png -o ${WORK}/y.png --model ${WORK}/run/model.safetensors --scale 0.5)
run(2 restore ${WORK}/in/00000_input.png -o ${WORK}/y.png --model ${WORK}/run/model.safetensors --scale 4 --size 16)
# The grid found from the image: a JSON line per image (lattice, size, confidence, time); an image
# that is already one pixel per sprite pixel has no grid to find: named, not restored (4), unless
# --scale says so.
run(0 restore ${WORK}/in/00001_input.png -o ${WORK}/j.png --json)
if(NOT last_out MATCHES "^\\{\"input\": \"[^\"]*00001_input.png\", \"output\": \"[^\"]*j.png\", \"ok\": true, \"pitch\": \\[1[56]\\.[0-9]+, 1[56]\\.[0-9]+\\], \"origin\": .*\"cells\": \\[16, 16\\], \"confidence\": 0\\.[0-9]+, \"background_cleared\": [0-2], \"seconds\": [0-9.]+\\}")
  message(FATAL_ERROR "restore --json did not print the grid found: ${last_out}")
endif()
run(4 restore ${WORK}/pairs/00001_target.png -o ${WORK}/t.png)
if(NOT last_out MATCHES "00001_target.png: no credible pixel grid: .*give --scale or --size")
  message(FATAL_ERROR "an image with no grid was not named with what was found: ${last_out}")
endif()
run(0 restore ${WORK}/pairs/00001_target.png -o ${WORK}/t.png --scale 1)
# Inputs are never overwritten, not even with --overwrite.
file(SHA256 ${WORK}/in/00000_input.png before)
run(4 restore ${WORK}/in/00000_input.png -o ${WORK}/in/00000_input.png --model ${WORK}/run/model.safetensors --overwrite)
file(SHA256 ${WORK}/in/00000_input.png after)
if(NOT before STREQUAL after OR NOT last_out MATCHES "overwrite the input")
  message(FATAL_ERROR "an input was overwritten or not refused: ${last_out}")
endif()
# -o: a .png file (any case) for one input, a folder otherwise; anything else is refused by name
# before any work (usage error), and two inputs of the same name get two outputs.
set(m --model ${WORK}/run/model.safetensors)
run(0 restore ${WORK}/in/00000_input.png -o ${WORK}/upper.PNG ${m})
need(${WORK}/upper.PNG)
run(2 restore ${WORK}/in/00000_input.png -o ${WORK}/out.jpg ${m})
if(NOT last_out MATCHES "-o [^ ]*/out.jpg: outputs are RGBA PNG files" OR EXISTS ${WORK}/out.jpg)
  message(FATAL_ERROR "-o with a .jpg name was not refused, or made something: ${last_out}")
endif()
run(2 restore ${WORK}/in -o ${WORK}/one.png ${m})
if(NOT last_out MATCHES "names one file, but there are 3 inputs; give a folder" OR EXISTS ${WORK}/one.png)
  message(FATAL_ERROR "-o FILE.png with three inputs was not refused, or made something: ${last_out}")
endif()
run(2 upscale ${WORK}/in -o ${WORK}/upper.PNG --pixel-art nearest -f 2)
if(NOT last_out MATCHES "-o [^ ]*/upper.PNG names one file")
  message(FATAL_ERROR "upscale did not refuse a file as the folder for three inputs: ${last_out}")
endif()
file(WRITE ${WORK}/plain "a file")
run(2 restore ${WORK}/in -o ${WORK}/plain ${m})
if(NOT last_out MATCHES "-o [^ ]*/plain: exists and is not a folder")
  message(FATAL_ERROR "a file as the output folder was not refused: ${last_out}")
endif()
file(MAKE_DIRECTORY ${WORK}/twin)
file(COPY ${WORK}/in/00000_input.png DESTINATION ${WORK}/twin)
run(0 restore ${WORK}/in/00000_input.png ${WORK}/twin/00000_input.png -o ${WORK}/twins ${m})
need(${WORK}/twins/00000_input.png)
need(${WORK}/twins/00000_input_1.png)

run(0 eval --model ${WORK}/run/model.safetensors --data ${WORK}/run/holdout.sprites -n 4 --batch 2 --json
      --families clean,outside --sheet ${WORK}/worst.png --device cpu)
if(NOT last_out MATCHES "\"outside\": {\"pixel_accuracy\"")
  message(FATAL_ERROR "eval --json printed no figures for the outside family: ${last_out}")
endif()
need(${WORK}/worst.png)
run(2 eval --model ${WORK}/run/model.safetensors --data ${WORK}/run/holdout.sprites --families nope)
# One line per image of the users' families: a header, then each image's figures, the lattice found
# and how the image was made.
run(0 eval --model ${WORK}/run/model.safetensors --data ${WORK}/run/holdout.sprites -n 3 --batch 2
      --families clean,user-clean --details ${WORK}/details.tsv --device cpu)
file(STRINGS ${WORK}/details.tsv details)
list(LENGTH details lines)
list(GET details 0 header)
list(GET details 1 first)
if(NOT lines EQUAL 4 OR NOT header MATCHES "^family\tindex\tpixel_accuracy\t.*\tfound\twhat"
   OR NOT first MATCHES "^user-clean\t0\t[01][.][0-9]+\t.*(pitch|no credible).*\t.*sheet of")
  message(FATAL_ERROR "eval --details wrote ${lines} lines:\n${header}\n${first}")
endif()
# The figures recorded in a copy of the model (tools/record_evaluation.py): it still loads and
# evaluates the same, and its metadata holds them under the name given.
execute_process(COMMAND ${BIN} eval --model ${WORK}/run/model.safetensors --data ${WORK}/run/holdout.sprites -n 4
                --batch 2 --json --families clean,outside --device cpu OUTPUT_FILE ${WORK}/eval.json ERROR_QUIET)
file(READ ${WORK}/eval.json before)
file(COPY_FILE ${WORK}/run/model.safetensors ${WORK}/recorded.safetensors)
execute_process(COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/../tools/record_evaluation.py ${WORK}/recorded.safetensors
                held ${WORK}/eval.json "pixelart eval ..." RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "record_evaluation.py failed (${rc}): ${out}${err}")
endif()
file(READ ${WORK}/recorded.safetensors blob OFFSET 8 LIMIT 4000000)  # the header (after its length)
if(NOT blob MATCHES "evaluation.*held.*pixelart eval")
  message(FATAL_ERROR "the recorded model has no evaluation 'held' in its metadata")
endif()
execute_process(COMMAND ${BIN} eval --model ${WORK}/recorded.safetensors --data ${WORK}/run/holdout.sprites -n 4
                --batch 2 --json --families clean,outside --device cpu RESULT_VARIABLE rc OUTPUT_VARIABLE after ERROR_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "eval of the recorded model: exit ${rc}")
endif()
string(REGEX REPLACE "\"model\": \"[^\"]*\"" "" a "${before}")
string(REGEX REPLACE "\"model\": \"[^\"]*\"" "" b "${after}")
string(REGEX REPLACE "\"seconds_per_image\": [0-9.]+" "" a "${a}")
string(REGEX REPLACE "\"seconds_per_image\": [0-9.]+" "" b "${b}")
if(NOT a STREQUAL b)
  message(FATAL_ERROR "the recorded model evaluates otherwise:\n${before}\n${after}")
endif()

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
run(0 upscale ${WORK}/in/00000_input.png -o ${WORK}/free.png --model ${WORK}/up/model.safetensors -f 2 --no-back-projection)
need(${WORK}/free.png)
run(2 upscale ${WORK}/out/00000_input.png -o ${WORK}/bad.png --pixel-art nearest -f 2 --no-back-projection)
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
# other shrink kernels and JPEG'd inputs, with the luma of the opaque pixels
run(0 eval-upscale --model ${WORK}/ups/model.safetensors --data ${WORK}/pairs --factors 2 --crop 47 --shrink cubic --jpeg 80)
if(NOT last_out MATCHES "shrunk by f \\(cubic, then JPEG q80\\)" OR NOT last_out MATCHES "opaque Y")
  message(FATAL_ERROR "eval-upscale did not say how the inputs were made: ${last_out}")
endif()
# the named peer: waifu2x's rows where tools/waifu2x_peer.py runs, else a line saying why and what
# to install (never a failure of the run); --no-peer: neither
if(NOT last_out MATCHES "x2      waifu2x " AND NOT last_out MATCHES "waifu2x \\(peer\\): [^\n]*install: ")
  message(FATAL_ERROR "eval-upscale neither ran waifu2x nor said why not: ${last_out}")
endif()
run(0 eval-upscale --model ${WORK}/ups/model.safetensors --data ${WORK}/pairs --factors 2 --crop 47 --no-peer)
if(last_out MATCHES "waifu2x")
  message(FATAL_ERROR "--no-peer still ran the peer: ${last_out}")
endif()
run(2 eval-upscale --model ${WORK}/ups/model.safetensors --data ${WORK}/pairs --shrink box)
# A JPEG denoiser (an upscaler trained at factor 1 on JPEG'd patches) before the upscaler:
# upscale --denoiser M, named in the summary; with -f 1 the denoising alone (--model refused);
# an upscaler of another factor is refused as a denoiser, by name; eval-upscale names it.
run(0 train upscale --filters 4 4 --kernels 3 3 1 --patch 24 --batch 2 --steps 2 --holdout 0 --factor 1 --jpeg 50-90
      --data ${WORK}/pairs --out ${WORK}/den --device cpu)
run(0 upscale ${WORK}/in/00000_input.png -o ${WORK}/den2.png --model ${WORK}/up/model.safetensors -f 2
      --denoiser ${WORK}/den/model.safetensors)
if(NOT last_out MATCHES "model.safetensors, then model.safetensors \\(trained for x2\\)")
  message(FATAL_ERROR "upscale did not name the denoiser before the upscaler: ${last_out}")
endif()
need(${WORK}/den2.png)
run(0 upscale ${WORK}/in/00000_input.png -o ${WORK}/den1.png -f 1 --denoiser ${WORK}/den/model.safetensors)
need(${WORK}/den1.png)
run(2 upscale ${WORK}/in/00000_input.png -o ${WORK}/bad.png -f 1 --denoiser ${WORK}/den/model.safetensors
      --model ${WORK}/up/model.safetensors)
run(2 upscale ${WORK}/in/00000_input.png -o ${WORK}/bad.png --denoiser ${WORK}/up/model.safetensors)
if(NOT last_out MATCHES "up/model.safetensors: an upscaler trained for x2, not a denoiser")
  message(FATAL_ERROR "an x2 upscaler was not refused as a denoiser by name: ${last_out}")
endif()
run(2 upscale ${WORK}/out/00000_input.png -o ${WORK}/bad.png --pixel-art nearest -f 2 --denoiser ${WORK}/den/model.safetensors)
run(0 eval-upscale --model ${WORK}/ups/model.safetensors --data ${WORK}/pairs --factors 2 --crop 47 --jpeg 70 --no-peer
      --denoiser ${WORK}/den/model.safetensors --json)
if(NOT last_out MATCHES "\"denoiser\": \"model.safetensors\"")
  message(FATAL_ERROR "eval-upscale's JSON did not name the denoiser: ${last_out}")
endif()
# A run's checkpoint serves as a model too (evaluating a run while it trains), named as one.
run(0 eval-upscale --model ${WORK}/ups/checkpoint.safetensors --data ${WORK}/pairs --factors 2 --crop 47)
if(NOT last_out MATCHES "upscaler 2x2:8@3-16@1, trained for x2 \\(checkpoint.safetensors\\)")
  message(FATAL_ERROR "eval-upscale did not take the checkpoint as the model: ${last_out}")
endif()
run(2 train upscale --filters 8 --kernels 3 1 --unshuffle 2 --patch 25 --data ${WORK}/pairs --out ${WORK}/up2)
run(2 train upscale --filters 8 --kernels 3 1 --unshuffle 5 --patch 40 --data ${WORK}/pairs --out ${WORK}/up2)
run(2 train upscale --filters 8 --kernels 3 1 --factor 3 --patch 64 --data ${WORK}/pairs --out ${WORK}/up2)
if(NOT last_out MATCHES "does not shrink by --factor 3 to whole pixels \\(use 63 or 66\\)")
  message(FATAL_ERROR "a patch that x3 does not divide was not refused with the sizes that fit: ${last_out}")
endif()
run(2 train restore --unshuffle 2 --data gen:40 --out ${WORK}/aug)
run(2 train upscale --kernels 3,4,1 --filters 4,4 --data ${WORK}/pairs --out ${WORK}/up2)
run(2 train upscale --filters 4 4 --kernels 3 3 1 --augment rotate --data ${WORK}/pairs --out ${WORK}/up2)
run(2 train restore --augment dihedral --data gen:40 --out ${WORK}/aug)
run(2 train upscale --sampling pixel --data ${WORK}/pairs --out ${WORK}/up2)
# Train on from the tiny upscaler with a new schedule; fewer filters do not fit (usage error).
run(0 train upscale --filters 4,4 --kernels 3,3,1 --patch 24 --batch 2 --steps 2 --holdout 0 --lr 1e-4
      --init ${WORK}/up/model.safetensors --data ${WORK}/pairs --out ${WORK}/up_more --device cpu)
if(NOT last_out MATCHES "init: 6 of 6 parameters")
  message(FATAL_ERROR "the upscaler was not warm-started: ${last_out}")
endif()
need(${WORK}/up_more/model.safetensors)
# Wider fits (grown: the new filters start ignored); narrower does not.
run(0 train upscale --filters 8,4 --kernels 3,3,1 --patch 24 --batch 2 --steps 1 --holdout 0
      --init ${WORK}/up/model.safetensors --data ${WORK}/pairs --out ${WORK}/up_wider --device cpu)
if(NOT last_out MATCHES "init: grew .* into 8@3-4@3-4@1: its 3 convolutions kept \\(widened")
  message(FATAL_ERROR "the upscaler was not grown wider: ${last_out}")
endif()
run(2 train upscale --filters 2,4 --kernels 3,3,1 --patch 24 --batch 2 --steps 1 --holdout 0
      --init ${WORK}/up/model.safetensors --data ${WORK}/pairs --out ${WORK}/up_misfit --device cpu)
if(NOT last_out MATCHES "has no place in")
  message(FATAL_ERROR "a narrower upscaler was not refused with the parameter that does not fit: ${last_out}")
endif()
# Training on from a model with another split would train on its held-out images: refused, unless
# the same split (--seed, --holdout) or, knowingly, none (--holdout 0: a warning).
set(tiny --filters 4,4 --kernels 3,3,1 --patch 24 --batch 2 --steps 1 --data ${WORK}/pairs --device cpu)
run(0 train upscale ${tiny} --holdout 0.5 --out ${WORK}/half)
run(2 train upscale ${tiny} --holdout 0.5 --seed 2 --init ${WORK}/half/model.safetensors --out ${WORK}/half_leak)
if(NOT last_out MATCHES "held out [0-9]+ of this run's training images \\(--seed 1 --holdout 0.5\\)")
  message(FATAL_ERROR "training on a model's held-out images was not refused: ${last_out}")
endif()
run(2 train upscale ${tiny} --holdout 0.5 --seed 2 --init ${WORK}/half/checkpoint.safetensors --out ${WORK}/half_leak)
if(NOT last_out MATCHES "held out [0-9]+ of this run's training images.*train on with --holdout-from [^ ]*/half/checkpoint.safetensors")
  message(FATAL_ERROR "training on a checkpoint's held-out images was not refused by its record: ${last_out}")
endif()
run(0 train upscale ${tiny} --holdout 0.5 --seed 1 --init ${WORK}/half/model.safetensors --out ${WORK}/half_same)
run(0 train upscale ${tiny} --holdout 0 --seed 2 --init ${WORK}/half/model.safetensors --out ${WORK}/half_all)
if(NOT last_out MATCHES "warning: .*held out [0-9]+ of this run's training images")
  message(FATAL_ERROR "--holdout 0 from a model with a held-out split gave no warning: ${last_out}")
endif()
# The same for the restorer, on sprites restored by the shipped model from a dozen rendered
# inputs (16x16 sprites: --size) (procedural sprites are drawn from the seed, so another seed
# draws others: not refused).
run(0 synth --data gen:400 -n 12 -o ${WORK}/pairs12 --device cpu)
run(0 restore ${WORK}/pairs12/*_input.png -o ${WORK}/spr --size 16 --device cpu)
set(tinyr --widths 4,8,8,8 --batch 2 --steps 1 --device cpu)
run(0 train restore ${tinyr} --holdout 0.7 --data ${WORK}/spr --out ${WORK}/rhalf)
set(rhalf_out "${last_out}")
run(2 train restore ${tinyr} --holdout 0.3 --seed 2 --init ${WORK}/rhalf/model.safetensors --data ${WORK}/spr --out ${WORK}/rleak)
if(NOT last_out MATCHES "held out [0-9]+ of this run's training sprites \\(--seed 1 --holdout 0.7\\)")
  message(FATAL_ERROR "training the restorer on a model's held-out sprites was not refused: ${last_out}")
endif()
run(0 train restore ${tinyr} --holdout 0.3 --seed 2 --init ${WORK}/rhalf/model.safetensors --data gen:20 --out ${WORK}/rgen)
# --holdout-from: exactly what a model held out (its file records it), whatever the seed; the same
# split for eval; a model file without the record is bad input (4).
string(REGEX MATCH "[0-9]+ training sprites, [0-9]+ held out" rhalf_split "${rhalf_out}")
run(0 train restore ${tinyr} --holdout-from ${WORK}/rhalf/model.safetensors --seed 2 --init ${WORK}/rhalf/model.safetensors
      --data ${WORK}/spr --out ${WORK}/rfrom)
if(NOT rhalf_split OR NOT last_out MATCHES "${rhalf_split}")
  message(FATAL_ERROR "--holdout-from did not give the model's split (${rhalf_split}): ${last_out}")
endif()
run(0 eval --model ${WORK}/rhalf/model.safetensors --data ${WORK}/spr --holdout-from ${WORK}/rhalf/model.safetensors
      -n 4 --families clean --device cpu)
string(REGEX MATCH "[0-9]+ held out" rhalf_held "${rhalf_split}")
string(REGEX REPLACE " held out" "" rhalf_held "${rhalf_held}")
if(NOT last_out MATCHES "eval: ${rhalf_held} of --data's [0-9]+ sprites")
  message(FATAL_ERROR "eval --holdout-from did not evaluate the ${rhalf_held} held-out sprites: ${last_out}")
endif()
# A run with --holdout-from records the whole set it was given, those sprites absent from its
# --data too: a later run or eval that names it still holds out everything the chain never saw.
run(0 train restore ${tinyr} --holdout-from ${WORK}/rhalf/model.safetensors --init ${WORK}/rhalf/model.safetensors
      --data gen:20 --out ${WORK}/rchain)
run(0 eval --model ${WORK}/rchain/model.safetensors --data ${WORK}/spr --holdout-from ${WORK}/rchain/model.safetensors
      -n 4 --families clean --device cpu)
if(NOT last_out MATCHES "eval: ${rhalf_held} of --data's [0-9]+ sprites")
  message(FATAL_ERROR "a --holdout-from run over other sprites did not keep the ${rhalf_held} held out: ${last_out}")
endif()
run(0 train upscale ${tiny} --holdout-from ${WORK}/half/model.safetensors --seed 3 --init ${WORK}/half/model.safetensors
      --out ${WORK}/half_from)
run(4 train upscale ${tiny} --holdout-from ${WORK}/pairs/00000_input.png --out ${WORK}/half_none)
if(NOT last_out MATCHES "00000_input.png")
  message(FATAL_ERROR "--holdout-from an image did not name it: ${last_out}")
endif()
run(0 plot ${WORK}/run/metrics.jsonl -o ${WORK}/curves_again.png)
need(${WORK}/curves_again.png)
run(0 plot ${WORK}/run/metrics.jsonl ${WORK}/up/metrics.jsonl --key loss -o ${WORK}/compare.png)
run(0 eval-upscale --model ${WORK}/up/model.safetensors --data ${WORK}/pairs --factors 2,3 --crop 48 --json --ensemble)
if(NOT last_out MATCHES "\"upscaler\": {\"psnr\"" OR NOT last_out MATCHES "\"ensemble\": {\"psnr\"")
  message(FATAL_ERROR "eval-upscale printed no figures for the upscaler and its ensemble: ${last_out}")
endif()
run(0 eval-upscale --model ${WORK}/up/model.safetensors --data ${WORK}/pairs --factors 2 --crop 48 --per-image --no-back-projection)
if(NOT last_out MATCHES "x2 per image \\(PSNR dB, worst gain first\\)" OR NOT last_out MATCHES "00000_input.png"
   OR NOT last_out MATCHES "x2 median gain over bicubic [-+][0-9.]+ dB \\(4 images\\)")
  message(FATAL_ERROR "eval-upscale --per-image printed no row per image: ${last_out}")
endif()
run(0 eval-upscale --model ${WORK}/up/model.safetensors --data ${WORK}/pairs --factors 2 --crop 48 --per-image --json)
if(NOT last_out MATCHES "\"image_files\": \\[\"" OR NOT last_out MATCHES "\"per_image_psnr\": \\[[0-9]")
  message(FATAL_ERROR "eval-upscale --per-image --json has no per-image figures: ${last_out}")
endif()
run(2 eval-upscale --model ${WORK}/up/model.safetensors --data ${WORK}/pairs --factors 2,x)
