// artifacts-prune: retention. On a filesystem store, removes what is older than a duration
// (by the seal time its token's ledger record holds, else by modification time), never an
// upload in progress, and the ledger records of tokens that can never come back. On Swift
// and the catalogue, rows past their expiry (or older than a duration) with their objects,
// orphaned objects, token rows of expired tokens and the claims of uploads that died.
//   artifacts-prune fs --root DIR --older-than 30d [--state-dir DIR] [--dry-run] [--list] ...
//   artifacts-prune swift --catalogue "SETTINGS" --swift "SETTINGS" --container NAME ...
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "../backends/catalogue_prune.h"
#include "../backends/fs_ledger.h"
#include "../backends/fs_prune.h"
#include "../backends/unique_fd.h"
#include "../core/codec/units.h"
#include "../core/store/retention.h"
#include "command_line.h"
#include "store_options.h"

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
    "ArtifactsTokenMaxLifetime (60s, 24h).\n"
    "  artifacts-prune swift --catalogue \"SETTINGS\" --swift \"SETTINGS\" --container NAME [--shards N]\n"
    "                        [--older-than DURATION] [--orphans] [--orphan-grace 1d] [--claim-grace 1h]\n"
    "                        [--dry-run] [--list] [--leeway DURATION] [--max-lifetime DURATION] [--now UNIX]\n"
    "Removes catalogue rows past their expiry (ArtifactsRetention), or older than DURATION, with\n"
    "their Swift objects and the directory rows they leave empty; token rows of expired tokens;\n"
    "claims of uploads whose lease ran out --claim-grace ago. --orphans also lists every\n"
    "container of the store and removes objects no row names, older than --orphan-grace: never\n"
    "point it at a container anything else writes to. SETTINGS are those of ArtifactsCatalogue\n"
    "and ArtifactsSwift, quoted. One prune runs at a time per catalogue.\n";

// "--name value" pairs and flags, checked against what the command takes.
class Arguments {
public:
    Arguments(int argc, char** argv, const std::vector<std::string>& flags, const std::vector<std::string>& options) {
        for (int i = 2; i < argc; ++i) {
            const std::string arg = argv[i];
            if (std::find(flags.begin(), flags.end(), arg) != flags.end()) {
                values_[arg] = "";
                continue;
            }
            if (std::find(options.begin(), options.end(), arg) == options.end()) {
                throw UsageError(arg.rfind("--", 0) == 0 ? "unknown option " + arg
                                                         : "unexpected argument '" + arg + "'");
            }
            if (i + 1 >= argc) {
                throw UsageError(arg + " needs a value");
            }
            values_[arg] = argv[++i];
        }
    }
    bool has(const std::string& name) const { return values_.count(name) > 0; }
    std::string get(const std::string& name) const {
        const auto found = values_.find(name);
        return found != values_.end() ? found->second : std::string();
    }

private:
    std::map<std::string, std::string> values_;
};

