#include <cppunit/extensions/HelperMacros.h>

#include "../../mod_artifacts/core/http/content_type.h"

using namespace artifacts;

class ContentTypeTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(ContentTypeTest);
    CPPUNIT_TEST(known_extensions);
    CPPUNIT_TEST(gzip_wrapping_a_known_type);
    CPPUNIT_TEST(unknown_and_odd_names);
    CPPUNIT_TEST(media_type_patterns);
    CPPUNIT_TEST_SUITE_END();

public:
    void known_extensions() {
        CPPUNIT_ASSERT_EQUAL(std::string_view("text/plain"), content_type_for("job-output.txt").media_type);
        CPPUNIT_ASSERT_EQUAL(std::string_view("text/plain"), content_type_for("SYSLOG.LOG").media_type);
        CPPUNIT_ASSERT_EQUAL(std::string_view("application/json"), content_type_for("zuul-manifest.json").media_type);
        CPPUNIT_ASSERT_EQUAL(std::string_view("text/html"), content_type_for("index.html").media_type);
        CPPUNIT_ASSERT(content_type_for("index.html").encoding.empty());
    }

    void gzip_wrapping_a_known_type() {
        const ContentType log = content_type_for("screen-n-api.txt.gz");
        CPPUNIT_ASSERT_EQUAL(std::string_view("text/plain"), log.media_type);
        CPPUNIT_ASSERT_EQUAL(std::string_view("gzip"), log.encoding);
        const ContentType tarball = content_type_for("dist.tar.gz");
        CPPUNIT_ASSERT_EQUAL(std::string_view("application/x-tar"), tarball.media_type);
        CPPUNIT_ASSERT_EQUAL(std::string_view("gzip"), tarball.encoding);
        const ContentType opaque = content_type_for("blob.gz");
        CPPUNIT_ASSERT_EQUAL(std::string_view("application/gzip"), opaque.media_type);
        CPPUNIT_ASSERT(opaque.encoding.empty());
    }

    void unknown_and_odd_names() {
        CPPUNIT_ASSERT_EQUAL(std::string_view("application/octet-stream"), content_type_for("core").media_type);
        CPPUNIT_ASSERT_EQUAL(std::string_view("application/octet-stream"), content_type_for(".bashrc").media_type);
        CPPUNIT_ASSERT_EQUAL(std::string_view("application/octet-stream"), content_type_for("trailing.").media_type);
        CPPUNIT_ASSERT_EQUAL(std::string_view("application/octet-stream"), content_type_for("x.unknownext").media_type);
        CPPUNIT_ASSERT_EQUAL(std::string_view("application/octet-stream"), content_type_for(".gz").media_type);
    }

    void media_type_patterns() {
        CPPUNIT_ASSERT(media_type_matches("text/*", "text/plain"));
        CPPUNIT_ASSERT(media_type_matches("TEXT/*", "text/html"));
        CPPUNIT_ASSERT(!media_type_matches("text/*", "text/"));
        CPPUNIT_ASSERT(!media_type_matches("text/*", "textual/plain"));
        CPPUNIT_ASSERT(media_type_matches("application/json", "Application/JSON"));
        CPPUNIT_ASSERT(!media_type_matches("application/json", "application/json5"));
        CPPUNIT_ASSERT(!media_type_matches("application/*", "application"));
        // The defaults cover what browsers and Zuul's UI read, not archives.
        const auto covered = [](std::string_view type) {
            for (const std::string_view pattern : kDefaultGzipInnerTypes) {
                if (media_type_matches(pattern, type)) {
                    return true;
                }
            }
            return false;
        };
        CPPUNIT_ASSERT(covered(content_type_for("console.html.gz").media_type));
        CPPUNIT_ASSERT(covered(content_type_for("job-output.json.gz").media_type));
        CPPUNIT_ASSERT(!covered(content_type_for("dist.tar.gz").media_type));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ContentTypeTest);
