// pixelart/error.h — the one exception type and the documented exit codes of the `pixelart` binary.
#pragma once
#include <stdexcept>
#include <string>

namespace pixelart {

// Exit codes of the command-line tool (also listed in the README).
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,         // a runtime error (CUDA, I/O, numeric) — the message says which
  kExitUsage = 2,           // bad flags or arguments
  kExitNoDevice = 3,        // --device cuda asked for, but no usable GPU / driver
  kExitBadInput = 4,        // an input file could not be read or is malformed
  kExitPartial = 5,         // a batch finished, but some inputs failed (each named on stderr)
  kExitOutput = 6,          // an output could not be written (a folder not writable, a full disk,
                            // a file another run wrote meanwhile): nothing was replaced
};

// Output: an output file could not be written; Exists: it appeared while the run worked (another
// run wrote it) and was kept.
enum class ErrorKind { Generic, Usage, NoDevice, BadInput, Output, Exists };

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what, ErrorKind kind = ErrorKind::Generic)
      : std::runtime_error(what), kind_(kind) {}
  ErrorKind kind() const { return kind_; }
 private:
  ErrorKind kind_;
};

// Throws pixelart::Error("file:line: check failed: COND: message").
[[noreturn]] void fail(const char* file, int line, const std::string& msg,
                       ErrorKind kind = ErrorKind::Generic);

}  // namespace pixelart

// Validation at an op's door: PA_CHECK(x.dim() == 4, "conv2d: input must be NHWC, got " << ...).
#define PA_CHECK(cond, msg)                                                                   \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      std::ostringstream pa_check_os_;                                                        \
      pa_check_os_ << msg;                                                                    \
      ::pixelart::fail(__FILE__, __LINE__, std::string("check failed: " #cond ": ") +         \
                                               pa_check_os_.str());                           \
    }                                                                                         \
  } while (0)
#include <sstream>