struct Settings {
    std::string root;
    std::string state_dir;
    std::optional<std::int64_t> older_than;
    bool dry_run = false;
    bool list = false;
    double rate = 0;
    unsigned parallel = 8;
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

// What every store's prune shares: the clock and the token rules.
void read_common(const Arguments& arguments, RetentionRules& rules) {
    rules.now = arguments.has("--now") ? static_cast<std::int64_t>(positive_number("--now", arguments.get("--now")))
                                       : static_cast<std::int64_t>(std::time(nullptr));
    if (arguments.has("--leeway")) {
        rules.leeway = duration("--leeway", arguments.get("--leeway"));
    }
    if (arguments.has("--max-lifetime")) {
        rules.max_lifetime = duration("--max-lifetime", arguments.get("--max-lifetime"));
    }
}

Settings parse(int argc, char** argv) {
    const Arguments arguments(
        argc, argv, {"--dry-run", "--list"},
        {"--root", "--state-dir", "--older-than", "--rate", "--parallel", "--leeway", "--max-lifetime", "--now"});
    Settings settings;
    read_common(arguments, settings.rules);
    settings.root = arguments.get("--root");
    settings.state_dir = arguments.get("--state-dir");
    settings.dry_run = arguments.has("--dry-run");
    settings.list = arguments.has("--list");
    if (arguments.has("--older-than")) {
        settings.older_than = duration("--older-than", arguments.get("--older-than"));
    }
    if (arguments.has("--rate")) {
        settings.rate = positive_number("--rate", arguments.get("--rate"));
    }
    if (arguments.has("--parallel")) {
        settings.parallel =
            static_cast<unsigned>(std::min(64.0, positive_number("--parallel", arguments.get("--parallel"))));
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

int prune_swift(int argc, char** argv) {
    const Arguments arguments(argc, argv, {"--dry-run", "--list", "--orphans"},
                              {"--catalogue", "--swift", "--container", "--shards", "--older-than", "--orphan-grace",
                               "--claim-grace", "--leeway", "--max-lifetime", "--now"});
    if (!arguments.has("--catalogue") || !arguments.has("--swift") || !arguments.has("--container")) {
        throw UsageError("--catalogue, --swift and --container are required");
    }
    const CatalogueSettings catalogue_settings = tools::catalogue_option(arguments.get("--catalogue"));
    const SwiftSettings swift_settings = tools::swift_option(arguments.get("--swift"));
    RetentionRules rules;
    read_common(arguments, rules);
    CataloguePruneOptions options;
    options.now = rules.now;
    options.leeway = rules.leeway;
    options.max_lifetime = rules.max_lifetime;
    options.dry_run = arguments.has("--dry-run");
    if (arguments.has("--older-than")) {
        options.cutoff = rules.now - duration("--older-than", arguments.get("--older-than"));
    }
    if (arguments.has("--orphan-grace")) {
        options.orphan_grace = duration("--orphan-grace", arguments.get("--orphan-grace"));
    }
    if (arguments.has("--claim-grace")) {
        options.claim_grace = duration("--claim-grace", arguments.get("--claim-grace"));
    }
    const unsigned shards =
        arguments.has("--shards") ? static_cast<unsigned>(positive_number("--shards", arguments.get("--shards"))) : 1;
    options.containers = store_containers(arguments.get("--container"), shards);
    const bool dry_run = options.dry_run;
    if (arguments.has("--list")) {
        options.on_remove = [dry_run](std::string_view what) {
            std::cout << (dry_run ? "would remove " : "removed ") << what << "\n";
        };
    }
    options.on_error = [](std::string_view what, std::string_view why) {
        std::cerr << "artifacts-prune: " << what << ": " << why << "\n";
    };

    // One prune per catalogue: a named lock held by a connection of its own, released by
    // the server if this process dies.
    MySqlConnection lock(catalogue_settings, catalogue_settings.read_timeout);
    const SqlResult locked = lock.execute("SELECT GET_LOCK(CONCAT('artifacts-prune:', DATABASE()), 0)", {});
    if (locked.rows.empty() || locked.rows[0][0].value_or("0") != "1") {
        std::cerr << "artifacts-prune: another prune of this catalogue is running; this one does nothing\n";
        return 0;
    }
    Catalogue catalogue(catalogue_settings);
    SwiftClient swift(swift_settings);
    CataloguePruneStats stats;
    CataloguePruner pruner(catalogue, swift, options, stats);
    pruner.expired_rows();
    pruner.stale_claims();
    if (arguments.has("--orphans")) {
        pruner.orphans();
    }
    pruner.expired_tokens();
    std::cout << (dry_run ? "would remove " : "removed ") << stats.rows_removed.load() << " rows and objects ("
              << stats.bytes_removed.load() << " bytes), " << stats.directories_removed.load() << " directory rows, "
              << stats.orphans_removed.load() << " orphaned objects, " << stats.tokens_removed.load() << " token rows, "
              << stats.claims_removed.load() << " stale claims; " << stats.errors.load() << " errors\n";
    return stats.errors.load() == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string command = argc > 1 ? argv[1] : "";
    try {
        if (command == "fs") {
            return prune_fs(argc, argv);
        }
        if (command == "swift") {
            return prune_swift(argc, argv);
        }
        if (command == "-h" || command == "--help") {
            std::cout << kUsage;
            return 0;
        }
        throw UsageError(command.empty() ? "no store named (fs or swift)" : "unknown store '" + command + "'");
    } catch (const UsageError& e) {
        std::cerr << "artifacts-prune: " << e.what() << "\n" << kUsage;
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "artifacts-prune: " << e.what() << "\n";
        return 1;
    }
}
