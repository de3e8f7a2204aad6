// The PUT pipeline against the Store contract, run twice: on a store kept in memory (the
// smallest store that keeps the contract, with the catalogue's behaviour of knowing the
// SHA-256 of what it holds) and on the real DiskStore with its file ledger. The same cases
// give the same answers on both, and a refused PUT leaves each store as it found it.
#include <cppunit/extensions/HelperMacros.h>
#include <dirent.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "../../mod_artifacts/backends/disk_store.h"
#include "../../mod_artifacts/backends/fs_ledger.h"
#include "../../mod_artifacts/backends/fs_store.h"
#include "../../mod_artifacts/backends/tar_stager.h"
#include "../../mod_artifacts/core/codec/digest.h"
#include "../../mod_artifacts/core/policy/refusal.h"
#include "../../mod_artifacts/core/policy/upload_policy.h"
#include "../../mod_artifacts/core/upload/put_pipeline.h"
#include "gzip_helpers.h"
#include "tar_helpers.h"

using namespace artifacts;

namespace {

// A body in pieces of `piece` bytes.
class StringSource final : public ByteSource {
public:
    explicit StringSource(std::string bytes, std::size_t piece = 7) : bytes_(std::move(bytes)), piece_(piece) {}
    std::string_view next() override {
        const std::size_t size = std::min(piece_, bytes_.size() - offset_);
        const std::string_view out(bytes_.data() + offset_, size);
        offset_ += size;
        return out;
    }
    std::size_t consumed() const { return offset_; }

private:
    std::string bytes_;
    std::size_t piece_;
    std::size_t offset_ = 0;
};

std::string sha256_of(std::string_view bytes) {
    Sha256 sha;
    sha.update(bytes);
    return sha.hex_digest();
}

class MemoryLedger final : public Ledger {
public:
    std::unique_ptr<LedgerEntry> open(std::string_view jti) override {
        return std::make_unique<Entry>(records_[std::string(jti)]);
    }
    LedgerUsage peek(std::string_view jti) override { return records_[std::string(jti)]; }

private:
    class Entry final : public LedgerEntry {
    public:
        explicit Entry(LedgerUsage& record) : record_(record), changed_(record) {}
        LedgerUsage usage() const override { return changed_; }
        void charge(std::uint64_t bytes, std::uint64_t files) override {
            changed_.bytes += bytes;
            changed_.files += files;
        }
        void release(std::uint64_t bytes, std::uint64_t files) override {
            changed_.bytes -= bytes;
            changed_.files -= files;
        }
        void seal(std::int64_t when) override { changed_.sealed_at = when; }
        void commit() override { record_ = changed_; }

    private:
        LedgerUsage& record_;
        LedgerUsage changed_;
    };
    std::map<std::string, LedgerUsage> records_;
};

// Files by path with their SHA-256 (as the catalogue keeps it), directories as "path/".
class MemoryStore final : public Store {
public:
    MemoryStore(Ledger& ledger, const TokenClaims& claims) : ledger_(ledger), claims_(claims) {}

    std::unique_ptr<PutTransaction> begin_put(const PutTarget& target) override {
        return std::make_unique<Put>(*this, target);
    }
    bool make_directory(const std::string& path) override {
        const auto entry = ledger_.open(claims_.jti);
        const bool exists = directories.count(path) != 0;
        if (auto refusal = check_quota(claims_, entry->usage(), 0, exists ? 0 : 1)) {
            throw Refused{*refusal};
        }
        if (exists) {
            return false;
        }
        directories.insert(path);
        entry->charge(0, 1);
        entry->commit();
        return true;
    }
    std::unique_ptr<SealTransaction> begin_seal(const std::string& scope) override {
        return std::make_unique<Seal>(*this, scope);
    }
    std::unique_ptr<ArchiveTransaction> begin_archive(const std::string& directory) override {
        return std::make_unique<Archive>(*this, directory);
    }

