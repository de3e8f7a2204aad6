#include <cppunit/extensions/HelperMacros.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "../../mod_artifacts/backends/mysql_connection.h"
#include "../../mod_artifacts/backends/swift_client.h"
#include "../../mod_artifacts/core/codec/key_values.h"

using namespace artifacts;

namespace {

// A secret file that disappears with the test.
struct SecretFile {
    explicit SecretFile(const std::string& content) {
        char name[] = "/tmp/artifacts-secret-XXXXXX";
        const int fd = mkstemp(name);
        path = name;
        std::ofstream(path) << content;
        close(fd);
    }
    ~SecretFile() { std::remove(path.c_str()); }
    std::string path;
};

}  // namespace

class StorageSettingsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(StorageSettingsTest);
    CPPUNIT_TEST(key_values_parse_quotes_and_refuse_junk);
    CPPUNIT_TEST(catalogue_settings_read_the_password_file);
    CPPUNIT_TEST(catalogue_settings_refuse_what_cannot_work);
    CPPUNIT_TEST(swift_settings_v1_and_v3);
    CPPUNIT_TEST(swift_settings_refuse_what_cannot_work);
    CPPUNIT_TEST(keystone_catalog_gives_the_object_store);
    CPPUNIT_TEST_SUITE_END();

public:
    void key_values_parse_quotes_and_refuse_junk() {
        const KeyValues values = parse_key_values("  host=db port=3306 name='a b\\'c' empty=''");
        CPPUNIT_ASSERT(values);
        CPPUNIT_ASSERT_EQUAL(std::string("db"), *values.find("host"));
        CPPUNIT_ASSERT_EQUAL(std::string("a b'c"), *values.find("name"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), *values.find("empty"));
        CPPUNIT_ASSERT(values.find("user") == nullptr);
        CPPUNIT_ASSERT(!parse_key_values("host"));
        CPPUNIT_ASSERT(!parse_key_values("=x"));
        CPPUNIT_ASSERT(!parse_key_values("a='open"));
        CPPUNIT_ASSERT(!parse_key_values("a=1 a=2"));
    }

    void catalogue_settings_read_the_password_file() {
        const SecretFile password("s3cret\n");
        CatalogueSettings settings;
        CPPUNIT_ASSERT_EQUAL(
            std::string(""),
            parse_catalogue_settings("host=db.example.org port=3307 user=artifacts password-file=" + password.path +
                                         " dbname=logs read-timeout=3 lookup-timeout=1 resolve-timeout=45",
                                     settings));
        CPPUNIT_ASSERT_EQUAL(std::string("db.example.org"), settings.host);
        CPPUNIT_ASSERT_EQUAL(3307u, settings.port);
        CPPUNIT_ASSERT_EQUAL(std::string("s3cret"), settings.password);
        CPPUNIT_ASSERT_EQUAL(std::string("logs"), settings.database);
        CPPUNIT_ASSERT_EQUAL(3u, settings.read_timeout);
        CPPUNIT_ASSERT_EQUAL(1u, settings.lookup_timeout);
        CPPUNIT_ASSERT_EQUAL(45u, settings.resolve_timeout);
        CPPUNIT_ASSERT_EQUAL(2u, settings.connect_timeout);
        CPPUNIT_ASSERT_EQUAL(2u, settings.retry_interval);
    }

    void catalogue_settings_refuse_what_cannot_work() {
        const SecretFile password("pw\n");
        CatalogueSettings settings;
        const std::string file = " password-file=" + password.path;
        CPPUNIT_ASSERT(parse_catalogue_settings("user=a password=pw", settings).find("in a file") != std::string::npos);
        CPPUNIT_ASSERT(parse_catalogue_settings("password-file=" + password.path, settings).find("user") !=
                       std::string::npos);
        CPPUNIT_ASSERT(parse_catalogue_settings("user=a", settings).find("password-file") != std::string::npos);
        CPPUNIT_ASSERT(parse_catalogue_settings("user=a port=99999" + file, settings).find("port") !=
                       std::string::npos);
        CPPUNIT_ASSERT(parse_catalogue_settings("user=a colour=blue" + file, settings).find("colour") !=
                       std::string::npos);
        CPPUNIT_ASSERT(
            parse_catalogue_settings("user=a password-file=/nonexistent/pw", settings).find("/nonexistent/pw") !=
            std::string::npos);
    }

    void swift_settings_v1_and_v3() {
        const SecretFile key("testing\n");
        SwiftSettings v1;
        CPPUNIT_ASSERT_EQUAL(std::string(""),
                             parse_swift_settings({"v1", "http://127.0.0.1:8080/auth/v1.0/", "test:tester",
                                                   "key-file=" + key.path, "temp-url-key-file=" + key.path},
                                                  v1));
        CPPUNIT_ASSERT(v1.auth == SwiftSettings::Auth::V1);
        CPPUNIT_ASSERT_EQUAL(std::string("http://127.0.0.1:8080/auth/v1.0"), v1.auth_url);
        CPPUNIT_ASSERT_EQUAL(std::string("testing"), v1.password);
        CPPUNIT_ASSERT_EQUAL(std::string("testing"), v1.temp_url_key);
        SwiftSettings v3;
        CPPUNIT_ASSERT_EQUAL(std::string(""),
                             parse_swift_settings({"v3", "https://keystone.example.org/v3", "artifacts-user",
                                                   "password-file=" + key.path, "project=ci", "region=RegionTwo"},
                                                  v3));
        CPPUNIT_ASSERT(v3.auth == SwiftSettings::Auth::V3);
        CPPUNIT_ASSERT_EQUAL(std::string("ci"), v3.project);
        CPPUNIT_ASSERT_EQUAL(std::string("RegionTwo"), v3.region);
        CPPUNIT_ASSERT_EQUAL(std::string("Default"), v3.user_domain);
    }

    void swift_settings_refuse_what_cannot_work() {
        const SecretFile key("k\n");
        const std::string key_file = "key-file=" + key.path;
        SwiftSettings settings;
        CPPUNIT_ASSERT(!parse_swift_settings({"v2", "http://x", "u", key_file}, settings).empty());
        CPPUNIT_ASSERT(!parse_swift_settings({"v1", "ftp://x", "u", key_file}, settings).empty());
        CPPUNIT_ASSERT(!parse_swift_settings({"v1", "http://x", "u"}, settings).empty());
        CPPUNIT_ASSERT(!parse_swift_settings({"v1", "http://x", "u", "key=secret"}, settings).empty());
        CPPUNIT_ASSERT(!parse_swift_settings({"v3", "http://x", "u", key_file}, settings).empty());  // no project
        CPPUNIT_ASSERT(!parse_swift_settings({"v1", "http://x", "u", key_file, key_file}, settings).empty());
        CPPUNIT_ASSERT(!parse_swift_settings({"v1", "http://x", "u", "key-file=/nonexistent"}, settings).empty());
        CPPUNIT_ASSERT(!parse_swift_settings({"v1", "http://x", "u", key_file, "listing-page=0"}, settings).empty());
        CPPUNIT_ASSERT(!parse_swift_settings({"v1", "http://x", "u", key_file, "listing-page=9x"}, settings).empty());
        CPPUNIT_ASSERT_EQUAL(std::string(""),
                             parse_swift_settings({"v1", "http://x", "u", key_file, "listing-page=7"}, settings));
        CPPUNIT_ASSERT_EQUAL(7u, settings.listing_page);
    }

    void keystone_catalog_gives_the_object_store() {
        const std::string token = R"({"token": {"expires_at": "2026-11-26T00:00:00.000000Z", "catalog": [
            {"type": "identity", "endpoints": [{"interface": "public", "region_id": "One", "url": "http://k"}]},
            {"type": "object-store", "endpoints": [
                {"interface": "internal", "region_id": "One", "url": "http://internal/v1/AUTH_p"},
                {"interface": "public", "region_id": "One", "url": "http://one/v1/AUTH_p"},
                {"interface": "public", "region_id": "Two", "url": "http://two/v1/AUTH_p"}]}]}})";
        CPPUNIT_ASSERT_EQUAL(std::string("http://one/v1/AUTH_p"), object_store_endpoint(token, "", "public"));
        CPPUNIT_ASSERT_EQUAL(std::string("http://two/v1/AUTH_p"), object_store_endpoint(token, "Two", "public"));
        CPPUNIT_ASSERT_EQUAL(std::string("http://internal/v1/AUTH_p"), object_store_endpoint(token, "", "internal"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), object_store_endpoint(token, "Three", "public"));
        CPPUNIT_ASSERT_EQUAL(std::string(""), object_store_endpoint("not json", "", "public"));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StorageSettingsTest);
