#include <archive_entry.h>
#include <cppunit/extensions/HelperMacros.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../../mod_artifacts/backends/fs_ledger.h"
#include "../../mod_artifacts/backends/fs_manifest.h"
#include "../../mod_artifacts/backends/fs_store.h"
#include "../../mod_artifacts/backends/pending_journal.h"
#include "../../mod_artifacts/backends/tar_stager.h"
#include "fs_helpers.h"
#include "tar_helpers.h"

using namespace artifacts;
using artifacts::testing::make_tar;
using artifacts::testing::Member;
using artifacts::testing::names_in;

namespace {

std::string make_temp_dir() {
    char pattern[] = "/tmp/fs_store_test.XXXXXX";
    return mkdtemp(pattern);
}

// A clean relative path of exactly `bytes` bytes, in segments of at most 200.
std::string long_path(std::size_t bytes) {
    std::string path;
    while (path.size() < bytes) {
        path += std::string(std::min<std::size_t>(200, bytes - path.size()), 'd');
        if (path.size() < bytes) {
            path.back() = '/';
        }
    }
    return path;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

StagedFile stage(const FsStore& store, const std::string& directory, const std::string& name, const std::string& data,
                 std::vector<std::string>* created = nullptr) {
    auto fd = std::make_shared<const UniqueFd>(store.open_directory(directory, created));
    FileWriter writer(store, fd, directory, name);
    writer.write(data);
    return writer.finish();
}

ArchiveSource pieces_of(const std::string& bytes) {
    auto offset = std::make_shared<std::size_t>(0);
    return [&bytes, offset]() {
        const std::size_t size = std::min<std::size_t>(1000, bytes.size() - *offset);
        const std::string_view piece(bytes.data() + *offset, size);
        *offset += size;
        return piece;
    };
}

const MemberCheck kAllowAll = [](std::string_view, std::uint64_t) { return std::optional<Refusal>(); };

}  // namespace

class FsStoreTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FsStoreTest);
    CPPUNIT_TEST(file_is_invisible_until_published);
    CPPUNIT_TEST(publish_never_replaces_without_overwrite);
    CPPUNIT_TEST(symlinks_are_never_followed);
    CPPUNIT_TEST(abandoned_writer_leaves_nothing);
    CPPUNIT_TEST(ledger_counts_exactly_across_processes);
    CPPUNIT_TEST(archive_members_are_staged);
    CPPUNIT_TEST(bad_archives_leave_nothing);
    CPPUNIT_TEST(manifest_walks_the_tree);
    CPPUNIT_TEST(temporary_files_of_dead_processes_are_swept);
    CPPUNIT_TEST(journal_record_stays_small);
    CPPUNIT_TEST(journal_cost_is_linear_with_many_in_flight);
    CPPUNIT_TEST(pending_lines_name_only_temporary_files);
    CPPUNIT_TEST(sweep_is_not_steered_by_forged_records);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override { root_ = make_temp_dir(); }
    void tearDown() override { std::system(("rm -rf '" + root_ + "'").c_str()); }

    void file_is_invisible_until_published() {
        FsStore store(root_);
        std::vector<std::string> created;
        StagedFile staged = stage(store, "a/b/", "x.txt", "hello", &created);
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, created.size());
        CPPUNIT_ASSERT_EQUAL(std::string("a"), created[0]);
        const auto before = names_in(root_ + "/a/b");
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, before.size());
        CPPUNIT_ASSERT(before.begin()->rfind(".artifacts-tmp-", 0) == 0);
        CPPUNIT_ASSERT_EQUAL(std::string("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
                             staged.sha256);
        CPPUNIT_ASSERT(inspect_target(store, staged) == Existing::Absent);
        CPPUNIT_ASSERT(publish(store, staged, false) == Existing::Absent);
        CPPUNIT_ASSERT((names_in(root_ + "/a/b") == std::set<std::string>{"x.txt"}));
        CPPUNIT_ASSERT_EQUAL(std::string("hello"), read_file(root_ + "/a/b/x.txt"));
    }

    void publish_never_replaces_without_overwrite() {
        FsStore store(root_);
        StagedFile first = stage(store, "", "x.txt", "one");
        publish(store, first, false);
        StagedFile same = stage(store, "", "x.txt", "one");
        CPPUNIT_ASSERT(inspect_target(store, same) == Existing::Identical);
        CPPUNIT_ASSERT(publish(store, same, false) == Existing::Identical);
        StagedFile other = stage(store, "", "x.txt", "two");
        CPPUNIT_ASSERT(inspect_target(store, other) == Existing::Different);
        CPPUNIT_ASSERT(publish(store, other, false) == Existing::Different);
        CPPUNIT_ASSERT_EQUAL(std::string("one"), read_file(root_ + "/x.txt"));
        discard(store, other);
        CPPUNIT_ASSERT((names_in(root_) == std::set<std::string>{"x.txt"}));
        StagedFile replacement = stage(store, "", "x.txt", "three");
        CPPUNIT_ASSERT(publish(store, replacement, true) == Existing::Different);
        CPPUNIT_ASSERT_EQUAL(std::string("three"), read_file(root_ + "/x.txt"));
        CPPUNIT_ASSERT((names_in(root_) == std::set<std::string>{"x.txt"}));
    }

    void symlinks_are_never_followed() {
        const std::string outside = make_temp_dir();
        CPPUNIT_ASSERT_EQUAL(0, symlink(outside.c_str(), (root_ + "/escape").c_str()));
        FsStore store(root_);
        std::vector<std::string> created;
        try {
            store.open_directory("escape/sub/", &created);
            CPPUNIT_FAIL("a symlinked directory was followed");
        } catch (const StoreError& error) {
            CPPUNIT_ASSERT(error.kind() == StoreError::Kind::Symlink);
        }
        CPPUNIT_ASSERT(names_in(outside).empty());
        std::ofstream(root_ + "/file") << "x";
        try {
            store.open_directory("file/sub", &created);
            CPPUNIT_FAIL("a file was taken for a directory");
        } catch (const StoreError& error) {
            CPPUNIT_ASSERT(error.kind() == StoreError::Kind::NotDirectory);
        }
        // A symlink at the target name is never replaced nor written through.
        CPPUNIT_ASSERT_EQUAL(0, symlink((outside + "/victim").c_str(), (root_ + "/link.txt").c_str()));
        StagedFile staged = stage(store, "", "link.txt", "data");
        CPPUNIT_ASSERT(publish(store, staged, false) == Existing::Different);
        discard(store, staged);
        CPPUNIT_ASSERT(names_in(outside).empty());
        std::system(("rm -rf '" + outside + "'").c_str());
    }

    void abandoned_writer_leaves_nothing() {
        FsStore store(root_);
        {
            auto fd = std::make_shared<const UniqueFd>(store.open_directory("", nullptr));
            FileWriter writer(store, fd, "", "x.txt");
            writer.write("partial");
        }
        CPPUNIT_ASSERT(names_in(root_).empty());
        std::vector<std::string> created;
        StagedFile staged = stage(store, "p/q/", "y.txt", "z", &created);
        discard(store, staged);
        store.remove_empty_directories(created);
        CPPUNIT_ASSERT(names_in(root_).empty());
    }

    void ledger_counts_exactly_across_processes() {
        constexpr int kProcesses = 6;
        constexpr int kCharges = 40;
        std::vector<pid_t> children;
        for (int p = 0; p < kProcesses; ++p) {
            const pid_t pid = fork();
            if (pid == 0) {
                FsLedger ledger(root_);
                for (int i = 0; i < kCharges; ++i) {
                    auto entry = ledger.open("jti-shared");
                    entry->charge(3, 1);
                    entry->commit();
                }
                _exit(0);
            }
            children.push_back(pid);
        }
        for (const pid_t pid : children) {
            int status = 0;
            waitpid(pid, &status, 0);
            CPPUNIT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        FsLedger reopened(root_);
        const LedgerUsage usage = reopened.peek("jti-shared");
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{3 * kProcesses * kCharges}, usage.bytes);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{kProcesses * kCharges}, usage.files);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, usage.sealed_at);
        {
            auto entry = reopened.open("jti-shared");
            entry->seal(1234);
            entry->charge(1, 0);  // dropped: no commit
        }
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, reopened.peek("jti-shared").sealed_at);
        {
            auto entry = reopened.open("jti-shared");
            entry->seal(1234);
            entry->commit();
        }
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1234}, FsLedger(root_).peek("jti-shared").sealed_at);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, reopened.peek("another-jti").bytes);
    }

    void archive_members_are_staged() {
        FsStore store(root_);
        const std::string tar = make_tar({{"./", "", AE_IFDIR, ""},
                                          {"./logs/", "", AE_IFDIR, ""},
                                          {"./logs/a.txt", "alpha", AE_IFREG, ""},
                                          {"b.txt", std::string(300000, 'b'), AE_IFREG, ""}},
                                         true);
        std::vector<std::string> seen;
        const MemberCheck record = [&](std::string_view path, std::uint64_t) {
            seen.emplace_back(path);
            return std::optional<Refusal>();
        };
        StagedArchive archive = stage_archive(store, "job/", pieces_of(tar), record, 1 << 20, 100);
        CPPUNIT_ASSERT(!archive.refusal);
        CPPUNIT_ASSERT((seen == std::vector<std::string>{"job/logs/a.txt", "job/b.txt"}));
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, archive.files.size());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{300000}, archive.files[1].size);
        CPPUNIT_ASSERT(names_in(root_ + "/job/logs").size() == 1);  // only the temporary file
        for (StagedFile& file : archive.files) {
            CPPUNIT_ASSERT(publish(store, file, false) == Existing::Absent);
        }
        CPPUNIT_ASSERT_EQUAL(std::string("alpha"), read_file(root_ + "/job/logs/a.txt"));
    }

    void bad_archives_leave_nothing() {
        FsStore store(root_);
        const std::vector<std::pair<std::vector<Member>, std::string>> cases = {
            {{{"ok.txt", "x", AE_IFREG, ""}, {"link", "", AE_IFLNK, "/etc/passwd"}}, "symbolic link"},
            {{{"ok.txt", "x", AE_IFREG, ""}, {"hard", "", AE_IFREG, "ok.txt"}}, "hard link"},
            {{{"ok.txt", "x", AE_IFREG, ""}, {"dev", "", AE_IFCHR, ""}}, "character device"},
            {{{"ok.txt", "x", AE_IFREG, ""}, {"fifo", "", AE_IFIFO, ""}}, "FIFO"},
            {{{"ok.txt", "x", AE_IFREG, ""}, {"/etc/cron.d/x", "y", AE_IFREG, ""}}, "absolute"},
            {{{"ok.txt", "x", AE_IFREG, ""}, {"a/../../x.txt", "y", AE_IFREG, ""}}, "'..'"},
            {{{"ok.txt", "x", AE_IFREG, ""}, {"a//x.txt", "y", AE_IFREG, ""}}, "empty segment"},
            {{{"sub/ok.txt", "x", AE_IFREG, ""}, {"sub/ok.txt", "y", AE_IFREG, ""}}, "twice"},
            {{{"ok.txt", "x", AE_IFREG, ""}, {".artifacts-tmp-1", "y", AE_IFREG, ""}}, "reserved"},
            {{{"x.txt/a.txt", "x", AE_IFREG, ""}, {"x.txt", "y", AE_IFREG, ""}}, "other members are below it"},
            {{{"x.txt", "x", AE_IFREG, ""}, {"x.txt/a/b.txt", "y", AE_IFREG, ""}}, "which is a file of the archive"},
            {{{"ok.txt", "x", AE_IFREG, ""}, {std::string(256, 'n'), "y", AE_IFREG, ""}}, "longer than 255 bytes"},
            {{{"ok.txt", "x", AE_IFREG, ""}, {long_path(1025), "y", AE_IFREG, ""}}, "longer than 1024 bytes"},
        };
        for (const auto& [members, expected] : cases) {
            const std::string tar = make_tar(members, false);
            StagedArchive archive = stage_archive(store, "", pieces_of(tar), kAllowAll, 1 << 20, 100);
            CPPUNIT_ASSERT_MESSAGE(expected, archive.refusal && archive.refusal->code == "bad_archive");
            CPPUNIT_ASSERT_MESSAGE(expected + ": " + archive.refusal->message,
                                   archive.refusal->message.find(expected) != std::string::npos);
            CPPUNIT_ASSERT_MESSAGE(expected, archive.files.empty() && names_in(root_).empty());
        }
        const std::string garbage(5000, 'g');
        StagedArchive damaged = stage_archive(store, "", pieces_of(garbage), kAllowAll, 1 << 20, 100);
        CPPUNIT_ASSERT(damaged.refusal && damaged.refusal->status == 400);
        const std::string big =
            make_tar({{"a.txt", "x", AE_IFREG, ""}, {"b.txt", std::string(2000, 'b'), AE_IFREG, ""}}, false);
        StagedArchive too_large = stage_archive(store, "", pieces_of(big), kAllowAll, 1000, 100);
        CPPUNIT_ASSERT(too_large.refusal && too_large.refusal->status == 413 && names_in(root_).empty());
        StagedArchive too_many = stage_archive(store, "", pieces_of(big), kAllowAll, 1 << 20, 1);
        CPPUNIT_ASSERT(too_many.refusal && too_many.refusal->status == 413 && names_in(root_).empty());
        const MemberCheck refuse_b = [](std::string_view path, std::uint64_t) {
            return path == "b.txt" ? std::optional<Refusal>(Refusal{403, "wrong_kind", "no"}) : std::nullopt;
        };
        StagedArchive refused = stage_archive(store, "", pieces_of(big), refuse_b, 1 << 20, 100);
        CPPUNIT_ASSERT(refused.refusal && refused.refusal->code == "wrong_kind" && names_in(root_).empty());
    }

    void manifest_walks_the_tree() {
        FsStore store(root_);
        for (const auto& [directory, name] :
             std::vector<std::pair<std::string, std::string>>{{"s/", "b.txt"},
                                                              {"s/", "zuul-manifest.json"},
                                                              {"s/logs/", "a.log"},
                                                              {"s/logs/", "zuul-manifest.json"}}) {
            std::vector<std::string> created;
            StagedFile staged = stage(store, directory, name, "data", &created);
            publish(store, staged, false);
        }
        CPPUNIT_ASSERT_EQUAL(0, symlink("/etc", (root_ + "/s/etc").c_str()));
        StagedFile pending = stage(store, "s/", "pending.txt", "not yet");
        StringSink out;
        ManifestWriter manifest(out);
        write_manifest(store, "s/", manifest);
        const std::string json = out.str();
        CPPUNIT_ASSERT(json.find("\"name\":\"logs\"") < json.find("\"name\":\"a.log\""));
        CPPUNIT_ASSERT(json.find("\"name\":\"a.log\"") < json.find("\"name\":\"b.txt\""));
        // The top manifest is the file being written; a nested one is an ordinary upload.
        CPPUNIT_ASSERT_EQUAL(json.rfind("zuul-manifest.json"), json.find("zuul-manifest.json"));
        CPPUNIT_ASSERT(json.find("etc") == std::string::npos);
        CPPUNIT_ASSERT(json.find("artifacts-tmp") == std::string::npos);
        discard(store, pending);
    }

    void temporary_files_of_dead_processes_are_swept() {
        const std::string state = make_temp_dir();
        const PendingJournal journal(state);
        const FsStore store(root_ + "/", &journal);
        mkdir((root_ + "/job").c_str(), 0755);
        const pid_t child = fork();
        if (child == 0) {
            // Publishes one file, then dies mid-upload of another: no destructor runs.
            auto fd = std::make_shared<const UniqueFd>(store.open_directory("job", nullptr));
            FileWriter done(store, fd, "job/", "done.txt");
            done.write("complete");
            StagedFile staged = done.finish();
            publish(store, staged, false);
            auto* writer = new FileWriter(store, fd, "job/", "crash.txt");
            writer->write("partial");
            _exit(0);
        }
        int status = 0;
        waitpid(child, &status, 0);
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, names_in(root_ + "/job").size());  // done.txt and a temporary file
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, names_in(state).size());           // the child's record
        // A live writer's temporary file is left alone.
        auto fd = std::make_shared<const UniqueFd>(store.open_directory("job", nullptr));
        FileWriter live(store, fd, "job/", "live.txt");
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, sweep_pending(state));
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, names_in(root_ + "/job").size());  // done.txt and live's temporary file
        CPPUNIT_ASSERT(names_in(root_ + "/job").count("done.txt") == 1);
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, names_in(state).size());  // this process's record
        StagedFile staged = live.finish();
        publish(store, staged, false);
        CPPUNIT_ASSERT((names_in(root_ + "/job") == std::set<std::string>{"done.txt", "live.txt"}));
        CPPUNIT_ASSERT_EQUAL(std::size_t{0}, sweep_pending(state));
        std::system(("rm -rf '" + state + "'").c_str());
    }

    void journal_record_stays_small() {
        const std::string state = make_temp_dir();
        const PendingJournal journal(state);
        const std::string long_root = root_ + "/" + std::string(200, 'r');
        for (int i = 0; i < 5000; ++i) {
            const std::string name = new_temporary_name();
            journal.add(long_root, "some/directory/", name);
            journal.remove(name);
        }
        journal.add(long_root, "some/directory/", new_temporary_name());
        const auto names = names_in(state);
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, names.size());
        struct stat info;
        CPPUNIT_ASSERT_EQUAL(0, stat((state + "/" + *names.begin()).c_str(), &info));
        CPPUNIT_ASSERT(info.st_size < 300 * 1024);  // 5001 lines of ~250 bytes would be 1.2 MB
        std::system(("rm -rf '" + state + "'").c_str());
    }

    // An archive keeps every member in flight until it publishes: each line must still be
    // written a bounded number of times (the record was rewritten on every add past 256 KiB).
    void journal_cost_is_linear_with_many_in_flight() {
        const std::string state = make_temp_dir();
        const PendingJournal journal(state);
        const std::string long_root = root_ + "/" + std::string(200, 'r');
        std::vector<std::string> names;
        const std::uint64_t before = bytes_written_by_this_process();
        for (int i = 0; i < 4000; ++i) {
            names.push_back(new_temporary_name());
            journal.add(long_root, "some/directory/", names.back());
        }
        const std::uint64_t line = long_root.size() + std::string("\tsome/directory/\t\n").size() + names[0].size();
        const std::uint64_t written = bytes_written_by_this_process() - before;
        CPPUNIT_ASSERT_MESSAGE(std::to_string(written) + " bytes written", written < 8 * 4000 * line);
        for (const std::string& name : names) {
            journal.remove(name);
        }
        std::system(("rm -rf '" + state + "'").c_str());
    }

    void pending_lines_name_only_temporary_files() {
        const std::string name = new_temporary_name();
        const auto good = parse_pending_line("/srv/logs\t42/abc/\t" + name);
        CPPUNIT_ASSERT(good);
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/logs"), good->root);
        CPPUNIT_ASSERT_EQUAL(std::string("42/abc/"), good->directory);
        CPPUNIT_ASSERT_EQUAL(name, good->name);
        CPPUNIT_ASSERT(parse_pending_line("/srv/logs\t\t" + name));
        for (const std::string& bad : std::vector<std::string>{
                 "/root-only-dir\t\tvictim",                      // not a temporary file's name
                 "/srv\t\t.artifacts-tmp-",                       // the prefix alone
                 "/srv\t\t.artifacts-tmp-0123456789ABCDEF",       // not the module's hex
                 "/srv\t\t" + name + "x",                         // longer
                 "/srv\t../\t" + name,                            // leaves the root
                 "/srv\ta/../b/\t" + name, "/srv\ta//\t" + name,  // unclean
                 "/srv\ta\t" + name,                              // a directory without its '/'
                 "/srv\t/etc/\t" + name,                          // absolute directory
                 "srv\t\t" + name,                                // relative root
                 "/srv/../etc\t\t" + name,                        // a root that climbs
                 "/srv\t\t" + name + "\textra", "/srv\t" + name,  // fields
                 "/" + std::string(9000, 'r') + "\t\t" + name,    // longer than any line of ours
             }) {
            CPPUNIT_ASSERT_MESSAGE(bad, !parse_pending_line(bad));
        }
    }

    // The records are the httpd user's to write: a forged one removes nothing but temporary
    // files of the module's pattern, and a FIFO or a symlink in their place is not opened.
    void sweep_is_not_steered_by_forged_records() {
        const std::string state = make_temp_dir();
        mkdir((root_ + "/victims").c_str(), 0755);
        std::ofstream(root_ + "/victims/victim") << "keep";
        std::ofstream(root_ + "/victims/.artifacts-tmp-0123456789abcdef") << "ours";
        std::ofstream(state + "/1-0") << root_ << "/victims\t\tvictim\n"
                                      << root_ << "\tvictims/\tvictim\n"
                                      << root_ << "\tvictims/\t.artifacts-tmp-0123456789abcdef\n";
        CPPUNIT_ASSERT_EQUAL(0, mkfifo((state + "/2-0").c_str(), 0600));
        CPPUNIT_ASSERT_EQUAL(0, symlink((root_ + "/victims/victim").c_str(), (state + "/3-0").c_str()));
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, sweep_pending(state));
        CPPUNIT_ASSERT((names_in(root_ + "/victims") == std::set<std::string>{"victim"}));
        CPPUNIT_ASSERT_EQUAL(std::string("keep"), read_file(root_ + "/victims/victim"));
        CPPUNIT_ASSERT(names_in(state).empty());
        std::system(("rm -rf '" + state + "'").c_str());
    }

private:
    // Bytes this process handed to write() so far (wchar of /proc/self/io).
    static std::uint64_t bytes_written_by_this_process() {
        std::ifstream io("/proc/self/io");
        std::string key;
        std::uint64_t value = 0;
        while (io >> key >> value) {
            if (key == "wchar:") {
                return value;
            }
        }
        return 0;
    }

    std::string root_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(FsStoreTest);
