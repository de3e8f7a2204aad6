#include <cppunit/extensions/HelperMacros.h>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "../../mod_artifacts/core/metrics/metrics.h"

using namespace artifacts;
using namespace artifacts::metrics;

namespace {

// A block in memory of its own, attached for the test's length.
class AttachedBlock {
public:
    AttachedBlock() : memory_(new Storage), block_(make_counters(memory_.get(), 1700000000)) { attach(block_); }
    ~AttachedBlock() { attach(nullptr); }
    Counters& block() { return *block_; }

private:
    struct alignas(Counters) Storage {
        unsigned char bytes[sizeof(Counters)];
    };
    std::unique_ptr<Storage> memory_;
    Counters* block_;
};

bool has_line(const std::string& text, const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

}  // namespace

class MetricsTest : public CppUnit::TestFixture {
    CPPUNIT_TEST_SUITE(MetricsTest);
    CPPUNIT_TEST(labels_claim_one_slot_each);
    CPPUNIT_TEST(labels_past_the_table_are_other);
    CPPUNIT_TEST(uploads_render_by_store_and_kind);
    CPPUNIT_TEST(histogram_buckets_are_cumulative);
    CPPUNIT_TEST(label_values_are_escaped);
    CPPUNIT_TEST(connections_are_opened_minus_closed);
    CPPUNIT_TEST(forked_processes_add_up);
    CPPUNIT_TEST_SUITE_END();

public:
    void labels_claim_one_slot_each() {
        AttachedBlock attached;
        LabelTable& kinds = attached.block().kinds;
        const std::size_t logs = kinds.index("logs");
        const std::size_t tarballs = kinds.index("tarballs");
        CPPUNIT_ASSERT(logs != tarballs);
        CPPUNIT_ASSERT_EQUAL(logs, kinds.index("logs"));
        CPPUNIT_ASSERT_EQUAL(LabelTable::kOther, kinds.index(""));
        CPPUNIT_ASSERT_EQUAL(LabelTable::kOther, kinds.index(std::string(LabelTable::kNameBytes + 1, 'x')));
        CPPUNIT_ASSERT(kinds.index(std::string(LabelTable::kNameBytes, 'x')) != LabelTable::kOther);
    }

    void labels_past_the_table_are_other() {
        AttachedBlock attached;
        for (std::size_t i = 0; i < LabelTable::kSlots; ++i) {
            record_refusal("code_" + std::to_string(i));
        }
        record_refusal("one_too_many");
        record_refusal("one_more");
        record_refusal("code_3");
        const std::string text = render_prometheus(attached.block());
        CPPUNIT_ASSERT(has_line(text, "artifacts_refusals_total{code=\"other\"} 2"));
        CPPUNIT_ASSERT(has_line(text, "artifacts_refusals_total{code=\"code_3\"} 2"));
        CPPUNIT_ASSERT(has_line(text, "artifacts_refusals_total{code=\"code_63\"} 1"));
    }

    void uploads_render_by_store_and_kind() {
        AttachedBlock attached;
        record_stored_file(StoreLabel::Filesystem, "logs", 100);
        record_stored_file(StoreLabel::Filesystem, "logs", 50);
        record_stored_file(StoreLabel::Swift, "tarballs", 7);
        record_seal(StoreLabel::Swift);
        record_directory(StoreLabel::Filesystem);
        record_archive(StoreLabel::Swift);
        record_log_page(1000, 1500);
        record_index_page(IndexFormat::Json);
        const std::string text = render_prometheus(attached.block());
        CPPUNIT_ASSERT(has_line(text, "artifacts_files_stored_total{store=\"filesystem\",kind=\"logs\"} 2"));
        CPPUNIT_ASSERT(has_line(text, "artifacts_bytes_stored_total{store=\"filesystem\",kind=\"logs\"} 150"));
        CPPUNIT_ASSERT(has_line(text, "artifacts_files_stored_total{store=\"swift\",kind=\"logs\"} 0"));
        CPPUNIT_ASSERT(has_line(text, "artifacts_bytes_stored_total{store=\"swift\",kind=\"tarballs\"} 7"));
        CPPUNIT_ASSERT(has_line(text, "artifacts_seals_total{store=\"swift\"} 1"));
        CPPUNIT_ASSERT(has_line(text, "artifacts_seals_total{store=\"filesystem\"} 0"));
        CPPUNIT_ASSERT(has_line(text, "artifacts_directories_made_total{store=\"filesystem\"} 1"));
        CPPUNIT_ASSERT(has_line(text, "artifacts_archives_extracted_total{store=\"swift\"} 1"));
        CPPUNIT_ASSERT(has_line(text, "artifacts_log_pages_total 1"));
        CPPUNIT_ASSERT(has_line(text, "artifacts_log_bytes_read_total 1000"));
        CPPUNIT_ASSERT(has_line(text, "artifacts_log_bytes_rendered_total 1500"));
        CPPUNIT_ASSERT(has_line(text, "artifacts_index_pages_total{format=\"json\"} 1"));
        CPPUNIT_ASSERT(has_line(text, "artifacts_index_pages_total{format=\"html\"} 0"));
        CPPUNIT_ASSERT(has_line(text, "artifacts_counters_start_time_seconds 1700000000"));
        CPPUNIT_ASSERT(has_line(text, "# TYPE artifacts_files_stored_total counter"));
        CPPUNIT_ASSERT(text.find("code=\"other\"") == std::string::npos);  // nothing counted there
        CPPUNIT_ASSERT_EQUAL(std::string("3 files stored (157 bytes), 0 uploads refused, 1 seals, 1 log pages, "
                                         "1 index pages"),
                             status_summary(attached.block()));
    }

