#include <cppunit/extensions/HelperMacros.h>

#include "../../mod_artifacts/backends/catalogue.h"
#include "../../mod_artifacts/backends/catalogue_prune.h"
#include "../../mod_artifacts/backends/swift_import.h"

using namespace artifacts;

class CatalogueTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CatalogueTest);
    CPPUNIT_TEST(parents_and_names_of_files_and_directories);
    CPPUNIT_TEST(rows_become_records);
    CPPUNIT_TEST(legacy_names_import_as_the_disk_serves_them);
    CPPUNIT_TEST(a_store_has_its_shards_and_their_twins);
    CPPUNIT_TEST_SUITE_END();

public:
    void parents_and_names_of_files_and_directories() {
        CPPUNIT_ASSERT_EQUAL(std::string("a/b/"), parent_of("a/b/c.txt"));
        CPPUNIT_ASSERT_EQUAL(std::string("c.txt"), name_of("a/b/c.txt"));
        CPPUNIT_ASSERT_EQUAL(std::string("a/"), parent_of("a/b/"));
        CPPUNIT_ASSERT_EQUAL(std::string("b"), name_of("a/b/"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), parent_of("top.txt"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), parent_of("top/"));
        CPPUNIT_ASSERT_EQUAL(std::string("top"), name_of("top/"));
    }

    void rows_become_records() {
        const SqlRow row{std::string("a/b.txt"),
                         std::string("0"),
                         std::string("18446744073709551615"),
                         std::string("1700000000"),
                         std::string("text/plain"),
                         std::string("gzip"),
                         std::string(64, 'f'),
                         std::string(32, 'e'),
                         std::string("swift"),
                         std::string("logs-007"),
                         std::string("a/b.txt"),
                         std::string("jti-1"),
                         std::string("b"),
                         std::string("j"),
                         std::nullopt,
                         std::nullopt};
        const ArtifactRecord record = record_from_row(row);
        CPPUNIT_ASSERT_EQUAL(std::string("a/b.txt"), record.path);
        CPPUNIT_ASSERT(!record.is_directory);
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{18446744073709551615u}, record.size);
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1700000000}, record.mtime);
        CPPUNIT_ASSERT_EQUAL(std::string("gzip"), record.content_encoding);
        CPPUNIT_ASSERT_EQUAL(std::string("logs-007"), record.container);
        CPPUNIT_ASSERT(!record.expires_at);
        SqlRow expiring = row;
        expiring[14] = std::string("1800000000");
        CPPUNIT_ASSERT_EQUAL(std::int64_t{1800000000}, *record_from_row(expiring).expires_at);
        CPPUNIT_ASSERT(!record.summary);
        SqlRow summarised = row;
        summarised[15] = std::string("lines=9 ERROR=2 first_error=4");
        const auto summary = record_from_row(summarised).summary;
        CPPUNIT_ASSERT(summary && summary->lines == 9 && summary->count("ERROR") == 2 && summary->first_error == 4);
        summarised[15] = std::string("not a summary");  // damaged: none, not an error
        CPPUNIT_ASSERT(!record_from_row(summarised).summary);
    }

    void legacy_names_import_as_the_disk_serves_them() {
        const ImportItem log = plan_import("/srv/a/log.txt.gz", "a/log.txt.gz", false);
        CPPUNIT_ASSERT_EQUAL(std::string("a/log.txt"), log.path);
        CPPUNIT_ASSERT(log.gzip);
        CPPUNIT_ASSERT_EQUAL(std::string("text/plain"), log.content_type);
        CPPUNIT_ASSERT_EQUAL(std::string("/srv/a/log.txt.gz"), log.source);
        // Beside a plain twin, each keeps its own name.
        const ImportItem twin = plan_import("/srv/a/log.txt.gz", "a/log.txt.gz", true);
        CPPUNIT_ASSERT_EQUAL(std::string("a/log.txt.gz"), twin.path);
        CPPUNIT_ASSERT(!twin.gzip);
        CPPUNIT_ASSERT_EQUAL(std::string("application/gzip"), twin.content_type);
        // An archive stays bytes; so does a bare .gz and an unknown inner type.
        for (const char* name : {"dist.tar.gz", "x.gz", "image.qcow2.gz"}) {
            const ImportItem item = plan_import(std::string("/srv/") + name, name, false);
            CPPUNIT_ASSERT_EQUAL(std::string(name), item.path);
            CPPUNIT_ASSERT(!item.gzip);
        }
        CPPUNIT_ASSERT_EQUAL(std::string("a/data.json"), plan_import("/s", "a/data.json.gz", false).path);
        CPPUNIT_ASSERT_EQUAL(std::string("text/html"), plan_import("/s", "a/index.html", false).content_type);
    }

    void a_store_has_its_shards_and_their_twins() {
        CPPUNIT_ASSERT((std::vector<std::string>{"logs", "logs-overwrites"}) == store_containers("logs", 1));
        const std::vector<std::string> sharded = store_containers("logs", 3);
        CPPUNIT_ASSERT((std::vector<std::string>{"logs-000", "logs-001", "logs-002", "logs-000-overwrites",
                                                 "logs-001-overwrites", "logs-002-overwrites"}) == sharded);
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CatalogueTest);
