#include <cppunit/extensions/HelperMacros.h>

#include "../../mod_artifacts/core/policy/path_policy.h"

using namespace artifacts;

class PathPolicyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(PathPolicyTest);
    CPPUNIT_TEST(accepts_ordinary_paths);
    CPPUNIT_TEST(stored_paths_fit_every_store);
    CPPUNIT_TEST(rejects_rather_than_cleans);
    CPPUNIT_TEST(served_paths_only_refuse_escapes);
    CPPUNIT_TEST(location_prefix_has_a_boundary);
    CPPUNIT_TEST_SUITE_END();

public:
    void stored_paths_fit_every_store() {
        const std::string name255(255, 'n');
        CPPUNIT_ASSERT(check_storable_path("a/" + name255) == PathProblem::None);
        CPPUNIT_ASSERT(check_storable_path("a/" + name255 + "x") == PathProblem::NameTooLong);
        CPPUNIT_ASSERT(check_storable_path(name255 + "x/b.txt") == PathProblem::NameTooLong);
        std::string path;
        while (path.size() + 201 <= 1024) {
            path += std::string(200, 'd') + "/";
        }
        path += std::string(1024 - path.size(), 'f');
        CPPUNIT_ASSERT_EQUAL(std::size_t{1024}, path.size());
        CPPUNIT_ASSERT(check_storable_path(path) == PathProblem::None);
        CPPUNIT_ASSERT(check_storable_path(path + "f") == PathProblem::PathTooLong);
        CPPUNIT_ASSERT(check_storable_path("a/../b") == PathProblem::DotDotSegment);
        CPPUNIT_ASSERT(check_relative_path(name255 + "x") == PathProblem::None);  // a token's scope is not a file
    }

    void accepts_ordinary_paths() {
        CPPUNIT_ASSERT(check_relative_path("") == PathProblem::None);
        CPPUNIT_ASSERT(check_relative_path("a/b/job-output.txt") == PathProblem::None);
        CPPUNIT_ASSERT(check_relative_path("a/b/") == PathProblem::None);
        CPPUNIT_ASSERT(check_relative_path("..hidden/x..y/...") == PathProblem::None);
        CPPUNIT_ASSERT(check_relative_path("caf\xC3\xA9/r\xC3\xA9sum\xC3\xA9 (1).txt") == PathProblem::None);
    }

    void rejects_rather_than_cleans() {
        CPPUNIT_ASSERT(check_relative_path("/etc/passwd") == PathProblem::LeadingSlash);
        CPPUNIT_ASSERT(check_relative_path("a//b") == PathProblem::EmptySegment);
        CPPUNIT_ASSERT(check_relative_path("a/./b") == PathProblem::DotSegment);
        CPPUNIT_ASSERT(check_relative_path(".") == PathProblem::DotSegment);
        CPPUNIT_ASSERT(check_relative_path("a/../../b") == PathProblem::DotDotSegment);
        CPPUNIT_ASSERT(check_relative_path("..") == PathProblem::DotDotSegment);
        CPPUNIT_ASSERT(check_relative_path("a/..") == PathProblem::DotDotSegment);
        CPPUNIT_ASSERT(check_relative_path("a\\..\\b") == PathProblem::Backslash);
        CPPUNIT_ASSERT(check_relative_path(std::string_view("a\0b", 3)) == PathProblem::Nul);
        CPPUNIT_ASSERT(check_relative_path("a\nb") == PathProblem::ControlCharacter);
        CPPUNIT_ASSERT(check_relative_path("\xC0\xAE\xC0\xAE/x") == PathProblem::InvalidUtf8);
        CPPUNIT_ASSERT_EQUAL(std::string_view("the path has a '..' segment"), describe(PathProblem::DotDotSegment));
    }

    void served_paths_only_refuse_escapes() {
        CPPUNIT_ASSERT(check_served_path("") == PathProblem::None);
        CPPUNIT_ASSERT(check_served_path("a/b/") == PathProblem::None);
        CPPUNIT_ASSERT(check_served_path("a\\b/bad\xFF/...x/.hidden") == PathProblem::None);
        CPPUNIT_ASSERT(check_served_path("a/./b") == PathProblem::DotSegment);
        CPPUNIT_ASSERT(check_served_path("a/..") == PathProblem::DotDotSegment);
        CPPUNIT_ASSERT(check_served_path("../x") == PathProblem::DotDotSegment);
        CPPUNIT_ASSERT(check_served_path(std::string_view("a\0b", 3)) == PathProblem::Nul);
    }

    void location_prefix_has_a_boundary() {
        CPPUNIT_ASSERT(path_below_location("/a/b", "/") == std::optional<std::string_view>("a/b"));
        CPPUNIT_ASSERT(path_below_location("/", "/") == std::optional<std::string_view>(""));
        CPPUNIT_ASSERT(path_below_location("/logs/a/", "/logs") == std::optional<std::string_view>("a/"));
        CPPUNIT_ASSERT(path_below_location("/logs/a", "/logs/") == std::optional<std::string_view>("a"));
        CPPUNIT_ASSERT(path_below_location("/logs", "/logs") == std::optional<std::string_view>(""));
        CPPUNIT_ASSERT(!path_below_location("/logsfoo", "/logs"));
        CPPUNIT_ASSERT(!path_below_location("/other", "/logs"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PathPolicyTest);
