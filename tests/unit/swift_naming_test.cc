#include <cppunit/extensions/HelperMacros.h>

#include <memory_resource>

#include "../../mod_artifacts/core/index/swift_listing.h"
#include "../../mod_artifacts/core/store/swift_naming.h"

using namespace artifacts;

class SwiftNamingTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(SwiftNamingTest);
    CPPUNIT_TEST(temp_url_matches_swiftclient);
    CPPUNIT_TEST(object_paths_are_encoded_but_signed_raw);
    CPPUNIT_TEST(shards_follow_the_directory);
    CPPUNIT_TEST(listing_page_becomes_entries);
    CPPUNIT_TEST(listing_rejects_what_is_not_a_listing);
    CPPUNIT_TEST(directory_markers_are_directories);
    CPPUNIT_TEST(swift_times_are_utc);
    CPPUNIT_TEST_SUITE_END();

public:
    void temp_url_matches_swiftclient() {
        // swiftclient.utils.generate_temp_url('/v1/AUTH_test/logs/a b/c.txt', 1700000000, 'secret', 'GET',
        // digest='sha256', absolute=True)
        CPPUNIT_ASSERT_EQUAL(std::string("temp_url_sig=cf475dbc62ee00a9b04c347f6127f6ac6450ad98d71b48c29c83b766a019c7f5"
                                         "&temp_url_expires=1700000000"),
                             temp_url_query("secret", "GET", 1700000000, "/v1/AUTH_test/logs/a b/c.txt"));
    }

    void object_paths_are_encoded_but_signed_raw() {
        CPPUNIT_ASSERT_EQUAL(std::string("/v1/AUTH_test/logs/a%20b/c%3F.txt"),
                             swift_object_path("/v1/AUTH_test", "logs", "a b/c?.txt"));
        CPPUNIT_ASSERT_EQUAL(std::string("/v1/AUTH_test/logs/a b/c?.txt"),
                             swift_object_raw_path("/v1/AUTH_test", "logs", "a b/c?.txt"));
    }

    void shards_follow_the_directory() {
        CPPUNIT_ASSERT_EQUAL(std::string("logs"), shard_container("logs", 1, "a/b/c.txt"));
        CPPUNIT_ASSERT_EQUAL(std::string("logs"), shard_container("logs", 0, "a/b/c.txt"));
        // The first 15 hex digits of sha256("a/b") modulo 256 (checked with Python's hashlib).
        CPPUNIT_ASSERT_EQUAL(std::string("logs-185"), shard_container("logs", 256, "a/b/c.txt"));
        CPPUNIT_ASSERT_EQUAL(shard_container("logs", 256, "a/b/c.txt"), shard_container("logs", 256, "a/b/d.txt"));
        CPPUNIT_ASSERT_EQUAL(std::string("logs-193"), shard_container("logs", 256, "top.txt"));
        // The longest base name, sharded, in its overwrite twin is still a name Swift takes.
        const std::string longest = std::string(kMaxBaseContainerName, 'c');
        CPPUNIT_ASSERT_EQUAL(std::size_t{256},
                             shard_container(longest, 1000, "a/b/c.txt").size() + kOverwriteContainerSuffix.size());
    }

    void listing_page_becomes_entries() {
        std::pmr::monotonic_buffer_resource memory;
        IndexEntries entries(&memory);
        const ListingPage page = append_listing_page(
            R"([{"subdir": "job/logs/"},
                {"name": "job/job-output.txt", "bytes": 1234, "hash": "x", "content_type": "text/plain",
                 "last_modified": "2026-11-25T23:27:56.123450"},
                {"name": "job/.artifacts-tmp-1", "bytes": 1, "last_modified": "2026-11-25T23:27:56"},
                {"name": "job/", "bytes": 0, "last_modified": "2026-11-25T23:27:56"}])",
            "job/", entries);
        CPPUNIT_ASSERT_EQUAL(std::size_t{4}, page.count);
        CPPUNIT_ASSERT_EQUAL(std::string("job/"), page.next_marker);
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, entries.size());
        CPPUNIT_ASSERT_EQUAL(std::string("logs"), std::string(entries[0].name));
        CPPUNIT_ASSERT(entries[0].is_directory);
        CPPUNIT_ASSERT_EQUAL(std::string("job-output.txt"), std::string(entries[1].name));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{1234}, entries[1].size);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1795649276}, entries[1].mtime);
    }

    void directory_markers_are_directories() {
        std::pmr::monotonic_buffer_resource memory;
        IndexEntries entries(&memory);
        append_listing_page(
            R"([{"name": "job/logs", "bytes": 0, "content_type": "application/directory",
                 "last_modified": "2026-11-25T23:27:56.123450"},
                {"subdir": "job/logs/"},
                {"name": "job/empty", "bytes": 0, "content_type": "Application/Directory; charset=utf-8"},
                {"name": "job/data", "bytes": 0, "content_type": "application/directory-listing"}])",
            "job/", entries);
        CPPUNIT_ASSERT_EQUAL(std::size_t{4}, entries.size());
        CPPUNIT_ASSERT(entries[0].is_directory && entries[1].is_directory && entries[2].is_directory);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1795649276}, entries[0].mtime);
        CPPUNIT_ASSERT(!entries[3].is_directory);
        CPPUNIT_ASSERT(is_directory_marker_type("application/directory"));
        CPPUNIT_ASSERT(!is_directory_marker_type("text/plain"));
        CPPUNIT_ASSERT(!is_directory_marker_type("application/directoryx"));
    }

    void listing_rejects_what_is_not_a_listing() {
        std::pmr::monotonic_buffer_resource memory;
        IndexEntries entries(&memory);
        CPPUNIT_ASSERT_THROW(append_listing_page("<html>", "", entries), std::runtime_error);
        CPPUNIT_ASSERT_THROW(append_listing_page(R"([{"bytes": 1}])", "", entries), std::runtime_error);
        CPPUNIT_ASSERT_EQUAL(std::size_t{0}, append_listing_page("[]", "", entries).count);
    }

    void swift_times_are_utc() {
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, parse_swift_time("1970-01-01T00:00:00"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1700000000}, parse_swift_time("2023-11-14T22:13:20.000000Z"));
        CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, parse_swift_time("yesterday"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SwiftNamingTest);