    void histogram_buckets_are_cumulative() {
        AttachedBlock attached;
        record_backend_request(Backend::Catalogue, 0.0002, false);  // first bucket
        record_backend_request(Backend::Catalogue, 0.003, false);   // le 0.005
        record_backend_request(Backend::Catalogue, 0.005, true);    // on a bound: le 0.005
        record_backend_request(Backend::Catalogue, 60, true);       // +Inf
        const std::string text = render_prometheus(attached.block());
        const std::string bucket = "artifacts_backend_request_duration_seconds_bucket{backend=\"catalogue\",le=";
        CPPUNIT_ASSERT(has_line(text, bucket + "\"0.0005\"} 1"));
        CPPUNIT_ASSERT(has_line(text, bucket + "\"0.0025\"} 1"));
        CPPUNIT_ASSERT(has_line(text, bucket + "\"0.005\"} 3"));
        CPPUNIT_ASSERT(has_line(text, bucket + "\"5\"} 3"));
        CPPUNIT_ASSERT(has_line(text, bucket + "\"+Inf\"} 4"));
        CPPUNIT_ASSERT(has_line(text, "artifacts_backend_request_duration_seconds_count{backend=\"catalogue\"} 4"));
        CPPUNIT_ASSERT(
            has_line(text, "artifacts_backend_request_duration_seconds_sum{backend=\"catalogue\"} 60.008200"));
        CPPUNIT_ASSERT(has_line(text, "artifacts_backend_errors_total{backend=\"catalogue\"} 2"));
        CPPUNIT_ASSERT(has_line(text, "artifacts_backend_request_duration_seconds_count{backend=\"swift\"} 0"));
    }

    void label_values_are_escaped() {
        AttachedBlock attached;
        record_stored_file(StoreLabel::Filesystem, "a\"b\\c\nd", 1);
        const std::string text = render_prometheus(attached.block());
        CPPUNIT_ASSERT(has_line(text, "artifacts_files_stored_total{store=\"filesystem\",kind=\"a\\\"b\\\\c\\nd\"} 1"));
    }

    void connections_are_opened_minus_closed() {
        AttachedBlock attached;
        record_connection(Backend::Swift, true);
        record_connection(Backend::Swift, true);
        record_connection(Backend::Swift, false);
        record_connection(Backend::Catalogue, false);  // opened before the block: never below zero
        const std::string text = render_prometheus(attached.block());
        CPPUNIT_ASSERT(has_line(text, "artifacts_backend_connections{backend=\"swift\"} 1"));
        CPPUNIT_ASSERT(has_line(text, "artifacts_backend_connections{backend=\"catalogue\"} 0"));
        CPPUNIT_ASSERT(has_line(text, "artifacts_backend_connections_opened_total{backend=\"swift\"} 2"));
    }

    // What httpd's children do: one block in shared memory, counted into by processes at once.
    void forked_processes_add_up() {
        void* memory = mmap(nullptr, sizeof(Counters), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        CPPUNIT_ASSERT(memory != MAP_FAILED);
        Counters* block = make_counters(memory, 0);
        attach(block);
        constexpr int kChildren = 4;
        constexpr int kEach = 20000;
        pid_t children[kChildren];
        for (pid_t& child : children) {
            child = fork();
            if (child == 0) {
                for (int i = 0; i < kEach; ++i) {
                    record_stored_file(StoreLabel::Swift, i % 2 == 0 ? "logs" : "tarballs", 3);
                    record_refusal(i % 3 == 0 ? "sealed" : "exists");
                }
                _exit(0);
            }
        }
        for (const pid_t child : children) {
            int status = 0;
            waitpid(child, &status, 0);
            CPPUNIT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        attach(nullptr);
        const std::string text = render_prometheus(*block);
        munmap(memory, sizeof(Counters));
        const int half = kChildren * kEach / 2;
        CPPUNIT_ASSERT(
            has_line(text, "artifacts_files_stored_total{store=\"swift\",kind=\"logs\"} " + std::to_string(half)));
        CPPUNIT_ASSERT(has_line(
            text, "artifacts_bytes_stored_total{store=\"swift\",kind=\"tarballs\"} " + std::to_string(half * 3)));
        const int sealed = kChildren * ((kEach + 2) / 3);
        CPPUNIT_ASSERT(has_line(text, "artifacts_refusals_total{code=\"sealed\"} " + std::to_string(sealed)));
        CPPUNIT_ASSERT(
            has_line(text, "artifacts_refusals_total{code=\"exists\"} " + std::to_string(kChildren * kEach - sealed)));
    }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MetricsTest);
