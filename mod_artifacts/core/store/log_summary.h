// What a log's lines were, counted as it was uploaded: lines per level and the first ERROR
// and CRITICAL line. The store keeps it with the object (an extended attribute of the file
// on disk, a column of the catalogue's row for Swift) in one stored form, and the index,
// the JSON index and the seal's manifest show it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace artifacts {

struct LogSummary {
    // Lines by their own level, in severity order: DEBUG, INFO, AUDIT, TRACE, WARNING, ERROR,
    // CRITICAL (a line without a level of its own, a traceback's for one, counts in none).
    static constexpr std::array<std::string_view, 7> kLevels = {"DEBUG",   "INFO",  "AUDIT",   "TRACE",
                                                                "WARNING", "ERROR", "CRITICAL"};
    std::array<std::uint64_t, 7> levels{};
    std::uint64_t lines = 0;
    std::uint64_t first_error = 0;     // line number (1-based); 0: none
    std::uint64_t first_critical = 0;  // line number; 0: none

    std::uint64_t count(std::string_view level) const;
    bool operator==(const LogSummary& other) const;
};

// Totals of the logs below a sealed scope, from their summaries.
struct ScopeSummary {
    std::uint64_t logs = 0;     // files with a summary
    std::uint64_t failing = 0;  // of which with an ERROR or CRITICAL line
    LogSummary lines;           // their lines added up (first_* unused)

    void add(const LogSummary& summary);
};

// The stored form: "lines=120 DEBUG=3 ERROR=2 first_error=17" (zero counts left out),
// at most a few hundred bytes.
std::string format_log_summary(const LogSummary& summary);
// nullopt for anything that is not a stored form (damaged or foreign data).
std::optional<LogSummary> parse_log_summary(std::string_view stored);

// {"lines":120,"levels":{"DEBUG":3,"ERROR":2},"first_error":17,"first_critical":null}
void append_log_summary_json(std::string& out, const LogSummary& summary);
// {"DEBUG":3,"ERROR":2}: the levels with lines.
void append_log_levels_json(std::string& out, const LogSummary& summary);

}  // namespace artifacts
