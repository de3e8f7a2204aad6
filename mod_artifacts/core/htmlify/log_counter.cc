#include "log_counter.h"

namespace artifacts {

void LogCounter::open_line(std::string_view first_piece) {
    const std::uint64_t number = ++summary_.lines;
    const Level level = classify_log_line(first_piece, false).level;
    if (level == Level::None) {
        return;
    }
    // Level's order after None is the summary's.
    ++summary_.levels[static_cast<std::size_t>(level) - 1];
    if (level == Level::Error && summary_.first_error == 0) {
        summary_.first_error = number;
    } else if (level == Level::Critical && summary_.first_critical == 0) {
        summary_.first_critical = number;
    }
}

}  // namespace artifacts
