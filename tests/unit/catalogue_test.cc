#include <cppunit/extensions/HelperMacros.h>

#include "../../mod_artifacts/backends/catalogue.h"

using namespace artifacts;

class CatalogueTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(CatalogueTest);
    CPPUNIT_TEST(parents_and_names_of_files_and_directories);
    CPPUNIT_TEST(rows_become_records);
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
        const SqlRow row{std::string("a/b.txt"),    std::string("0"),          std::string("18446744073709551615"),
                         std::string("1700000000"), std::string("text/plain"), std::string("gzip"),
                         std::string(64, 'f'),      std::string(32, 'e'),      std::string("swift"),
                         std::string("logs-007"),   std::string("a/b.txt"),    std::string("jti-1"),
                         std::string("b"),          std::string("j"),          std::nullopt};
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
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CatalogueTest);
