// What the command-line tools share: usage errors (exit status 2).
#pragma once

#include <stdexcept>

namespace artifacts::tools {

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace artifacts::tools