    struct Object {
        std::string bytes;
        StoredFile file;
    };
    std::map<std::string, Object> files;
    std::set<std::string> directories;
    int open_transactions = 0;

private:
    class Put final : public PutTransaction {
    public:
        Put(MemoryStore& store, PutTarget target) : store_(store), target_(std::move(target)) {
            ++store_.open_transactions;
            const auto found = store_.files.find(target_.path);
            if (found != store_.files.end()) {
                existing_ = found->second.file;
            }
        }
        ~Put() override { --store_.open_transactions; }
        const std::optional<StoredFile>& existing() const override { return existing_; }
        void write(ByteSource& body, std::optional<std::uint64_t>) override {
            for (std::string_view piece = body.next(); !piece.empty(); piece = body.next()) {
                staged_.append(piece);
            }
        }
        PutOutcome commit(std::uint64_t size, const std::string& sha256) override {
            const auto entry = store_.ledger_.open(store_.claims_.jti);
            const bool identical = existing_ && existing_->sha256 == sha256 && existing_->gzip == target_.gzip;
            if (existing_ && !identical && !store_.claims_.overwrite) {
                refuse_other_content(target_.path);
            }
            if (auto refusal = check_quota(store_.claims_, entry->usage(), identical ? 0 : size, existing_ ? 0 : 1)) {
                throw Refused{*refusal};
            }
            if (identical) {
                return PutOutcome::Identical;
            }
            store_.files[target_.path] = Object{staged_, StoredFile{size, sha256, target_.gzip}};
            entry->charge(size, existing_ ? 0 : 1);
            entry->commit();
            return existing_ ? PutOutcome::Replaced : PutOutcome::Created;
        }

    private:
        MemoryStore& store_;
        PutTarget target_;
        std::optional<StoredFile> existing_;
        std::string staged_;
    };

    class Seal final : public SealTransaction {
    public:
        Seal(MemoryStore& store, const std::string& scope)
            : store_(store),
              scope_(scope),
              path_(scope + std::string(kManifestName)),
              entry_(store.ledger_.open(store.claims_.jti)) {
            if (auto refusal = check_quota(store_.claims_, entry_->usage(), 0, 0)) {
                throw Refused{*refusal};
            }
            if (store_.directories.count(path_ + "/") != 0) {
                refuse(409, "exists", "a directory has the manifest's name");
            }
        }
        void describe(ManifestWriter& manifest) override {
            std::vector<ManifestFile> files;
            for (const auto& [path, object] : store_.files) {
                if (path.rfind(scope_, 0) == 0 && path != path_) {
                    files.push_back({path.substr(scope_.size()), object.file.size, 0});
                }
            }
            for (const std::string& path : store_.directories) {
                if (path.rfind(scope_, 0) == 0) {
                    files.push_back({path.substr(scope_.size()), 0, 0});
                }
            }
            write_manifest_from_files(std::move(files), manifest);
        }
        Sink& manifest() override { return text_; }
        LedgerUsage usage() const override { return entry_->usage(); }
        void commit(std::uint64_t size, const std::string& sha256, std::int64_t now) override {
            store_.files[path_] = Object{text_.str(), StoredFile{size, sha256, false}};
            entry_->seal(now);
            entry_->commit();
        }

    private:
        MemoryStore& store_;
        std::string scope_;
        std::string path_;
        std::unique_ptr<LedgerEntry> entry_;
        StringSink text_;
    };

