#include <cppunit/extensions/HelperMacros.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "../../mod_artifacts/backends/fs_ledger.h"
#include "../../mod_artifacts/backends/fs_prune.h"
#include "../../mod_artifacts/core/store/retention.h"

using namespace artifacts;
namespace fs = std::filesystem;

namespace {

const std::int64_t kNow = static_cast<std::int64_t>(time(nullptr));
constexpr std::int64_t kDay = 86400;

RetentionRules rules(std::int64_t max_age = 30 * kDay) {
    RetentionRules result;
    result.now = kNow;
    result.max_age = max_age;
    return result;
}

RetainedToken token(std::string scope, std::int64_t expires_at, std::int64_t sealed_at = 0) {
    RetainedToken result;
    result.scope = std::move(scope);
    result.expires_at = expires_at;
    result.sealed_at = sealed_at;
    result.seen_at = expires_at - 3600;
    return result;
}

class Tree {
public:
    Tree() {
        char pattern[] = "/tmp/retention-test-XXXXXX";
        root_ = mkdtemp(pattern);
    }
    ~Tree() { fs::remove_all(root_); }
    const std::string& root() const { return root_; }

    // A file (and its directories) whose time is `days` days before kNow.
    void file(const std::string& path, double days, const std::string& content = "x") {
        const fs::path full = fs::path(root_) / path;
        fs::create_directories(full.parent_path());
        std::ofstream(full) << content;
        age(path, days);
    }
    void directory(const std::string& path, double days) {
        fs::create_directories(fs::path(root_) / path);
        age(path, days);
    }
    void age(const std::string& path, double days) {
        const timespec when{static_cast<time_t>(kNow - days * kDay), 0};
        const timespec times[2] = {when, when};
        CPPUNIT_ASSERT_EQUAL(0, utimensat(AT_FDCWD, (fs::path(root_) / path).c_str(), times, AT_SYMLINK_NOFOLLOW));
    }
    // Every path left, directories ending with '/'.
    std::set<std::string> left() const {
        std::set<std::string> found;
        for (const auto& entry : fs::recursive_directory_iterator(root_)) {
            const std::string relative = entry.path().lexically_relative(root_).string();
            found.insert(entry.is_directory() && !entry.is_symlink() ? relative + "/" : relative);
        }
        return found;
    }

private:
    std::string root_;
};

}  // namespace

class RetentionTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(RetentionTest);
    CPPUNIT_TEST(uploads_in_progress_are_held_with_their_parents);
    CPPUNIT_TEST(innermost_seal_ages_a_path);
    CPPUNIT_TEST(records_go_once_expired_and_past_the_cutoff);
    CPPUNIT_TEST(old_files_go_bottom_up);
    CPPUNIT_TEST(a_sealed_build_ages_from_its_seal);
    CPPUNIT_TEST(uploads_in_progress_are_never_touched);
    CPPUNIT_TEST(symlinks_are_removed_not_followed);
    CPPUNIT_TEST(a_dry_run_removes_nothing_and_says_the_same);
    CPPUNIT_TEST(a_rate_limit_spaces_removals);
    CPPUNIT_TEST(ledger_records_keep_scope_and_expiry);
    CPPUNIT_TEST_SUITE_END();

