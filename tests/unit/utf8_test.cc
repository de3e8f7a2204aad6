#include <cppunit/extensions/HelperMacros.h>

#include "../../mod_artifacts/core/codec/utf8.h"

using namespace artifacts;

class Utf8Test : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(Utf8Test);
    CPPUNIT_TEST(decodes_ascii_and_multibyte);
    CPPUNIT_TEST(rejects_overlong_and_surrogates);
    CPPUNIT_TEST(rejects_truncated_sequences);
    CPPUNIT_TEST_SUITE_END();

public:
    void decodes_ascii_and_multibyte() {
        char32_t cp;
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, utf8::decode("a", 0, cp));
        CPPUNIT_ASSERT_EQUAL(char32_t{'a'}, cp);
        CPPUNIT_ASSERT_EQUAL(std::size_t{2}, utf8::decode("\xC3\xA9", 0, cp));
        CPPUNIT_ASSERT_EQUAL(char32_t{0xE9}, cp);
        CPPUNIT_ASSERT_EQUAL(std::size_t{4}, utf8::decode("\xF0\x9F\x98\x80", 0, cp));
        CPPUNIT_ASSERT_EQUAL(char32_t{0x1F600}, cp);
        CPPUNIT_ASSERT(utf8::is_valid("caf\xC3\xA9 \xE2\x82\xAC"));
        CPPUNIT_ASSERT(utf8::is_valid("\xEF\xBF\xBD"));  // a real U+FFFD is valid
    }

    void rejects_overlong_and_surrogates() {
        CPPUNIT_ASSERT(!utf8::is_valid("\xC0\xAE\xC0\xAE"));  // overlong ".."
        CPPUNIT_ASSERT(!utf8::is_valid("\xE0\x80\xAF"));      // overlong "/"
        CPPUNIT_ASSERT(!utf8::is_valid("\xED\xA0\x80"));      // surrogate
        CPPUNIT_ASSERT(!utf8::is_valid("\xF4\x90\x80\x80"));  // above U+10FFFF
        CPPUNIT_ASSERT(!utf8::is_valid("\xFF"));
    }

    void rejects_truncated_sequences() {
        char32_t cp;
        CPPUNIT_ASSERT_EQUAL(std::size_t{1}, utf8::decode("\xE2\x82", 0, cp));
        CPPUNIT_ASSERT_EQUAL(utf8::kReplacement, cp);
        CPPUNIT_ASSERT(!utf8::is_valid("abc\xE2\x82"));
        CPPUNIT_ASSERT(!utf8::is_valid("\xC3 "));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(Utf8Test);