    // Reading a tar takes libarchive: the members are staged with the filesystem's stager in
    // a directory of their own, and taken into memory at the commit.
    class Archive final : public ArchiveTransaction {
    public:
        Archive(MemoryStore& store, std::string directory)
            : store_(store), directory_(std::move(directory)), root_(make_root()), staging_(root_) {}
        ~Archive() override { std::system(("rm -rf '" + root_ + "'").c_str()); }
        bool holds(const std::string& path) override { return store_.files.count(path) != 0; }
        void stage(ByteSource& archive, const MemberCheck& check, std::uint64_t max_file_size) override {
            StagedArchive staged = stage_archive(
                staging_, directory_, [&archive] { return archive.next(); }, check, max_file_size, 100);
            if (staged.refusal) {
                throw Refused{*staged.refusal};
            }
            staged_ = std::move(staged.files);
        }
        std::vector<StoredMember> commit(const ArchiveBeforeCommit&) override {
            const auto entry = store_.ledger_.open(store_.claims_.jti);
            std::vector<StoredMember> stored;
            std::uint64_t bytes = 0;
            std::uint64_t new_files = 0;
            for (const StagedFile& file : staged_) {
                const std::string path = file.directory + file.name;
                const auto found = store_.files.find(path);
                const bool identical = found != store_.files.end() && found->second.file.sha256 == file.sha256;
                if (found != store_.files.end() && !identical && !store_.claims_.overwrite) {
                    refuse_other_content(path);
                }
                bytes += identical ? 0 : file.size;
                new_files += found == store_.files.end() ? 1 : 0;
                stored.push_back({path, file.size, file.sha256, identical});
            }
            if (auto refusal = check_quota(store_.claims_, entry->usage(), bytes, new_files)) {
                throw Refused{*refusal};
            }
            for (const StagedFile& file : staged_) {
                std::ifstream in(root_ + "/" + file.directory + file.temporary_name, std::ios::binary);
                std::ostringstream bytes_of;
                bytes_of << in.rdbuf();
                store_.files[file.directory + file.name] =
                    Object{bytes_of.str(), StoredFile{file.size, file.sha256, false}};
            }
            entry->charge(bytes, new_files);
            entry->commit();
            return stored;
        }

    private:
        static std::string make_root() {
            char pattern[] = "/tmp/memory_archive.XXXXXX";
            return mkdtemp(pattern);
        }
        MemoryStore& store_;
        std::string directory_;
        std::string root_;
        FsStore staging_;
        std::vector<StagedFile> staged_;
    };

    Ledger& ledger_;
    const TokenClaims& claims_;
};

// What each test needs of a store: the store, its ledger, and what it holds.
struct World {
    virtual ~World() = default;
    TokenClaims claims;
    virtual Store& store() = 0;
    virtual Ledger& ledger() = 0;
    // The content a client reading `path` gets (a gzip upload as stored).
    virtual std::optional<std::string> held(const std::string& path) = 0;
    // Everything the store holds, temporary and hidden files included.
    virtual std::set<std::string> everything() = 0;
    virtual bool idle() = 0;  // no transaction open
};

struct MemoryWorld final : World {
    MemoryLedger memory_ledger;
    MemoryStore memory_store{memory_ledger, claims};
    Store& store() override { return memory_store; }
    Ledger& ledger() override { return memory_ledger; }
    std::optional<std::string> held(const std::string& path) override {
        const auto found = memory_store.files.find(path);
        return found == memory_store.files.end() ? std::nullopt : std::optional<std::string>(found->second.bytes);
    }
    std::set<std::string> everything() override {
        std::set<std::string> out(memory_store.directories);
        for (const auto& [path, object] : memory_store.files) {
            out.insert(path + " " + object.file.sha256);
        }
        return out;
    }
    bool idle() override { return memory_store.open_transactions == 0; }
};

void list_tree(const std::string& root, const std::string& relative, std::set<std::string>& out) {
    DIR* stream = opendir((root + "/" + relative).c_str());
    if (stream == nullptr) {
        return;
    }
    while (const dirent* entry = readdir(stream)) {
        const std::string name = entry->d_name;
        if (name == "." || name == "..") {
            continue;
        }
        const std::string path = relative.empty() ? name : relative + "/" + name;
        struct stat info {};
        lstat((root + "/" + path).c_str(), &info);
        if (S_ISDIR(info.st_mode)) {
            out.insert(path + "/");
            list_tree(root, path, out);
        } else {
            out.insert(path + " " + std::to_string(info.st_size) + " " + std::to_string(info.st_mtim.tv_nsec));
        }
    }
    closedir(stream);
}

struct DiskWorld final : World {
    DiskWorld() {
        char pattern[] = "/tmp/put_pipeline_test.XXXXXX";
        base = mkdtemp(pattern);
        mkdir((base + "/files").c_str(), 0755);
        mkdir((base + "/state").c_str(), 0755);
        files = std::make_unique<FsStore>(base + "/files");
        file_ledger = std::make_unique<FsLedger>(base + "/state");
        disk_store = std::make_unique<DiskStore>(*files, *file_ledger, claims);
    }
    ~DiskWorld() override { std::system(("rm -rf '" + base + "'").c_str()); }
    Store& store() override { return *disk_store; }
    Ledger& ledger() override { return *file_ledger; }
    std::optional<std::string> held(const std::string& path) override {
        std::ifstream in(base + "/files/" + path, std::ios::binary);
        if (!in) {
            return std::nullopt;
        }
        std::ostringstream out;
        out << in.rdbuf();
        return out.str();
    }
    std::set<std::string> everything() override {
        std::set<std::string> out;
        list_tree(base + "/files", "", out);
        return out;
    }
    bool idle() override { return true; }

