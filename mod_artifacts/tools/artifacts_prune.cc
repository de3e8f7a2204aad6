// artifacts-prune: retention. Removes what is older than a duration from a filesystem store
// (by the seal time its token's ledger record holds, else by modification time), never an
// upload in progress, and the ledger records of tokens that can never come back.
//   artifacts-prune fs --root DIR --older-than 30d [--state-dir DIR] [--dry-run] [--list]
//                      [--rate N] [--parallel N] [--leeway 60s] [--max-lifetime 24h] [--now UNIX]
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "../backends/fs_ledger.h"
#include "../backends/fs_prune.h"
#include "../backends/unique_fd.h"
#include "../core/codec/units.h"
#include "../core/store/retention.h"
#include "command_line.h"

using namespace artifacts;
using artifacts::tools::UsageError;

namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  artifacts-prune fs --root DIR --older-than DURATION [--state-dir DIR] [--dry-run] [--list]\n"
    "                     [--rate REMOVALS_PER_SECOND] [--parallel N] [--leeway DURATION]\n"
    "                     [--max-lifetime DURATION] [--now UNIX]\n"
    "Removes files older than DURATION (30d, 12h) below DIR, and the directories they leave\n"
    "empty. With --state-dir (ArtifactsStateDir): a sealed build ages from its seal, an upload in\n"
    "progress is never touched, the ledger records of long-expired tokens go, and one prune runs\n"
    "at a time. --leeway and --max-lifetime are the server's ArtifactsTokenLeeway and\n"
    "ArtifactsTokenMaxLifetime (60s, 24h).\n";

struct Settings {
    std::string root;
    std::string state_dir;
    std::optional<std::int64_t> older_than;
    bool dry_run = false;
    bool list = false;
    double rate = 0;
    unsigned parallel = 2;
    RetentionRules rules;
};

std::int64_t duration(const std::string& option, const std::string& value) {
    const auto seconds = parse_duration(value);
    if (!seconds) {
        throw UsageError(option + " takes a duration such as 30d or 12h, not '" + value + "'");
    }
    return *seconds;
}

double positive_number(const std::string& option, const std::string& value) {
    try {
        std::size_t used = 0;
        const double parsed = std::stod(value, &used);
        if (used == value.size() && parsed > 0) {
            return parsed;
        }
    } catch (const std::exception&) {
    }
    throw UsageError(option + " takes a positive number, not '" + value + "'");
}

Settings parse(int argc, char** argv) {
    Settings settings;
    settings.rules.now = static_cast<std::int64_t>(std::time(nullptr));
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--dry-run") {
            settings.dry_run = true;
            continue;
        }
        if (arg == "--list") {
            settings.list = true;
            continue;
        }
        if (arg.rfind("--", 0) != 0) {
            throw UsageError("unexpected argument '" + arg + "'");
        }
        if (i + 1 >= argc) {
            throw UsageError(arg + " needs a value");
        }
        const std::string value = argv[++i];
        if (arg == "--root") {
            settings.root = value;
        } else if (arg == "--state-dir") {
            settings.state_dir = value;
        } else if (arg == "--older-than") {
            settings.older_than = duration(arg, value);
        } else if (arg == "--rate") {
            settings.rate = positive_number(arg, value);
        } else if (arg == "--parallel") {
            settings.parallel = static_cast<unsigned>(std::min(64.0, positive_number(arg, value)));
        } else if (arg == "--leeway") {
            settings.rules.leeway = duration(arg, value);
        } else if (arg == "--max-lifetime") {
            settings.rules.max_lifetime = duration(arg, value);
        } else if (arg == "--now") {
            settings.rules.now = static_cast<std::int64_t>(positive_number(arg, value));
        } else {
            throw UsageError("unknown option " + arg);
        }
    }
    if (settings.root.empty() || !settings.older_than) {
        throw UsageError("--root and --older-than are required");
    }
    settings.rules.max_age = *settings.older_than;
    return settings;
}

// One prune at a time per state directory (cron on several servers sharing it, or a run
// that outlasts its interval): false when another holds it.
bool take_lock(const std::string& state_dir, UniqueFd& lock) {
    const std::string path = state_dir + "/prune.lock";
    lock.reset(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!lock) {
        throw std::runtime_error("cannot open '" + path + "': " + std::strerror(errno));
    }
    return flock(lock.get(), LOCK_EX | LOCK_NB) == 0;
}

std::vector<std::pair<RetainedToken, std::string>> read_ledger(const std::string& state_dir) {
    std::vector<std::pair<RetainedToken, std::string>> tokens;
    const FsLedger ledger(state_dir + "/ledger");
    ledger.for_each_record(
        [&](const LedgerRecord& record) {
            RetainedToken token;
            token.scope = record.scope;
            token.expires_at = record.expires_at;
            token.sealed_at = record.usage.sealed_at;
            token.seen_at = record.modified_at;
            tokens.emplace_back(std::move(token), record.path);
        },
        [](const std::string& path, const std::string& why) {
            std::cerr << "artifacts-prune: skipping the ledger record " << path << ": " << why << "\n";
        });
    return tokens;
}

int prune_fs(int argc, char** argv) {
    const Settings settings = parse(argc, argv);
    UniqueFd lock;
    std::vector<std::pair<RetainedToken, std::string>> records;
    if (!settings.state_dir.empty()) {
        if (!take_lock(settings.state_dir, lock)) {
            std::cerr << "artifacts-prune: another prune of " << settings.state_dir
                      << " is running; this one does nothing\n";
            return 0;
        }
        records = read_ledger(settings.state_dir);
    } else {
        std::cerr << "artifacts-prune: without --state-dir, uploads in progress are known only by their "
                     "recent times, and seals are not read\n";
    }
    std::vector<RetainedToken> tokens;
    for (const auto& [token, path] : records) {
        tokens.push_back(token);
    }
    const RetentionPlan plan(settings.rules, tokens);

    PruneOptions options;
    options.dry_run = settings.dry_run;
    options.rate = settings.rate;
    options.parallel = settings.parallel;
    if (settings.list) {
        options.on_remove = [&](std::string_view path) {
            std::cout << (settings.dry_run ? "would remove " : "removed ") << path << "\n";
        };
    }
    options.on_error = [](std::string_view path, int error) {
        std::cerr << "artifacts-prune: " << path << ": " << std::strerror(error) << "\n";
    };
    PruneStats stats;
    prune_tree(settings.root, plan, options, stats);

    std::uint64_t records_removed = 0;
    for (const auto& [token, path] : records) {
        if (plan.record_expired(token)) {
            if (settings.dry_run || FsLedger::remove_record(path)) {
                ++records_removed;
            }
        }
    }
    std::cout << (settings.dry_run ? "would remove " : "removed ") << stats.files_removed.load() << " files ("
              << stats.bytes_removed.load() << " bytes) and " << stats.directories_removed.load()
              << " directories, kept " << stats.files_kept.load() << " files; " << records_removed
              << " ledger records of expired tokens " << (settings.dry_run ? "would go" : "removed") << "; "
              << stats.errors.load() << " errors\n";
    return stats.errors.load() == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string command = argc > 1 ? argv[1] : "";
    try {
        if (command == "fs") {
            return prune_fs(argc, argv);
        }
        if (command == "-h" || command == "--help") {
            std::cout << kUsage;
            return 0;
        }
        throw UsageError(command.empty() ? "no store named (fs)" : "unknown store '" + command + "'");
    } catch (const UsageError& e) {
        std::cerr << "artifacts-prune: " << e.what() << "\n" << kUsage;
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "artifacts-prune: " << e.what() << "\n";
        return 1;
    }
}
