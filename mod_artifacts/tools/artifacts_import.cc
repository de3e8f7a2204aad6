// artifacts-import: moves (or copies) an existing log tree into Swift and the catalogue, so
// that the servers answer it from Swift and the disk copy can go.
//   artifacts-import --catalogue "SETTINGS" --swift "SETTINGS" --container NAME --root DIR [PATH...]
//                    [--shards N] [--retention DURATION] [--parallel N] [--dry-run] [--delete-source]
//                    [--summarise PATTERN]...
#include <fnmatch.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../backends/swift_import.h"
#include "../core/codec/units.h"
#include "../core/policy/path_policy.h"
#include "command_line.h"
#include "store_options.h"

using namespace artifacts;
using artifacts::tools::UsageError;

namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  artifacts-import --catalogue \"SETTINGS\" --swift \"SETTINGS\" --container NAME --root DIR [PATH...]\n"
    "                   [--shards N] [--retention DURATION] [--parallel N] [--dry-run] [--delete-source]\n"
    "                   [--summarise PATTERN]...\n"
    "Imports the files below DIR (or only below each PATH, relative to DIR) into Swift and the\n"
    "catalogue, as uploads through the module would store them: a legacy name.txt.gz becomes\n"
    "name.txt stored gzip, a symlink to a file inside DIR a copy of that file; symlinks to\n"
    "directories or outside DIR are skipped. SETTINGS, --container, --shards and --retention are\n"
    "those of ArtifactsCatalogue, ArtifactsSwift, ArtifactsSwiftContainer,\n"
    "ArtifactsSwiftContainerShards and ArtifactsRetention. Resumable: a file whose row already\n"
    "holds the same bytes is skipped. --delete-source removes each file once its row is\n"
    "committed (and directories left empty). Files whose name (as imported: name.txt for a\n"
    "legacy name.txt.gz) matches a --summarise pattern, those of ArtifactsHtmlify, get the log\n"
    "summary an upload would (lines per level, the first ERROR and CRITICAL line) for the\n"
    "index's badges and the manifest; default \"*.txt\" \"*.log\".\n";

struct Settings {
    std::string catalogue;
    std::string swift;
    std::string root;
    std::vector<std::string> paths;
    ImportSettings import;
    unsigned parallel = 8;
    std::vector<std::string> summarise;  // --summarise patterns; empty: the defaults
};

unsigned positive(const std::string& option, const std::string& value) {
    char* end = nullptr;
    const unsigned long parsed = std::strtoul(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || parsed == 0 || parsed > 100000) {
        throw UsageError(option + " takes a positive number, not '" + value + "'");
    }
    return static_cast<unsigned>(parsed);
}

Settings parse(int argc, char** argv) {
    Settings settings;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--dry-run") {
            settings.import.dry_run = true;
        } else if (arg == "--delete-source") {
            settings.import.delete_source = true;
        } else if (arg == "-h" || arg == "--help") {
            std::cout << kUsage;
            std::exit(0);
        } else if (arg.rfind("--", 0) == 0) {
            if (i + 1 >= argc) {
                throw UsageError(arg + " needs a value");
            }
            const std::string value = argv[++i];
            if (arg == "--catalogue") {
                settings.catalogue = value;
            } else if (arg == "--swift") {
                settings.swift = value;
            } else if (arg == "--container") {
                settings.import.container = value;
            } else if (arg == "--root") {
                settings.root = value;
            } else if (arg == "--summarise") {
                if (value.find('/') != std::string::npos) {
                    throw UsageError("--summarise takes a file name pattern without '/', not '" + value + "'");
                }
                settings.summarise.push_back(value);
            } else if (arg == "--shards") {
                settings.import.shards = positive(arg, value);
            } else if (arg == "--parallel") {
                settings.parallel = std::min(64U, positive(arg, value));
            } else if (arg == "--retention") {
                const auto seconds = parse_duration(value);
                if (!seconds) {
                    throw UsageError("--retention takes a duration such as 90d, not '" + value + "'");
                }
                settings.import.retention = *seconds;
            } else {
                throw UsageError("unknown option " + arg);
            }
        } else {
            settings.paths.push_back(arg);
        }
    }
    if (settings.catalogue.empty() || settings.swift.empty() || settings.import.container.empty() ||
        settings.root.empty()) {
        throw UsageError("--catalogue, --swift, --container and --root are required");
    }
    if (settings.summarise.empty()) {
        settings.summarise = {"*.txt", "*.log"};
    }
    return settings;
}

// The files to import, found by walking the tree; what cannot be imported is said once.
class Walk {
public:
    Walk(std::string root, std::vector<std::string> summarise)
        : root_(std::move(root)), summarise_(std::move(summarise)) {
        char resolved[PATH_MAX];
        if (realpath(root_.c_str(), resolved) == nullptr) {
            throw std::runtime_error("cannot open '" + root_ + "': " + std::strerror(errno));
        }
        real_root_ = resolved;
    }