    std::string base;
    std::unique_ptr<FsStore> files;
    std::unique_ptr<FsLedger> file_ledger;
    std::unique_ptr<DiskStore> disk_store;
};

}  // namespace

template <class W>
class PutPipelineTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PutPipelineTest);
    CPPUNIT_TEST(a_new_file_is_created_and_charged);
    CPPUNIT_TEST(the_same_bytes_again_are_a_retry_charged_nothing);
    CPPUNIT_TEST(other_bytes_without_overwrite_are_refused);
    CPPUNIT_TEST(other_bytes_with_overwrite_replace);
    CPPUNIT_TEST(a_body_over_the_byte_quota_is_refused_midway);
    CPPUNIT_TEST(a_declared_length_over_the_quota_is_refused_before_the_body);
    CPPUNIT_TEST(a_body_over_the_file_size_limit_is_refused);
    CPPUNIT_TEST(a_damaged_gzip_body_is_refused);
    CPPUNIT_TEST(a_gzip_body_is_stored_compressed);
    CPPUNIT_TEST(a_checksum_mismatch_is_refused);
    CPPUNIT_TEST(a_long_body_is_measured_beside_the_request);
    CPPUNIT_TEST(a_plain_body_to_compress_is_stored_gzip_and_answered_as_sent);
    CPPUNIT_TEST(a_sealed_token_stores_nothing);
    CPPUNIT_TEST(a_retry_on_a_sealed_token_is_refused);
    CPPUNIT_TEST(the_file_quota_counts_new_names_only);
    CPPUNIT_TEST(a_directory_counts_as_one_file);
    CPPUNIT_TEST(a_seal_writes_the_manifest_and_closes_the_token);
    CPPUNIT_TEST(a_seal_that_cannot_write_its_manifest_leaves_the_token_open);
    CPPUNIT_TEST(an_archive_is_stored_whole_and_charged_once);
    CPPUNIT_TEST(an_archive_over_the_quota_stores_nothing);
    CPPUNIT_TEST(an_archive_over_other_content_stores_nothing);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override {
        world_ = std::make_unique<W>();
        world_->claims.scope = "42/abc/";
        world_->claims.jti = "jti-1";
        world_->claims.kinds = {"logs"};
    }
    void tearDown() override { world_.reset(); }

    void a_new_file_is_created_and_charged() {
        const std::string body(100000, 'x');
        const PutResult result = put("42/abc/a/job-output.txt", body);
        CPPUNIT_ASSERT(result.created);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{100000}, result.size);
        CPPUNIT_ASSERT_EQUAL(sha256_of(body), result.sha256);
        CPPUNIT_ASSERT(world_->held("42/abc/a/job-output.txt") == body);
        assert_usage(100000, 1);
    }

    void the_same_bytes_again_are_a_retry_charged_nothing() {
        put("42/abc/x.txt", "hello\n");
        const auto before = world_->everything();
        const PutResult again = put("42/abc/x.txt", "hello\n");
        CPPUNIT_ASSERT(!again.created);
        CPPUNIT_ASSERT_EQUAL(sha256_of("hello\n"), again.sha256);
        CPPUNIT_ASSERT(before == world_->everything());
        assert_usage(6, 1);
    }

    void other_bytes_without_overwrite_are_refused() {
        put("42/abc/x.txt", "hello\n");
        const auto before = world_->everything();
        assert_refused(409, "exists", "42/abc/x.txt", "other\n");
        CPPUNIT_ASSERT(world_->held("42/abc/x.txt") == std::string("hello\n"));
        CPPUNIT_ASSERT(before == world_->everything());
        assert_usage(6, 1);
    }

    void other_bytes_with_overwrite_replace() {
        world_->claims.overwrite = true;
        put("42/abc/x.txt", "hello\n");
        const PutResult result = put("42/abc/x.txt", "replaced\n");
        CPPUNIT_ASSERT(result.created);
        CPPUNIT_ASSERT(world_->held("42/abc/x.txt") == std::string("replaced\n"));
        assert_usage(6 + 9, 1);
    }

    void a_body_over_the_byte_quota_is_refused_midway() {
        world_->claims.max_bytes = 200000;
        put("42/abc/first.txt", std::string(100000, 'a'));
        const auto before = world_->everything();
        // No declared length: the body is cut off once it passes the quota, not at its end.
        StringSource body(std::string(1000000, 'b'), 4096);
        assert_refused(413, "quota_exceeded", [&] { put_source("42/abc/new/second.txt", body, std::nullopt); });
        CPPUNIT_ASSERT(body.consumed() < 200000);
        CPPUNIT_ASSERT(before == world_->everything());
        assert_usage(100000, 1);
    }

    void a_declared_length_over_the_quota_is_refused_before_the_body() {
        world_->claims.max_bytes = 1000;
        StringSource body(std::string(100000, 'b'));
        assert_refused(413, "quota_exceeded", [&] { put_source("42/abc/big.txt", body, 100000); });
        CPPUNIT_ASSERT_EQUAL(std::size_t{0}, body.consumed());
        CPPUNIT_ASSERT(world_->everything().empty());
    }

    void a_body_over_the_file_size_limit_is_refused() {
        max_file_size_ = 1000;
        assert_refused(413, "too_large", "42/abc/big.txt", std::string(1001, 'c'));
        CPPUNIT_ASSERT(world_->everything().empty());
        put("42/abc/fits.txt", std::string(1000, 'c'));
    }

    void a_damaged_gzip_body_is_refused() {
        std::string damaged = testing::gzip(std::string(5000, 'l'));
        damaged[damaged.size() - 6] ^= 0x55;  // the CRC
        gzip_ = true;
        assert_refused(400, "bad_encoding", "42/abc/log.txt", damaged);
        assert_refused(400, "bad_encoding", "42/abc/log.txt", "plain text, not gzip");
        CPPUNIT_ASSERT(world_->everything().empty());
        assert_usage(0, 0);
    }

    void a_gzip_body_is_stored_compressed() {
        const std::string compressed = testing::gzip("a log line\n");
        gzip_ = true;
        const PutResult result = put("42/abc/log.txt", compressed);
        CPPUNIT_ASSERT_EQUAL(sha256_of(compressed), result.sha256);
        const bool on_disk = std::is_same_v<W, DiskWorld>;
        CPPUNIT_ASSERT(world_->held(on_disk ? "42/abc/log.txt.gz" : "42/abc/log.txt") == compressed);
        // The same name uncompressed is other content.
        gzip_ = false;
        assert_refused(409, "exists", "42/abc/log.txt", "a log line\n");
    }

    void a_plain_body_to_compress_is_stored_gzip_and_answered_as_sent() {
        std::string log;
        for (int line = 0; line < 5000; ++line) {
            log += "2026-11-25 21:50:01.123 4242 INFO nova.compute [-] line " + std::to_string(line % 7) + "\n";
        }
        compress_ = true;
        sha256_ = sha256_of(log);  // the client's checksum is of what it sent
        const PutResult result = put("42/abc/job-output.txt", log);
        CPPUNIT_ASSERT(result.created);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t(log.size()), result.size);
        CPPUNIT_ASSERT_EQUAL(sha256_of(log), result.sha256);
        const bool on_disk = std::is_same_v<W, DiskWorld>;
        const std::string stored =
            world_->held(on_disk ? "42/abc/job-output.txt.gz" : "42/abc/job-output.txt").value_or("");
        CPPUNIT_ASSERT(stored.size() < log.size() / 5);
        std::string decoded;
        GzipDecoder decoder;
        decoder.feed(stored, [&](std::string_view out) { decoded.append(out); });
        decoder.finish();
        CPPUNIT_ASSERT(decoded == log);
        assert_usage(stored.size(), 1);  // the quota counts what the store holds
        // The same plain bytes again, cut elsewhere (as the network cuts them), compress to
        // the same object: a retry, charged nothing.
        class Uneven final : public ByteSource {
        public:
            explicit Uneven(const std::string& bytes) : bytes_(bytes) {}
            std::string_view next() override {
                const std::size_t size = std::min<std::size_t>(1 + (step_++ * 7919) % 20000, bytes_.size() - offset_);
                const std::string_view out(bytes_.data() + offset_, size);
                offset_ += size;
                return out;
            }

        private:
            const std::string& bytes_;
            std::size_t offset_ = 0;
            std::size_t step_ = 0;
        } recut(log);
        const PutResult again = put_source("42/abc/job-output.txt", recut, log.size());
        CPPUNIT_ASSERT(!again.created);
        CPPUNIT_ASSERT_EQUAL(sha256_of(log), again.sha256);
        assert_usage(stored.size(), 1);
        // Other plain bytes are other content; a wrong checksum is refused before anything.
        assert_refused(400, "checksum_mismatch", "42/abc/other.txt", "not the log");
        sha256_.reset();
        assert_refused(409, "exists", "42/abc/job-output.txt", log + "more\n");
        // A body sent gzip-encoded is stored as sent, not compressed twice.
        gzip_ = true;
        const std::string sent = testing::gzip("already compressed\n");
        put("42/abc/sent.txt", sent);
        CPPUNIT_ASSERT(world_->held(on_disk ? "42/abc/sent.txt.gz" : "42/abc/sent.txt") == sent);
    }

    void a_checksum_mismatch_is_refused() {
        sha256_ = sha256_of("what the client meant");
        assert_refused(400, "checksum_mismatch", "42/abc/x.txt", "what arrived");
        CPPUNIT_ASSERT(world_->everything().empty());
        sha256_ = sha256_of("what arrived");
        CPPUNIT_ASSERT(put("42/abc/x.txt", "what arrived").created);
        // A retry whose body does not match its own checksum is refused, not taken as identical.
        sha256_ = sha256_of("something else");
        assert_refused(400, "checksum_mismatch", "42/abc/x.txt", "what arrived");
    }

    void a_long_body_is_measured_beside_the_request() {
        std::string body;
        for (int line = 0; body.size() < kInlineBytes + (3 << 20); ++line) {
            body += "line " + std::to_string(line) + "\n";
        }
        sha256_ = sha256_of(body + "x");
        assert_refused(400, "checksum_mismatch", "42/abc/long.txt", body);
        CPPUNIT_ASSERT(world_->everything().empty());
        assert_usage(0, 0);
        sha256_ = sha256_of(body);
        const PutResult result = put("42/abc/long.txt", body);
        CPPUNIT_ASSERT(result.created);
        CPPUNIT_ASSERT_EQUAL(sha256_of(body), result.sha256);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{body.size()}, result.size);
        CPPUNIT_ASSERT(world_->held("42/abc/long.txt") == body);
        assert_usage(body.size(), 1);
    }

    void a_sealed_token_stores_nothing() {
        seal_token_directly();
        assert_refused(410, "sealed", "42/abc/late.txt", "too late\n");
        CPPUNIT_ASSERT(world_->everything().empty());
        assert_refused(410, "sealed", [&] { world_->store().make_directory("42/abc/d/"); });
    }

    void a_retry_on_a_sealed_token_is_refused() {
        put("42/abc/x.txt", "hello\n");
        seal_token_directly();
        assert_refused(410, "sealed", "42/abc/x.txt", "hello\n");
    }

    void the_file_quota_counts_new_names_only() {
        world_->claims.max_files = 2;
        world_->claims.overwrite = true;
        put("42/abc/1.txt", "1");
        put("42/abc/2.txt", "2");
        put("42/abc/2.txt", "two");
        assert_refused(413, "quota_exceeded", "42/abc/3.txt", "3");
        assert_usage(5, 2);
    }

    void a_directory_counts_as_one_file() {
        world_->claims.max_files = 1;
        CPPUNIT_ASSERT(world_->store().make_directory("42/abc/empty/"));
        CPPUNIT_ASSERT(!world_->store().make_directory("42/abc/empty/"));
        assert_usage(0, 1);
        assert_refused(413, "quota_exceeded", [&] { world_->store().make_directory("42/abc/other/"); });
    }

    void a_seal_writes_the_manifest_and_closes_the_token() {
        put("42/abc/job-output.txt", "log\n");
        put("42/abc/logs/a.txt", "aaaa");
        world_->store().make_directory("42/abc/empty/");
        put("42/other.txt", "outside the scope");
        const SealResult sealed = artifacts::seal(world_->store(), "42/abc/", 1234);
        CPPUNIT_ASSERT_EQUAL(std::string("42/abc/zuul-manifest.json"), sealed.path);
        const std::optional<std::string> manifest = world_->held(sealed.path);
        CPPUNIT_ASSERT(manifest);
        CPPUNIT_ASSERT_EQUAL(manifest->size(), static_cast<std::size_t>(sealed.size));
        CPPUNIT_ASSERT_EQUAL(sha256_of(*manifest), sealed.sha256);
        for (const char* name : {"\"job-output.txt\"", "\"logs\"", "\"a.txt\"", "\"empty\""}) {
            CPPUNIT_ASSERT_MESSAGE(name, manifest->find(name) != std::string::npos);
        }
        CPPUNIT_ASSERT(manifest->find("other.txt") == std::string::npos);
        CPPUNIT_ASSERT(manifest->find("zuul-manifest") == std::string::npos);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1234}, world_->ledger().peek(world_->claims.jti).sealed_at);
        assert_refused(410, "sealed", "42/abc/late.txt", "late");
        assert_refused(410, "sealed", [&] { artifacts::seal(world_->store(), "42/abc/", 1235); });
        CPPUNIT_ASSERT(world_->held(sealed.path) == manifest);
    }

    void a_seal_that_cannot_write_its_manifest_leaves_the_token_open() {
        world_->store().make_directory("42/abc/zuul-manifest.json/");
        const auto before = world_->everything();
        assert_refused(409, "exists", [&] { artifacts::seal(world_->store(), "42/abc/", 1234); });
        CPPUNIT_ASSERT(before == world_->everything());
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, world_->ledger().peek(world_->claims.jti).sealed_at);
        CPPUNIT_ASSERT(put("42/abc/still-open.txt", "yes").created);
    }

    void an_archive_is_stored_whole_and_charged_once() {
        const std::string tar = testing::make_tar(
            {{"job-output.txt", "log\n", AE_IFREG, ""}, {"logs/a.txt", std::string(70000, 'a'), AE_IFREG, ""}}, true);
        const std::vector<StoredMember> stored = extract("42/abc/", tar);
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, stored.size());
        CPPUNIT_ASSERT(world_->held("42/abc/job-output.txt") == std::string("log\n"));
        CPPUNIT_ASSERT(world_->held("42/abc/logs/a.txt") == std::string(70000, 'a'));
        for (const StoredMember& member : stored) {
            CPPUNIT_ASSERT(!member.identical);
            CPPUNIT_ASSERT_EQUAL(sha256_of(*world_->held(member.path)), member.sha256);
        }
        assert_usage(70004, 2);
        // The same archive again is a retry: every member identical, nothing charged.
        const auto before = world_->everything();
        for (const StoredMember& member : extract("42/abc/", tar)) {
            CPPUNIT_ASSERT(member.identical);
        }
        CPPUNIT_ASSERT(before == world_->everything());
        assert_usage(70004, 2);
    }

    void an_archive_over_the_quota_stores_nothing() {
        world_->claims.max_files = 2;
        put("42/abc/first.txt", "1");
        const auto before = world_->everything();
        const std::string tar =
            testing::make_tar({{"d/a.txt", "a", AE_IFREG, ""}, {"d/b.txt", "b", AE_IFREG, ""}}, false);
        assert_refused(413, "quota_exceeded", [&] { extract("42/abc/", tar); });
        CPPUNIT_ASSERT(before == world_->everything());
        assert_usage(1, 1);
    }

    void an_archive_over_other_content_stores_nothing() {
        put("42/abc/b.txt", "original");
        const auto before = world_->everything();
        const std::string tar =
            testing::make_tar({{"a.txt", "new", AE_IFREG, ""}, {"b.txt", "changed", AE_IFREG, ""}}, false);
        assert_refused(409, "exists", [&] { extract("42/abc/", tar); });
        CPPUNIT_ASSERT(before == world_->everything());
        assert_usage(8, 1);
    }

