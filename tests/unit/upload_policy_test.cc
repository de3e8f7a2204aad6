#include <cppunit/extensions/HelperMacros.h>

#include "../../mod_artifacts/core/manifest/manifest.h"
#include "../../mod_artifacts/core/policy/upload_policy.h"

using namespace artifacts;

class UploadPolicyTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(UploadPolicyTest);
    CPPUNIT_TEST(scope_has_a_boundary);
    CPPUNIT_TEST(kinds_match_file_names);
    CPPUNIT_TEST(quotas_count_the_whole_life);
    CPPUNIT_TEST(client_address_must_be_in_range);
    CPPUNIT_TEST(manifest_is_zuuls_format);
    CPPUNIT_TEST(manifest_from_a_flat_listing_nests_directories_first);
    CPPUNIT_TEST(manifest_types_are_pythons);
    CPPUNIT_TEST(refusal_is_json);
    CPPUNIT_TEST_SUITE_END();

    TokenClaims claims() {
        TokenClaims c;
        c.scope = "42/abc/";
        c.kinds = {"logs"};
        c.jti = "j";
        return c;
    }
    KindTable kinds() {
        KindTable table;
        table.add("logs", "*.txt");
        table.add("logs", "*.log");
        table.add("tarballs", "*.tar.gz");
        return table;
    }