    void directory(const std::string& relative) {  // "" or ending with '/'
        const std::string full = root_ + "/" + relative;
        const std::unique_ptr<DIR, int (*)(DIR*)> listing(opendir(full.c_str()), closedir);
        if (!listing) {
            skip(relative, std::strerror(errno));
            return;
        }
        directories.push_back(relative);
        std::vector<std::string> names;
        while (const dirent* entry = readdir(listing.get())) {
            if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0) {
                names.emplace_back(entry->d_name);
            }
        }
        std::sort(names.begin(), names.end());
        const std::set<std::string> present(names.begin(), names.end());
        for (const std::string& name : names) {
            entry(relative, name, present);
        }
    }

    std::vector<ImportItem> items;
    std::vector<std::string> directories;  // walked, shallowest first
    std::uint64_t bytes = 0;
    std::uint64_t skipped = 0;

private:
    void entry(const std::string& relative, const std::string& name, const std::set<std::string>& present) {
        const std::string path = relative + name;
        const std::string full = root_ + "/" + path;
        struct stat status {};
        if (lstat(full.c_str(), &status) != 0) {
            skip(path, std::strerror(errno));
            return;
        }
        if (S_ISDIR(status.st_mode)) {
            directory(path + "/");
            return;
        }
        if (name.rfind(".artifacts-tmp-", 0) == 0) {
            return;  // an upload's temporary file
        }
        if (const PathProblem problem = check_storable_path(path); problem != PathProblem::None) {
            skip(path, std::string(describe(problem)));
            return;
        }
        std::string source = full;
        std::string link;
        if (S_ISLNK(status.st_mode)) {
            char resolved[PATH_MAX];
            if (realpath(full.c_str(), resolved) == nullptr || stat(resolved, &status) != 0 ||
                !S_ISREG(status.st_mode) || std::string(resolved).rfind(real_root_ + "/", 0) != 0) {
                skip(path, "a symlink to a directory or outside the root");
                return;
            }
            source = resolved;
            link = full;
        } else if (!S_ISREG(status.st_mode)) {
            skip(path, "not a regular file");
            return;
        }
        const bool gz = name.size() > 3 && name.compare(name.size() - 3, 3, ".gz") == 0;
        ImportItem item = plan_import(source, path, gz && present.count(name.substr(0, name.size() - 3)) > 0);
        item.link = link;
        const std::string imported_name = split_path(item.path).name;
        item.summarise = std::any_of(summarise_.begin(), summarise_.end(), [&](const std::string& pattern) {
            return fnmatch(pattern.c_str(), imported_name.c_str(), 0) == 0;
        });
        bytes += static_cast<std::uint64_t>(status.st_size);
        items.push_back(std::move(item));
    }

    void skip(const std::string& path, const std::string& why) {
        ++skipped;
        std::cerr << "artifacts-import: skipping " << path << ": " << why << "\n";
    }

    std::string root_;
    std::string real_root_;
    std::vector<std::string> summarise_;  // --summarise patterns
};

struct Counts {
    std::atomic<std::uint64_t> done{0};
    std::atomic<std::uint64_t> bytes{0};
    std::atomic<std::uint64_t> imported{0};
    std::atomic<std::uint64_t> already{0};
    std::atomic<std::uint64_t> conflicts{0};
    std::atomic<std::uint64_t> busy{0};
    std::atomic<std::uint64_t> errors{0};
    std::atomic<std::uint64_t> removed{0};
};

std::string megabytes(std::uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / 1e6);
    return text;
}

// A bar on a terminal, redrawn in place; a plain line every 10 s otherwise (a log file).
void report_progress(const Counts& counts, std::size_t total, std::uint64_t total_bytes, bool terminal,
                     std::chrono::steady_clock::time_point started) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const std::uint64_t done = counts.done.load();
    const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
    if (terminal) {
        constexpr int kWidth = 30;
        const int filled = total == 0 ? kWidth : static_cast<int>(kWidth * done / total);
        std::fprintf(stderr, "\r[%s%s] %llu/%zu files, %s of %s, %.0f files/s ", std::string(filled, '#').c_str(),
                     std::string(kWidth - filled, '.').c_str(), static_cast<unsigned long long>(done), total,
                     megabytes(counts.bytes.load()).c_str(), megabytes(total_bytes).c_str(), rate);
    } else {
        std::fprintf(stderr, "artifacts-import: %llu/%zu files, %s of %s, %.0f files/s\n",
                     static_cast<unsigned long long>(done), total, megabytes(counts.bytes.load()).c_str(),
                     megabytes(total_bytes).c_str(), rate);
    }
    std::fflush(stderr);
}