private:
    // What the extract handler does with a store (httpd/upload_request.cc), minus the kinds.
    std::vector<StoredMember> extract(const std::string& directory, const std::string& tar) {
        const std::unique_ptr<ArchiveTransaction> archive = world_->store().begin_archive(directory);
        const LedgerUsage usage = world_->ledger().peek(world_->claims.jti);
        std::uint64_t files = 0;
        const MemberCheck check = [&](std::string_view path, std::uint64_t) -> std::optional<Refusal> {
            files += archive->holds(std::string(path)) ? 0 : 1;
            return check_quota(world_->claims, usage, 0, files);
        };
        StringSource body(tar, 1000);
        archive->stage(body, check, max_file_size_);
        return archive->commit(nullptr);
    }
    PutResult put_source(const std::string& path, ByteSource& body, std::optional<std::uint64_t> length) {
        PutRequest request;
        request.claims = &world_->claims;
        request.ledger = &world_->ledger();
        request.path = path;
        request.gzip = gzip_;
        request.length = length;
        request.max_file_size = max_file_size_;
        request.sha256 = sha256_;
        request.compress = compress_;
        return put_file(world_->store(), request, body);
    }
    PutResult put(const std::string& path, const std::string& bytes) {
        StringSource body(bytes);
        const PutResult result = put_source(path, body, bytes.size());
        CPPUNIT_ASSERT(world_->idle());
        return result;
    }
    void assert_refused(int status, const std::string& code, const std::function<void()>& action) {
        try {
            action();
        } catch (const Refused& refused) {
            CPPUNIT_ASSERT_EQUAL(status, refused.refusal.status);
            CPPUNIT_ASSERT_EQUAL(code, refused.refusal.code);
            CPPUNIT_ASSERT(world_->idle());
            return;
        }
        CPPUNIT_FAIL("not refused: " + code);
    }
    void assert_refused(int status, const std::string& code, const std::string& path, const std::string& bytes) {
        assert_refused(status, code, [&] { put(path, bytes); });
    }
    void assert_usage(std::uint64_t bytes, std::uint64_t files) {
        const LedgerUsage usage = world_->ledger().peek(world_->claims.jti);
        CPPUNIT_ASSERT_EQUAL(bytes, usage.bytes);
        CPPUNIT_ASSERT_EQUAL(files, usage.files);
    }
    void seal_token_directly() {
        auto entry = world_->ledger().open(world_->claims.jti);
        entry->seal(1234);
        entry->commit();
    }

    std::unique_ptr<W> world_;
    bool gzip_ = false;
    std::uint64_t max_file_size_ = 1 << 30;
    std::optional<std::string> sha256_;
    bool compress_ = false;
};

CPPUNIT_TEST_SUITE_REGISTRATION(PutPipelineTest<MemoryWorld>);
CPPUNIT_TEST_SUITE_REGISTRATION(PutPipelineTest<DiskWorld>);
