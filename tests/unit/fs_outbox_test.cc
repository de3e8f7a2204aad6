// The outbox under ArtifactsStateDir against crashes between a request's events and its
// commit: the filesystem store marks each commit (a PUT, a seal) with the identity of the
// file it publishes, events are kept pending on that mark before the commit, and settling
// them (by the request, or by the delivery process for a request that died) keeps exactly
// those whose commit happened.
#include <cppunit/extensions/HelperMacros.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "../../mod_artifacts/backends/disk_store.h"
#include "../../mod_artifacts/backends/fs_ledger.h"
#include "../../mod_artifacts/backends/fs_outbox.h"
#include "../../mod_artifacts/backends/fs_store.h"
#include "../../mod_artifacts/core/codec/digest.h"
#include "../../mod_artifacts/core/policy/refusal.h"
#include "../../mod_artifacts/core/upload/put_pipeline.h"
#include "fs_helpers.h"

using namespace artifacts;
using artifacts::testing::names_in;

namespace {

class WholeSource final : public ByteSource {
public:
    explicit WholeSource(std::string bytes) : bytes_(std::move(bytes)) {}
    std::string_view next() override { return std::exchange(rest_, std::string_view()); }

private:
    std::string bytes_;
    std::string_view rest_{bytes_};
};

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

CommitMark mark_of(const std::string& path) {
    struct stat info {};
    CPPUNIT_ASSERT_EQUAL(0, lstat(path.c_str(), &info));
    return CommitMark{path, static_cast<std::uint64_t>(info.st_dev), static_cast<std::uint64_t>(info.st_ino),
                      static_cast<std::uint64_t>(info.st_size),
                      static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec};
}

OutboxRecord record(const std::string& id) {
    return OutboxRecord{"http://127.0.0.1:9/hook", id, "file", "sha256=00", 0, 1000, 1000, "{\"event\":\"file\"}"};
}

}  // namespace

class FsOutboxTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FsOutboxTest);
    CPPUNIT_TEST(a_put_is_marked_by_the_file_it_publishes);
    CPPUNIT_TEST(a_refused_put_leaves_no_mark);
    CPPUNIT_TEST(an_identical_replacement_leaves_no_mark);
    CPPUNIT_TEST(a_seal_is_marked_by_its_manifest);
    CPPUNIT_TEST(a_pending_record_is_listed_once_its_commit_happened);
    CPPUNIT_TEST(a_pending_record_without_its_commit_goes);
    CPPUNIT_TEST(a_dead_request_s_records_are_settled_after_the_grace);
    CPPUNIT_TEST(a_request_settles_its_records_when_it_ends);
    CPPUNIT_TEST(a_record_taken_from_a_slow_request_is_written_again);
    CPPUNIT_TEST(a_pending_record_with_a_damaged_mark_goes);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override {
        char pattern[] = "/tmp/fs_outbox_test.XXXXXX";
        base_ = mkdtemp(pattern);
        for (const char* directory : {"/files", "/state", "/outbox"}) {
            mkdir((base_ + directory).c_str(), 0755);
        }
        files_ = std::make_unique<FsStore>(base_ + "/files");
        ledger_ = std::make_unique<FsLedger>(base_ + "/state");
        claims_.scope = "42/abc/";
        claims_.jti = "jti-1";
        claims_.kinds = {"logs"};
        store_ = std::make_unique<DiskStore>(*files_, *ledger_, claims_);
    }
    void tearDown() override {
        store_.reset();
        std::system(("rm -rf '" + base_ + "'").c_str());
    }

    void a_put_is_marked_by_the_file_it_publishes() {
        std::optional<CommitMark> mark;
        put("42/abc/job-output.txt", "log\n", [&](const std::optional<CommitMark>& given) {
            CPPUNIT_ASSERT(given);
            CPPUNIT_ASSERT(!mark_present(*given));  // not before the commit
            mark = given;
        });
        CPPUNIT_ASSERT_EQUAL(base_ + "/files/42/abc/job-output.txt", mark->path);
        CPPUNIT_ASSERT(mark_present(*mark));
    }

    void a_refused_put_leaves_no_mark() {
        claims_.max_files = 1;
        put("42/abc/first.txt", "one\n", [](const std::optional<CommitMark>&) {});
        std::optional<CommitMark> mark;
        try {
            put("42/abc/second.txt", "two\n", [&](const std::optional<CommitMark>& given) { mark = given; });
            CPPUNIT_FAIL("the second file passed the file quota");
        } catch (const Refused& refused) {
            CPPUNIT_ASSERT_EQUAL(413, refused.refusal.status);
        }
        CPPUNIT_ASSERT(mark);
        CPPUNIT_ASSERT(!mark_present(*mark));
    }

    void an_identical_replacement_leaves_no_mark() {
        claims_.overwrite = true;
        put("42/abc/a.txt", "same\n", [](const std::optional<CommitMark>&) {});
        std::optional<CommitMark> mark;
        const PutResult again =
            put("42/abc/a.txt", "same\n", [&](const std::optional<CommitMark>& given) { mark = given; });
        CPPUNIT_ASSERT(!again.created);
        CPPUNIT_ASSERT(mark);
        CPPUNIT_ASSERT(!mark_present(*mark));
    }

    void a_seal_is_marked_by_its_manifest() {
        put("42/abc/job-output.txt", "log\n", [](const std::optional<CommitMark>&) {});
        std::optional<CommitMark> mark;
        seal(*store_, "42/abc/", 1234, [&](const SealResult& result, const std::optional<CommitMark>& given) {
            CPPUNIT_ASSERT(given);
            CPPUNIT_ASSERT_EQUAL(result.size, given->size);
            CPPUNIT_ASSERT(!mark_present(*given));
            mark = given;
        });
        CPPUNIT_ASSERT_EQUAL(base_ + "/files/42/abc/zuul-manifest.json", mark->path);
        CPPUNIT_ASSERT(mark_present(*mark));
    }

    void a_pending_record_is_listed_once_its_commit_happened() {
        const FsOutbox outbox(base_ + "/outbox", true);
        write_file(base_ + "/files/a.txt", "stored\n");
        const std::string name = outbox.stage(record("e1"), mark_of(base_ + "/files/a.txt"));
        CPPUNIT_ASSERT(outbox.list(10, nullptr).empty());
        CPPUNIT_ASSERT(FsOutbox::Settled::Kept == outbox.settle(name));
        const auto listed = outbox.list(10, nullptr);
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, listed.size());
        CPPUNIT_ASSERT_EQUAL(std::string("e1"), listed[0].second.event_id);
        CPPUNIT_ASSERT_EQUAL(record("e1").body, listed[0].second.body);
        CPPUNIT_ASSERT(FsOutbox::Settled::Gone == outbox.settle(name));
    }

    void a_pending_record_without_its_commit_goes() {
        const FsOutbox outbox(base_ + "/outbox", true);
        write_file(base_ + "/files/a.txt", "stored\n");
        const CommitMark mark = mark_of(base_ + "/files/a.txt");
        // Another file at the name (a different inode): not this commit.
        unlink(mark.path.c_str());
        write_file(base_ + "/files/a.txt", "stored\n");
        const std::string name = outbox.stage(record("e1"), mark);
        CPPUNIT_ASSERT(FsOutbox::Settled::Dropped == outbox.settle(name));
        CPPUNIT_ASSERT(names_in(base_ + "/outbox").empty());
    }

    void a_dead_request_s_records_are_settled_after_the_grace() {
        const FsOutbox outbox(base_ + "/outbox", true);
        write_file(base_ + "/files/a.txt", "stored\n");
        outbox.stage(record("kept"), mark_of(base_ + "/files/a.txt"));
        CommitMark missing = mark_of(base_ + "/files/a.txt");
        missing.path = base_ + "/files/never-published.txt";
        outbox.stage(record("dropped"), missing);
        write_file(base_ + "/outbox/.tmp-0123456789abcdef", "half a record");
        const std::int64_t now = std::time(nullptr);
        CPPUNIT_ASSERT(outbox.settle_abandoned(now, kPendingGrace).empty());  // young: their requests may live
        CPPUNIT_ASSERT_EQUAL(std::size_t{3}, names_in(base_ + "/outbox").size());
        const auto settled = outbox.settle_abandoned(now + kPendingGrace + 1, kPendingGrace);
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, settled.size());
        const auto listed = outbox.list(10, nullptr);
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, listed.size());
        CPPUNIT_ASSERT_EQUAL(std::string("kept"), listed[0].second.event_id);
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, names_in(base_ + "/outbox").size());  // the temporary file went
    }

    void a_request_settles_its_records_when_it_ends() {
        const FsOutbox outbox(base_ + "/outbox", true);
        write_file(base_ + "/files/a.txt", "stored\n");
        CommitMark missing = mark_of(base_ + "/files/a.txt");
        missing.path += ".never";
        {
            PendingEvents pending;
            pending.stage(outbox, {record("a"), record("b")}, missing);
            CPPUNIT_ASSERT_EQUAL(std::size_t{2}, names_in(base_ + "/outbox").size());
        }  // a request that failed before its commit
        CPPUNIT_ASSERT(names_in(base_ + "/outbox").empty());
        PendingEvents pending;
        pending.stage(outbox, {record("c")}, mark_of(base_ + "/files/a.txt"));
        CPPUNIT_ASSERT(pending.settle().empty());
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, outbox.list(10, nullptr).size());
    }

    void a_record_taken_from_a_slow_request_is_written_again() {
        const FsOutbox outbox(base_ + "/outbox", true);
        const std::string stored = base_ + "/files/a.txt";
        write_file(stored, "stored\n");
        const CommitMark mark = mark_of(stored);
        rename(stored.c_str(), (stored + ".staged").c_str());  // not committed yet
        PendingEvents pending;
        pending.stage(outbox, {record("late")}, mark);
        // The delivery process takes the request for dead and drops its record...
        outbox.settle_abandoned(std::time(nullptr) + kPendingGrace + 1, kPendingGrace);
        CPPUNIT_ASSERT(names_in(base_ + "/outbox").empty());
        // ... which then commits after all.
        rename((stored + ".staged").c_str(), stored.c_str());
        CPPUNIT_ASSERT(pending.settle().empty());
        const auto listed = outbox.list(10, nullptr);
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, listed.size());
        CPPUNIT_ASSERT_EQUAL(std::string("late"), listed[0].second.event_id);
    }

    void a_pending_record_with_a_damaged_mark_goes() {
        const FsOutbox outbox(base_ + "/outbox", true);
        write_file(base_ + "/files/a.txt", "stored\n");
        const CommitMark mark = mark_of(base_ + "/files/a.txt");
        const std::string name = outbox.stage(record("e1"), mark);
        const std::string path = base_ + "/outbox/" + name;
        std::ifstream in(path, std::ios::binary);
        const std::string staged((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const std::string hex_path = hex_encode(mark.path);
        CPPUNIT_ASSERT(staged.find(hex_path) != std::string::npos);
        // The path's hex with an odd length, in upper case, or with a letter that is no digit.
        std::string upper = hex_path;
        for (char& c : upper) {
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        CPPUNIT_ASSERT(upper != hex_path);
        for (const std::string& damaged : {hex_path.substr(1), upper, "zz" + hex_path.substr(2)}) {
            std::string copy = staged;
            copy.replace(copy.find(hex_path), hex_path.size(), damaged);
            write_file(path, copy);
            CPPUNIT_ASSERT(FsOutbox::Settled::Dropped == outbox.settle(name));
            CPPUNIT_ASSERT(names_in(base_ + "/outbox").empty());
        }
    }

private:
    PutResult put(const std::string& path, const std::string& bytes,
                  const std::function<void(const std::optional<CommitMark>&)>& before_commit) {
        PutRequest request;
        request.claims = &claims_;
        request.ledger = ledger_.get();
        request.path = path;
        request.length = bytes.size();
        request.max_file_size = 1 << 20;
        request.before_commit = [&](const PutResult&, const std::optional<CommitMark>& mark) { before_commit(mark); };
        WholeSource body(bytes);
        return put_file(*store_, request, body);
    }

    std::string base_;
    TokenClaims claims_;
    std::unique_ptr<FsStore> files_;
    std::unique_ptr<FsLedger> ledger_;
    std::unique_ptr<DiskStore> store_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(FsOutboxTest);
