# tests/cli_exit_codes.cmake — the documented exit codes of `pixelart` (README, error.h).
function(expect_exit code)
  execute_process(COMMAND ${BIN} ${ARGN} RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  if(NOT rc EQUAL code)
    message(FATAL_ERROR "pixelart ${ARGN}: exit ${rc}, expected ${code}; stderr: ${err}")
  endif()
endfunction()
expect_exit(0 --help)
expect_exit(2)                                   # no command
expect_exit(2 frobnicate)                        # unknown command
expect_exit(2 forward --bogus)                   # unknown flag
expect_exit(2 forward --size abc)                # bad value
expect_exit(2 forward --device tpu)
execute_process(COMMAND ${BIN} info OUTPUT_VARIABLE info)
if(info MATCHES "gpu: none")
  expect_exit(3 forward --device cuda)           # no GPU: a clear error, never a crash
endif()
