#include <cppunit/extensions/HelperMacros.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory_resource>
#include <string>

#include "../../mod_artifacts/backends/fs_directory.h"

using namespace artifacts;

class FsDirectoryTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(FsDirectoryTest);
    CPPUNIT_TEST(lists_files_and_directories);
    CPPUNIT_TEST(hides_temporary_and_filtered_names);
    CPPUNIT_TEST(follows_links_and_skips_dangling_ones);
    CPPUNIT_TEST(reports_a_missing_directory);
    CPPUNIT_TEST(allocates_entries_from_the_given_resource);
    CPPUNIT_TEST_SUITE_END();

public:
    void setUp() override {
        char pattern[] = "/tmp/fs_directory_test.XXXXXX";
        CPPUNIT_ASSERT(mkdtemp(pattern) != nullptr);
        dir_ = pattern;
        std::ofstream(dir_ + "/a.txt") << "hello";
        std::ofstream(dir_ + "/.artifacts-tmp-1-a.txt") << "partial";
        std::ofstream(dir_ + "/skip.swp") << "x";
        CPPUNIT_ASSERT_EQUAL(0, mkdir((dir_ + "/sub").c_str(), 0755));
        CPPUNIT_ASSERT_EQUAL(0, symlink("a.txt", (dir_ + "/link.txt").c_str()));
        CPPUNIT_ASSERT_EQUAL(0, symlink("missing", (dir_ + "/dangling").c_str()));
    }

    void tearDown() override { CPPUNIT_ASSERT_EQUAL(0, std::system(("rm -rf '" + dir_ + "'").c_str())); }

    void lists_files_and_directories() {
        const auto entries = read_sorted({});
        CPPUNIT_ASSERT_EQUAL(std::size_t{4}, entries.size());
        CPPUNIT_ASSERT_EQUAL(std::string_view("a.txt"), std::string_view(entries[0].name));
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{5}, entries[0].size);
        CPPUNIT_ASSERT(!entries[0].is_directory);
        CPPUNIT_ASSERT(entries[0].mtime > 1600000000);
        CPPUNIT_ASSERT_EQUAL(std::string_view("sub"), std::string_view(entries[3].name));
        CPPUNIT_ASSERT(entries[3].is_directory);
    }

    void hides_temporary_and_filtered_names() {
        const auto entries = read_sorted(
            [](std::string_view name) { return name.size() > 4 && name.substr(name.size() - 4) == ".swp"; });
        for (const auto& entry : entries) {
            CPPUNIT_ASSERT(entry.name != "skip.swp");
            CPPUNIT_ASSERT(entry.name.rfind(".artifacts-tmp-", 0) != 0);
        }
        CPPUNIT_ASSERT_EQUAL(std::size_t{3}, entries.size());
    }

    void follows_links_and_skips_dangling_ones() {
        const auto entries = read_sorted({});
        const auto link =
            std::find_if(entries.begin(), entries.end(), [](const IndexEntry& e) { return e.name == "link.txt"; });
        CPPUNIT_ASSERT(link != entries.end());
        CPPUNIT_ASSERT_EQUAL(std::uint64_t{5}, link->size);
        CPPUNIT_ASSERT(
            std::none_of(entries.begin(), entries.end(), [](const IndexEntry& e) { return e.name == "dangling"; }));
    }

    void reports_a_missing_directory() {
        IndexEntries entries;
        CPPUNIT_ASSERT_EQUAL(ENOENT, read_directory(dir_ + "/nope", {}, entries));
        CPPUNIT_ASSERT(entries.empty());
    }

    void allocates_entries_from_the_given_resource() {
        // Long names defeat the small-string optimisation; with the default resource made
        // unusable, any allocation that does not come from the arena would throw.
        std::ofstream(dir_ + "/a-name-much-longer-than-the-small-string-buffer.txt") << "x";
        static char buffer[64 * 1024];
        std::pmr::monotonic_buffer_resource arena(buffer, sizeof buffer, std::pmr::null_memory_resource());
        IndexEntries entries(&arena);
        std::pmr::memory_resource* previous = std::pmr::set_default_resource(std::pmr::null_memory_resource());
        int error = -1;
        try {
            error = read_directory(dir_, {}, entries);
        } catch (const std::bad_alloc&) {
            std::pmr::set_default_resource(previous);
            CPPUNIT_FAIL("an entry was allocated outside the given resource");
        }
        std::pmr::set_default_resource(previous);
        CPPUNIT_ASSERT_EQUAL(0, error);
        CPPUNIT_ASSERT_EQUAL(std::size_t{5}, entries.size());
        for (const IndexEntry& entry : entries) {
            CPPUNIT_ASSERT(entry.name.get_allocator().resource() == &arena);
        }
    }

private:
    IndexEntries read_sorted(const NameFilter& hide) {
        IndexEntries entries;
        CPPUNIT_ASSERT_EQUAL(0, read_directory(dir_, hide, entries));
        std::sort(entries.begin(), entries.end(),
                  [](const IndexEntry& a, const IndexEntry& b) { return a.name < b.name; });
        return entries;
    }

    std::string dir_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(FsDirectoryTest);