public:
    void uploads_in_progress_are_held_with_their_parents() {
        const RetentionPlan plan(
            rules(), {token("a/b/", kNow + 3600), token("c/d", kNow - 3600), token("e/", kNow + 3600, kNow - 10)});
        CPPUNIT_ASSERT(plan.holds_upload("a/b/"));
        CPPUNIT_ASSERT(plan.holds_upload("a/b/c/"));
        CPPUNIT_ASSERT(!plan.holds_upload("a/"));
        CPPUNIT_ASSERT(!plan.holds_upload("a/bc/"));
        CPPUNIT_ASSERT(plan.above_upload("a/"));
        CPPUNIT_ASSERT(plan.above_upload(""));
        CPPUNIT_ASSERT(!plan.above_upload("a/b/"));
        CPPUNIT_ASSERT(!plan.above_upload("ab/"));
        CPPUNIT_ASSERT(!plan.holds_upload("c/d/"));  // expired
        CPPUNIT_ASSERT(!plan.holds_upload("e/"));    // sealed
        // Within the leeway a token still uploads; without a recorded expiry, max_lifetime
        // after its record last changed bounds it.
        CPPUNIT_ASSERT(plan.in_progress(token("x/", kNow - 30)));
        RetainedToken unknown = token("y/", 0);
        unknown.seen_at = kNow - 3600;
        CPPUNIT_ASSERT(plan.in_progress(unknown));
        unknown.seen_at = kNow - 2 * kDay;
        CPPUNIT_ASSERT(!plan.in_progress(unknown));
        const RetentionPlan everything(rules(), {token("", kNow + 3600)});
        CPPUNIT_ASSERT(everything.holds_upload(""));
        CPPUNIT_ASSERT(everything.holds_upload("any/where/"));
    }

    void innermost_seal_ages_a_path() {
        const RetentionPlan plan(
            rules(), {token("a/", kNow - kDay, kNow - 40 * kDay), token("a/b/", kNow - kDay, kNow - 5 * kDay),
                      token("a/b/", kNow - kDay, kNow - 3 * kDay)});
        CPPUNIT_ASSERT_EQUAL(kNow - 40 * kDay, *plan.sealed_at("a/x/"));
        CPPUNIT_ASSERT_EQUAL(kNow - 3 * kDay, *plan.sealed_at("a/b/c/"));  // the later of two seals
        CPPUNIT_ASSERT(!plan.sealed_at("b/"));
    }

    void records_go_once_expired_and_past_the_cutoff() {
        const RetentionPlan plan(rules(), {});
        CPPUNIT_ASSERT(!plan.record_expired(token("a/", kNow + 60)));
        CPPUNIT_ASSERT(!plan.record_expired(token("a/", kNow - 10 * kDay)));  // its files may still be here
        CPPUNIT_ASSERT(plan.record_expired(token("a/", kNow - 31 * kDay)));
        CPPUNIT_ASSERT(!plan.record_expired(token("a/", kNow - 31 * kDay, kNow - 29 * kDay)));  // sealed later
        CPPUNIT_ASSERT(plan.record_expired(token("a/", kNow - 32 * kDay, kNow - 31 * kDay)));
    }

    void old_files_go_bottom_up() {
        Tree tree;
        tree.file("12/345/job/old.txt", 40);
        tree.file("12/345/job/logs/older.txt", 50);
        tree.age("12/345/job/logs", 50);
        tree.age("12/345/job", 50);
        tree.file("12/346/new.txt", 1);
        tree.file("12/346/old.txt", 40);
        tree.directory("13/empty-old", 40);
        tree.directory("13/empty-new", 0);
        tree.age("13", 40);
        tree.age("12/345", 40);
        PruneStats stats;
        prune_tree(tree.root(), RetentionPlan(rules(), {}), PruneOptions{}, stats);
        const std::set<std::string> expected = {"12/", "12/346/", "12/346/new.txt", "13/", "13/empty-new/"};
        CPPUNIT_ASSERT(tree.left() == expected);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, stats.files_removed.load());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{3}, stats.bytes_removed.load());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{4}, stats.directories_removed.load());  // logs, job, 345, empty-old
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, stats.files_kept.load());
    }

    void a_sealed_build_ages_from_its_seal() {
        Tree tree;
        // An archive's members kept their old times; the build was sealed two days ago.
        tree.file("b/1/from-tar.txt", 400);
        tree.file("b/2/from-tar.txt", 400);
        tree.age("b/1", 400);
        PruneStats stats;
        prune_tree(tree.root(),
                   RetentionPlan(rules(), {token("b/1/", kNow - kDay, kNow - 2 * kDay),
                                           token("b/2", kNow - 35 * kDay, kNow - 35 * kDay)}),
                   PruneOptions{}, stats);
        const std::set<std::string> expected = {"b/", "b/1/", "b/1/from-tar.txt"};
        CPPUNIT_ASSERT(tree.left() == expected);
    }

    void uploads_in_progress_are_never_touched() {
        Tree tree;
        tree.file("p/q/job/stale-looking.txt", 90);  // an upload in progress, with old-looking times
        tree.age("p/q/job", 90);
        tree.directory("p/r", 90);  // the scope of another, not made yet below it
        tree.age("p/q", 90);
        tree.age("p", 90);
        tree.file("p/old.txt", 90);
        PruneStats stats;
        prune_tree(tree.root(), RetentionPlan(rules(), {token("p/q/job/", kNow + 3600), token("p/r/s/", kNow + 3600)}),
                   PruneOptions{}, stats);
        const std::set<std::string> expected = {"p/", "p/q/", "p/q/job/", "p/q/job/stale-looking.txt", "p/r/"};
        CPPUNIT_ASSERT(tree.left() == expected);
        // A token that may write anywhere holds the whole tree.
        prune_tree(tree.root(), RetentionPlan(rules(), {token("", kNow + 3600)}), PruneOptions{}, stats);
        CPPUNIT_ASSERT(tree.left() == expected);
    }

    void symlinks_are_removed_not_followed() {
        Tree outside;
        outside.file("precious/keep.txt", 400);
        outside.age("precious", 400);
        Tree tree;
        tree.directory("d", 40);
        fs::create_directory_symlink(fs::path(outside.root()) / "precious", fs::path(tree.root()) / "d/link");
        tree.age("d/link", 40);
        tree.age("d", 40);
        fs::create_directory_symlink(fs::path(outside.root()) / "precious", fs::path(tree.root()) / "new-link");
        PruneStats stats;
        prune_tree(tree.root(), RetentionPlan(rules(), {}), PruneOptions{}, stats);
        std::string left;
        for (const std::string& path : tree.left()) {
            left += path + " ";
        }
        CPPUNIT_ASSERT_EQUAL(std::string("new-link "), left);
        CPPUNIT_ASSERT(outside.left() == (std::set<std::string>{"precious/", "precious/keep.txt"}));
    }

    void a_dry_run_removes_nothing_and_says_the_same() {
        Tree tree;
        tree.file("a/b/old.txt", 40);
        tree.age("a/b", 40);
        tree.file("a/new.txt", 0);
        const std::set<std::string> before = tree.left();
        std::set<std::string> said;
        PruneOptions options;
        options.dry_run = true;
        options.on_remove = [&](std::string_view path) { said.insert(std::string(path)); };
        PruneStats stats;
        prune_tree(tree.root(), RetentionPlan(rules(), {}), options, stats);
        CPPUNIT_ASSERT(tree.left() == before);
        CPPUNIT_ASSERT(said == (std::set<std::string>{"a/b/old.txt", "a/b/"}));
        std::set<std::string> done;
        options.dry_run = false;
        options.on_remove = [&](std::string_view path) { done.insert(std::string(path)); };
        PruneStats real;
        prune_tree(tree.root(), RetentionPlan(rules(), {}), options, real);
        CPPUNIT_ASSERT(done == said);
    }

    void a_rate_limit_spaces_removals() {
        Tree tree;
        for (int i = 0; i < 6; ++i) {
            tree.file("r/" + std::to_string(i) + ".txt", 40);
        }
        PruneOptions options;
        options.rate = 20;  // 6 files and a directory: at least 0.3 s
        PruneStats stats;
        const auto started = std::chrono::steady_clock::now();
        prune_tree(tree.root(), RetentionPlan(rules(), {}), options, stats);
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{6}, stats.files_removed.load());
        CPPUNIT_ASSERT(took.count() >= 0.29);
    }

    void ledger_records_keep_scope_and_expiry() {
        Tree state;
        FsLedger ledger(state.root(), TokenFacts{"jti-1", "builds/1/", kNow + 600});
        {
            auto entry = ledger.open("jti-1");
            entry->charge(10, 1);
            entry->commit();
        }
        {
            auto entry = ledger.open("jti-1");
            entry->charge(5, 1);
            entry->seal(kNow);
            entry->commit();
        }
        {
            auto entry = ledger.open("jti-other");  // another token's record learns nothing
            entry->charge(1, 1);
            entry->commit();
        }
        std::vector<LedgerRecord> records;
        ledger.for_each_record([&](const LedgerRecord& record) { records.push_back(record); },
                               [](const std::string&, const std::string&) { CPPUNIT_FAIL("damaged"); });
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, records.size());
        const auto& mine = records[0].scope.empty() ? records[1] : records[0];
        const auto& other = records[0].scope.empty() ? records[0] : records[1];
        CPPUNIT_ASSERT_EQUAL(std::string("builds/1/"), mine.scope);
        CPPUNIT_ASSERT_EQUAL(kNow + 600, mine.expires_at);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{15}, mine.usage.bytes);
        CPPUNIT_ASSERT_EQUAL(kNow, mine.usage.sealed_at);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, other.expires_at);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{15}, ledger.peek("jti-1").bytes);
        CPPUNIT_ASSERT(FsLedger::remove_record(mine.path));
        CPPUNIT_ASSERT(!FsLedger::remove_record(mine.path));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, ledger.peek("jti-1").bytes);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RetentionTest);
