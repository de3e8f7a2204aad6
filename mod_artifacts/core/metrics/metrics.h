// The module's counters: what it stored, refused, rendered, and how its backends answered.
// One fixed-layout block of lock-free 64-bit atomics, so that it can live in memory shared
// by every httpd child (the module places it there; see httpd/metrics_handler.cc) and
// every child's counts add up. Until a block is attached, a process counts into its own
// (the tools, the unit tests). Rendered in the Prometheus text exposition format.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

namespace artifacts::metrics {

static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "shared counters need lock-free atomics");
static_assert(std::atomic<std::uint32_t>::is_always_lock_free, "shared counters need lock-free atomics");

enum class StoreLabel : unsigned { Filesystem, Swift, Count };
enum class Backend : unsigned { Catalogue, Swift, Count };
enum class IndexFormat : unsigned { Html, Json, Count };

constexpr std::size_t kStores = static_cast<std::size_t>(StoreLabel::Count);
constexpr std::size_t kBackends = static_cast<std::size_t>(Backend::Count);
constexpr std::size_t kIndexFormats = static_cast<std::size_t>(IndexFormat::Count);

// Upper bounds (seconds) of the backend latency histogram's buckets; +Inf follows.
constexpr std::array<double, 12> kLatencyBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                    0.05,   0.1,   0.25,   0.5,   1.0,  5.0};

// Label values met at run time (kind names, refusal codes): a bounded table any child may
// add to. A name past the last slot, or longer than a slot holds, counts as "other".
struct LabelTable {
    static constexpr std::size_t kSlots = 64;
    static constexpr std::size_t kOther = kSlots;  // the index of "other"
    static constexpr std::size_t kNameBytes = 47;
    struct Slot {
        std::atomic<std::uint32_t> state;  // 0 free, 1 being written, 2 named
        char name[kNameBytes + 1];
    };
    Slot slots[kSlots];

    // The slot named `name`, claimed when no slot is (two children claiming the same new
    // name at once may each get one; rendering adds them up).
    std::size_t index(std::string_view name);
};

struct Histogram {
    std::atomic<std::uint64_t> buckets[kLatencyBuckets.size() + 1];  // not cumulative; last is +Inf
    std::atomic<std::uint64_t> sum_microseconds;
};

using Counter = std::atomic<std::uint64_t>;

struct Counters {
    std::uint64_t layout;      // kLayout of the build that made the block
    std::uint64_t created_at;  // Unix seconds
    LabelTable kinds;
    LabelTable codes;
    Counter files_stored[kStores][LabelTable::kSlots + 1];  // by store, then kind slot
    Counter bytes_stored[kStores][LabelTable::kSlots + 1];
    Counter directories_made[kStores];
    Counter archives_extracted[kStores];
    Counter seals[kStores];
    Counter refusals[LabelTable::kSlots + 1];  // by code slot
    Histogram backend_latency[kBackends];
    Counter backend_errors[kBackends];
    Counter connections_opened[kBackends];
    Counter connections_closed[kBackends];
    Counter log_pages;
    Counter log_bytes_read;      // of log, decoded
    Counter log_bytes_rendered;  // of HTML sent on
    Counter index_pages[kIndexFormats];
};

// Changes whenever Counters does, so a block made by another build is never reused.
constexpr std::uint64_t kLayout = 0x4152544d00000000ULL | sizeof(Counters);

// Zeroes `memory` (at least sizeof(Counters), suitably aligned) and makes a block there.
Counters* make_counters(void* memory, std::uint64_t now);

// Where the process counts from now on; nullptr goes back to the process's own block.
void attach(Counters* shared);
Counters& counters();

// What the module records.
void record_stored_file(StoreLabel store, std::string_view kind, std::uint64_t bytes);
void record_directory(StoreLabel store);
void record_archive(StoreLabel store);
void record_seal(StoreLabel store);
void record_refusal(std::string_view code);
void record_backend_request(Backend backend, double seconds, bool failed);
void record_connection(Backend backend, bool opened);
void record_log_page(std::uint64_t bytes_read, std::uint64_t bytes_rendered);
void record_index_page(IndexFormat format);

// Times a backend request from construction to destruction; a request left by an
// exception counts as failed.
class TimedRequest {
public:
    explicit TimedRequest(Backend backend)
        : backend_(backend), started_(std::chrono::steady_clock::now()), exceptions_(std::uncaught_exceptions()) {}
    ~TimedRequest() {
        const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started_;
        record_backend_request(backend_, elapsed.count(), std::uncaught_exceptions() > exceptions_);
    }
    TimedRequest(const TimedRequest&) = delete;
    TimedRequest& operator=(const TimedRequest&) = delete;

private:
    Backend backend_;
    std::chrono::steady_clock::time_point started_;
    int exceptions_;
};

// The Prometheus text exposition format (version 0.0.4) of `block`.
std::string render_prometheus(const Counters& block);

// One line for mod_status's page: uploads, bytes, refusals, seals, pages.
std::string status_summary(const Counters& block);

}  // namespace artifacts::metrics