int run(int argc, char** argv) {
    const Settings settings = parse(argc, argv);
    const CatalogueSettings catalogue_settings = tools::catalogue_option(settings.catalogue);
    const SwiftSettings swift_settings = tools::swift_option(settings.swift);
    Walk walk(settings.root, settings.summarise);
    if (settings.paths.empty()) {
        walk.directory("");
    }
    for (std::string path : settings.paths) {
        while (!path.empty() && path.back() == '/') {
            path.pop_back();
        }
        if (check_relative_path(path) != PathProblem::None || path.empty()) {
            throw UsageError("'" + path + "' is not a path below the root");
        }
        walk.directory(path + "/");
    }
    Catalogue catalogue(catalogue_settings);
    SwiftClient swift(swift_settings);
    Importer importer(catalogue, swift, settings.import);
    Counts counts;
    std::mutex report;
    const auto started = std::chrono::steady_clock::now();
    std::atomic<std::size_t> next{0};
    // Symlinks first, all of them: with --delete-source a link's target may be one of the
    // files, and once it is gone the link could no longer be read.
    const std::size_t links =
        static_cast<std::size_t>(std::stable_partition(walk.items.begin(), walk.items.end(),
                                                       [](const ImportItem& item) { return !item.link.empty(); }) -
                                 walk.items.begin());
    std::atomic<std::size_t> links_done{0};
    const auto work = [&] {
        for (std::size_t i = next.fetch_add(1); i < walk.items.size(); i = next.fetch_add(1)) {
            const ImportItem& item = walk.items[i];
            while (i >= links && links_done.load() < links) {
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
            try {
                const ImportResult result = importer.import(item);
                switch (result.outcome) {
                case ImportOutcome::Imported: counts.imported.fetch_add(1); break;
                case ImportOutcome::AlreadyThere: counts.already.fetch_add(1); break;
                case ImportOutcome::Conflict: {
                    counts.conflicts.fetch_add(1);
                    const std::lock_guard<std::mutex> lock(report);
                    std::cerr << "\nartifacts-import: " << item.path
                              << ": the catalogue holds other bytes there; left as it is\n";
                    break;
                }
                case ImportOutcome::Busy: {
                    counts.busy.fetch_add(1);
                    const std::lock_guard<std::mutex> lock(report);
                    std::cerr << "\nartifacts-import: " << item.path << ": an upload holds it; run again later\n";
                    break;
                }
                }
                counts.removed.fetch_add(result.source_removed ? 1 : 0);
                counts.bytes.fetch_add(result.bytes);
            } catch (const std::exception& e) {
                counts.errors.fetch_add(1);
                const std::lock_guard<std::mutex> lock(report);
                std::cerr << "\nartifacts-import: " << item.path << ": " << e.what() << "\n";
            }
            counts.done.fetch_add(1);
            if (i < links) {
                links_done.fetch_add(1);
            }
        }
    };
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < std::max(1U, settings.parallel); ++t) {
        threads.emplace_back(work);
    }
    const bool terminal = isatty(STDERR_FILENO) != 0;
    auto last = std::chrono::steady_clock::now();
    while (counts.done.load() < walk.items.size()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        const auto now = std::chrono::steady_clock::now();
        if (now - last >= (terminal ? std::chrono::milliseconds(200) : std::chrono::milliseconds(10000))) {
            const std::lock_guard<std::mutex> lock(report);
            report_progress(counts, walk.items.size(), walk.bytes, terminal, started);
            last = now;
        }
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    if (terminal) {
        report_progress(counts, walk.items.size(), walk.bytes, terminal, started);
        std::fputc('\n', stderr);
    }
    std::uint64_t directories_removed = 0;
    if (settings.import.delete_source && !settings.import.dry_run) {
        // Deepest first; one that still holds something stays.
        for (auto it = walk.directories.rbegin(); it != walk.directories.rend(); ++it) {
            if (!it->empty() && rmdir((settings.root + "/" + *it).c_str()) == 0) {
                ++directories_removed;
            }
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    char rates[96];
    std::snprintf(rates, sizeof rates, "%.1f s, %.0f files/s, %.1f MB/s", seconds,
                  seconds > 0 ? static_cast<double>(walk.items.size()) / seconds : 0,
                  seconds > 0 ? static_cast<double>(counts.bytes.load()) / 1e6 / seconds : 0);
    std::cout << (settings.import.dry_run ? "would import " : "imported ") << counts.imported.load() << " files ("
              << megabytes(walk.bytes) << " in the tree); " << counts.already.load() << " already catalogued, "
              << counts.conflicts.load() << " conflicts, " << counts.busy.load() << " busy, " << walk.skipped
              << " skipped, " << counts.errors.load() << " errors; " << counts.removed.load() << " sources and "
              << directories_removed << " directories removed; " << rates << "\n";
    return counts.conflicts.load() + counts.busy.load() + counts.errors.load() == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const UsageError& e) {
        std::cerr << "artifacts-import: " << e.what() << "\n" << kUsage;
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "artifacts-import: " << e.what() << "\n";
        return 1;
    }
}