public:
    void scope_has_a_boundary() {
        const KindTable table = kinds();
        CPPUNIT_ASSERT(!check_file_target(claims(), table, "42/abc/job-output.txt"));
        CPPUNIT_ASSERT(!check_file_target(claims(), table, "42/abc/deep/er/x.log"));
        CPPUNIT_ASSERT_EQUAL(403, check_file_target(claims(), table, "42/abcd/x.txt")->status);
        CPPUNIT_ASSERT_EQUAL(std::string("out_of_scope"), check_file_target(claims(), table, "42/x.txt")->code);
        CPPUNIT_ASSERT_EQUAL(std::string("out_of_scope"), check_file_target(claims(), table, "42/abc/")->code);
        CPPUNIT_ASSERT(!check_directory_target(claims(), "42/abc/"));
        CPPUNIT_ASSERT(!check_directory_target(claims(), "42/abc/logs/"));
        CPPUNIT_ASSERT(check_directory_target(claims(), "42/"));
        CPPUNIT_ASSERT(check_directory_target(claims(), "42/ab/"));
    }

    void kinds_match_file_names() {
        const KindTable table = kinds();
        const auto wrong = check_file_target(claims(), table, "42/abc/dist.tar.gz");
        CPPUNIT_ASSERT(wrong && wrong->code == "wrong_kind" && wrong->status == 403);
        CPPUNIT_ASSERT(wrong->message.find("logs") != std::string::npos);
        TokenClaims both = claims();
        both.kinds = {"logs", "tarballs"};
        CPPUNIT_ASSERT(!check_file_target(both, table, "42/abc/dist.tar.gz"));
        TokenClaims unknown = claims();
        unknown.kinds = {"nonexistent"};
        CPPUNIT_ASSERT(check_file_target(unknown, table, "42/abc/x.txt"));
        CPPUNIT_ASSERT(table.knows("tarballs") && !table.knows("nonexistent"));
        // The glob is matched on the last segment only.
        CPPUNIT_ASSERT(check_file_target(claims(), table, "42/abc/x.txt/y"));
    }

    void quotas_count_the_whole_life() {
        TokenClaims limited = claims();
        limited.max_bytes = 100;
        limited.max_files = 2;
        LedgerUsage usage;
        usage.bytes = 60;
        usage.files = 1;
        CPPUNIT_ASSERT(!check_quota(limited, usage, 40, 1));
        CPPUNIT_ASSERT_EQUAL(413, check_quota(limited, usage, 41, 1)->status);
        CPPUNIT_ASSERT_EQUAL(std::string("quota_exceeded"), check_quota(limited, usage, 0, 2)->code);
        CPPUNIT_ASSERT(check_quota(limited, usage, UINT64_MAX, 0));  // no overflow
        usage.sealed_at = 5;
        CPPUNIT_ASSERT_EQUAL(410, check_quota(limited, usage, 0, 0)->status);
        CPPUNIT_ASSERT(!check_quota(claims(), LedgerUsage{}, UINT64_MAX, UINT64_MAX));
    }

    void client_address_must_be_in_range() {
        TokenClaims ranged = claims();
        CPPUNIT_ASSERT(!check_client_address(ranged, "203.0.113.1"));
        ranged.ip = {"10.0.0.0/8", "2001:db8::/32"};
        CPPUNIT_ASSERT(!check_client_address(ranged, "10.1.2.3"));
        CPPUNIT_ASSERT(!check_client_address(ranged, "2001:db8::5"));
        const auto refused = check_client_address(ranged, "127.0.0.1");
        CPPUNIT_ASSERT(refused && refused->code == "ip_not_allowed" && refused->status == 403);
    }

    void manifest_from_a_flat_listing_nests_directories_first() {
        StringSink out;
        ManifestWriter manifest(out);
        write_manifest_from_files({{"z.txt", 1, 1},
                                   {"logs/b.log", 2, 2},
                                   {"logs/a.log", 3, 3},
                                   {"a.txt", 4, 4},
                                   {"logs/deep/c.log", 5, 5},
                                   {"logs-old/d.log", 6, 6}},
                                  manifest);
        const std::string& text = out.str();
        const auto at = [&](const char* name) { return text.find(std::string("\"name\":\"") + name + "\""); };
        // Directories before files at each level; each group by name.
        CPPUNIT_ASSERT(at("logs") < at("logs-old"));  // by name, though "logs-old/" sorts before "logs/"
        CPPUNIT_ASSERT(at("logs-old") < at("a.txt") && at("a.txt") < at("z.txt"));
        CPPUNIT_ASSERT(at("deep") < at("a.log") && at("a.log") < at("b.log"));
        CPPUNIT_ASSERT(at("c.log") > at("deep") && at("c.log") < at("a.log"));
        CPPUNIT_ASSERT(text.find("\"size\":5") != std::string::npos);
        const std::string end = "],\"index_links\":false}\n";
        CPPUNIT_ASSERT(text.size() > end.size() && text.compare(text.size() - end.size(), end.size(), end) == 0);
        // An empty directory ("name/") is a directory with no children, never a file named "".
        StringSink with_empty;
        ManifestWriter second(with_empty);
        write_manifest_from_files({{"logs/empty/", 0, 7}, {"logs/a.log", 1, 1}, {"top/", 0, 7}}, second);
        const std::string& listed = with_empty.str();
        CPPUNIT_ASSERT(listed.find("\"name\":\"\"") == std::string::npos);
        CPPUNIT_ASSERT(listed.find("{\"name\":\"empty\",\"mimetype\":\"application/directory\",\"encoding\":null,"
                                   "\"children\":[]}") != std::string::npos);
        CPPUNIT_ASSERT(listed.find("{\"name\":\"top\",\"mimetype\":\"application/directory\",\"encoding\":null,"
                                   "\"children\":[]}") != std::string::npos);
        CPPUNIT_ASSERT(listed.find("\"logs\"") < listed.find("\"top\""));
    }

    void manifest_is_zuuls_format() {
        StringSink out;
        ManifestWriter manifest(out);
        manifest.begin_directory("logs");
        manifest.file("a \"b\".txt.gz", 10, 1700000000);
        manifest.begin_directory("empty");
        manifest.end_directory();
        manifest.end_directory();
        manifest.file("job-output.json", 3, 5);
        manifest.finish();
        CPPUNIT_ASSERT_EQUAL(std::string("{\"tree\":[\n"
                                         "{\"name\":\"logs\",\"mimetype\":\"application/directory\",\"encoding\":null,"
                                         "\"children\":[\n"
                                         "{\"name\":\"a \\\"b\\\".txt.gz\",\"mimetype\":\"text/plain\",\"encoding\":"
                                         "\"gzip\",\"last_modified\":1700000000,\"size\":10},\n"
                                         "{\"name\":\"empty\",\"mimetype\":\"application/directory\",\"encoding\":"
                                         "null,\"children\":[]}]},\n"
                                         "{\"name\":\"job-output.json\",\"mimetype\":\"application/json\","
                                         "\"encoding\":null,\"last_modified\":5,\"size\":3}\n"
                                         "],\"index_links\":false}\n"),
                             out.str());
    }

    void manifest_types_are_pythons() {
        // Expected values printed by CPython 3.11: mimetypes.MimeTypes().guess_type(name),
        // None replaced by text/plain as generate-zuul-manifest does.
        const struct {
            const char* name;
            const char* mimetype;
            const char* encoding;
        } cases[] = {
            {"job-output.txt", "text/plain", ""},
            {"job-output.json", "application/json", ""},
            {"inventory.yaml", "text/plain", ""},
            {"zuul-info", "text/plain", ""},
            {"x.gz", "text/plain", "gzip"},
            {"a.tar.gz", "application/x-tar", "gzip"},
            {"a.tgz", "application/x-tar", "gzip"},
            {"a.TGZ", "application/x-tar", "gzip"},
            {"syslog.txt.gz", "text/plain", "gzip"},
            {"d.xz", "text/plain", "xz"},
            {"e.txt.xz", "text/plain", "xz"},
            {"f.whl", "text/plain", ""},
            {"g.log", "text/plain", ""},
            {"h.html", "text/html", ""},
            {"i.HTML", "text/html", ""},
            {"j.svgz", "image/svg+xml", "gzip"},
            {"k.GZ", "text/plain", ""},
            {".bashrc", "text/plain", ""},
            {"core", "text/plain", ""},
            {"trailing.", "text/plain", ""},
            {"conf.py", "text/x-python", ""},
            {"l.tar.bz2", "application/x-tar", "bzip2"},
            {"m.json.gz", "application/json", "gzip"},
            {"n.csv", "text/csv", ""},
            {"o.Z", "text/plain", "compress"},
            {"p.sh", "application/x-sh", ""},
            {"q.xml", "text/xml", ""},
            {"r.js", "application/javascript", ""},
            {"s.md", "text/plain", ""},
            {"t.yml", "text/plain", ""},
        };
        for (const auto& c : cases) {
            const ManifestType type = manifest_type_for(c.name);
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.name, std::string(c.mimetype), std::string(type.mimetype));
            CPPUNIT_ASSERT_EQUAL_MESSAGE(c.name, std::string(c.encoding), std::string(type.encoding));
        }
    }

    void refusal_is_json() {
        CPPUNIT_ASSERT_EQUAL(std::string("{\"error\":\"exists\",\"message\":\"a \\\"b\\\"\"}\n"),
                             refusal_json({409, "exists", "a \"b\""}));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(UploadPolicyTest);
