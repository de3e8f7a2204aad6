#include <cppunit/extensions/HelperMacros.h>

#include "../../mod_artifacts/core/index/index_model.h"

using namespace artifacts;

namespace {
IndexEntries sample() {
    return {
        {"b.txt", false, 300, 10}, {"zdir", true, 0, 5},      {"a.txt", false, 100, 30},
        {"adir", true, 0, 50},     {"c.txt", false, 200, 20},
    };
}
std::string names(const IndexEntries& entries) {
    std::string out;
    for (const auto& entry : entries) {
        out += entry.name + ",";
    }
    return out;
}
}  // namespace

class IndexModelTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(IndexModelTest);
    CPPUNIT_TEST(parses_mod_autoindex_queries);
    CPPUNIT_TEST(sorts_directories_first_by_each_column);
    CPPUNIT_TEST(hides_temporary_files);
    CPPUNIT_TEST_SUITE_END();

public:
    void parses_mod_autoindex_queries() {
        SortOrder order = parse_sort_order("C=M;O=D");
        CPPUNIT_ASSERT(order.key == SortKey::Modified && order.descending);
        order = parse_sort_order("C=S&O=A");
        CPPUNIT_ASSERT(order.key == SortKey::Size && !order.descending);
        order = parse_sort_order("C=X;O=Z");
        CPPUNIT_ASSERT(order.key == SortKey::Name && !order.descending);
        order = parse_sort_order("");
        CPPUNIT_ASSERT(order.key == SortKey::Name && !order.descending);
    }

    void sorts_directories_first_by_each_column() {
        auto entries = sample();
        sort_entries(entries, {SortKey::Name, false});
        CPPUNIT_ASSERT_EQUAL(std::string("adir,zdir,a.txt,b.txt,c.txt,"), names(entries));
        sort_entries(entries, {SortKey::Name, true});
        CPPUNIT_ASSERT_EQUAL(std::string("zdir,adir,c.txt,b.txt,a.txt,"), names(entries));
        sort_entries(entries, {SortKey::Size, false});
        CPPUNIT_ASSERT_EQUAL(std::string("adir,zdir,a.txt,c.txt,b.txt,"), names(entries));
        sort_entries(entries, {SortKey::Modified, true});
        CPPUNIT_ASSERT_EQUAL(std::string("adir,zdir,a.txt,c.txt,b.txt,"), names(entries));
        sort_entries(entries, {SortKey::Modified, false});
        CPPUNIT_ASSERT_EQUAL(std::string("zdir,adir,b.txt,c.txt,a.txt,"), names(entries));
    }

    void hides_temporary_files() {
        CPPUNIT_ASSERT(is_hidden_from_index(".artifacts-tmp-123-job-output.txt"));
        CPPUNIT_ASSERT(is_hidden_from_index("."));
        CPPUNIT_ASSERT(is_hidden_from_index(".."));
        CPPUNIT_ASSERT(!is_hidden_from_index(".artifacts"));
        CPPUNIT_ASSERT(!is_hidden_from_index(".zuul-info"));
        CPPUNIT_ASSERT(names_temporary_file("a/.artifacts-tmp-1-x.txt"));
        CPPUNIT_ASSERT(names_temporary_file(".artifacts-tmp-dir/x.txt"));
        CPPUNIT_ASSERT(!names_temporary_file("a/b.artifacts-tmp-x/"));
        CPPUNIT_ASSERT(!names_temporary_file(""));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(IndexModelTest);
