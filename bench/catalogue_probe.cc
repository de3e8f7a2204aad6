// bench/catalogue's measuring end: the module's own catalogue code against a loaded
// MariaDB, timed call by call (not installed).
//   catalogue-probe lookups SETTINGS PATHS_FILE SECONDS [STOP]  exact lookups, round robin, for
//                                                          SECONDS (or until the file STOP exists)
//   catalogue-probe listing SETTINGS DIRECTORY ROUNDS     one directory's listing, ROUNDS times
//   catalogue-probe commits SETTINGS WRITERS EACH         an upload's row, ledger charge and
//                                                          commit, on WRITERS threads
// Prints one line: count, p50, p99 and max in milliseconds.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory_resource>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../mod_artifacts/backends/catalogue.h"
#include "../mod_artifacts/backends/mysql_ledger.h"

using namespace artifacts;
using Clock = std::chrono::steady_clock;

namespace {

double ms(Clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

void summary(const char* what, std::vector<double> samples) {
    std::sort(samples.begin(), samples.end());
    const auto at = [&](double q) {
        return samples.empty() ? 0
                               : samples[std::min(samples.size() - 1, static_cast<std::size_t>(q * samples.size()))];
    };
    const auto over = std::count_if(samples.begin(), samples.end(), [](double sample) { return sample > 50; });
    std::printf("%s: %zu calls, p50 %.3f ms, p99 %.3f ms, p99.99 %.3f ms, max %.3f ms, %zu over 50 ms", what,
                samples.size(), at(0.5), at(0.99), at(0.9999), samples.empty() ? 0 : samples.back(),
                static_cast<std::size_t>(over));
    std::printf("\n");
}

CatalogueSettings settings_of(const char* text) {
    CatalogueSettings settings;
    if (const std::string error = parse_catalogue_settings(text, settings); !error.empty()) {
        throw std::runtime_error(error);
    }
    return settings;
}

bool exists(const std::string& path) {
    return access(path.c_str(), F_OK) == 0;
}

// For `seconds`, or until the file `stop` exists ("": no file).
int lookups(const char* settings, const char* file, double seconds, const std::string& stop) {
    Catalogue catalogue(settings_of(settings));
    std::vector<std::string> paths;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
        paths.push_back(line);
    }
    std::vector<double> samples;
    const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    const std::int64_t now = std::time(nullptr);
    for (std::size_t i = 0; !stop.empty() ? !exists(stop) : Clock::now() < end; ++i) {
        const auto started = Clock::now();
        const auto found = catalogue.find(paths[i % paths.size()], now);
        samples.push_back(ms(Clock::now() - started));
        if (!found) {
            std::fprintf(stderr, "not found: %s\n", paths[i % paths.size()].c_str());
            return 1;
        }
    }
    summary("lookups", samples);
    return 0;
}

int listing(const char* settings, const char* directory, int rounds) {
    Catalogue catalogue(settings_of(settings));
    std::vector<double> samples;
    std::size_t entries = 0;
    for (int i = 0; i < rounds; ++i) {
        std::pmr::monotonic_buffer_resource memory;
        IndexEntries out(&memory);
        const auto started = Clock::now();
        catalogue.list(directory, std::time(nullptr), out);
        samples.push_back(ms(Clock::now() - started));
        entries = out.size();
    }
    std::printf("(%zu entries) ", entries);
    summary("listing", samples);
    return 0;
}

int commits(const char* settings, int writers, int each) {
    Catalogue catalogue(settings_of(settings));
    std::mutex lock;
    std::vector<double> samples;
    std::vector<std::thread> threads;
    const auto started = Clock::now();
    for (int w = 0; w < writers; ++w) {
        threads.emplace_back([&, w] {
            MySqlLedger ledger(catalogue.pool());
            std::vector<double> mine;
            for (int i = 0; i < each; ++i) {
                ArtifactRecord record;
                record.path = "bench-commits/" + std::to_string(w) + "/" +
                              std::to_string(started.time_since_epoch().count()) + "/log-" + std::to_string(i) + ".txt";
                record.object = record.path;
                record.size = 4096;
                record.mtime = std::time(nullptr);
                record.content_type = "text/plain";
                record.sha256 = std::string(64, 'a');
                record.etag = std::string(32, 'b');
                record.container = "bench";
                record.jti = "bench-writer-" + std::to_string(w);
                const auto begun = Clock::now();
                // As an upload to Swift commits: the token's row locked and charged, the
                // file's row and its directories written, in one transaction.
                auto entry = ledger.open_entry(record.jti);
                entry->charge(record.size, 1);
                catalogue.record(entry->connection(), record);
                entry->commit();
                mine.push_back(ms(Clock::now() - begun));
            }
            const std::lock_guard<std::mutex> guard(lock);
            samples.insert(samples.end(), mine.begin(), mine.end());
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    std::printf("(%d writers, %.0f commits/s) ", writers, samples.size() / seconds);
    summary("commits", samples);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::string mode = argc > 1 ? argv[1] : "";
        if (mode == "lookups" && (argc == 5 || argc == 6)) {
            return lookups(argv[2], argv[3], std::stod(argv[4]), argc == 6 ? argv[5] : "");
        }
        if (mode == "listing" && argc == 5) {
            return listing(argv[2], argv[3], std::stoi(argv[4]));
        }
        if (mode == "commits" && argc == 5) {
            return commits(argv[2], std::stoi(argv[3]), std::stoi(argv[4]));
        }
        std::cerr << "usage: catalogue-probe lookups|listing|commits SETTINGS ...\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "catalogue-probe: " << e.what() << "\n";
        return 1;
    }
}
