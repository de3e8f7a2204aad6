#include "metrics.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <new>

namespace artifacts::metrics {

namespace {

constexpr std::uint32_t kFree = 0;
constexpr std::uint32_t kWriting = 1;
constexpr std::uint32_t kNamed = 2;

Counters& own_block() {
    alignas(Counters) static unsigned char memory[sizeof(Counters)];
    static Counters* const block = make_counters(memory, 0);
    return *block;
}

std::atomic<Counters*> attached{nullptr};

const char* const kStoreNames[kStores] = {"filesystem", "swift"};
const char* const kBackendNames[kBackends] = {"catalogue", "swift"};
const char* const kIndexFormatNames[kIndexFormats] = {"html", "json"};

void add(Counter& counter, std::uint64_t amount) {
    counter.fetch_add(amount, std::memory_order_relaxed);
}

std::uint64_t get(const Counter& counter) {
    return counter.load(std::memory_order_relaxed);
}

bool same_name(const LabelTable::Slot& slot, std::string_view name) {
    return std::strlen(slot.name) == name.size() && std::memcmp(slot.name, name.data(), name.size()) == 0;
}

// A label value as the exposition format quotes it: backslash, quote and newline escaped.
void append_label_value(std::string& out, std::string_view value) {
    for (const char c : value) {
        if (c == '\\' || c == '"') {
            out.push_back('\\');
            out.push_back(c);
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out.push_back(c);
        }
    }
}

// The values of a by-label array, summed by name (a name claimed twice counts once);
// "other" only when something was counted there.
std::map<std::string, std::uint64_t> by_name(const LabelTable& table, const Counter* values) {
    std::map<std::string, std::uint64_t> sums;
    for (std::size_t i = 0; i < LabelTable::kSlots; ++i) {
        const LabelTable::Slot& slot = table.slots[i];
        if (slot.state.load(std::memory_order_acquire) == kNamed) {
            sums[slot.name] += get(values[i]);
        }
    }
    if (const std::uint64_t other = get(values[LabelTable::kOther]); other > 0) {
        sums["other"] += other;
    }
    return sums;
}

class Writer {
public:
    explicit Writer(std::string& out) : out_(out) {}

    void family(const char* name, const char* type, const char* help) {
        out_ += "# HELP ";
        out_ += name;
        out_ += ' ';
        out_ += help;
        out_ += "\n# TYPE ";
        out_ += name;
        out_ += ' ';
        out_ += type;
        out_ += '\n';
    }

    // name{label="value",...} number; `labels` alternate names and values.
    void sample(const char* name, std::initializer_list<std::string_view> labels, std::uint64_t value) {
        start(name, labels);
        out_ += std::to_string(value);
        out_ += '\n';
    }

    void sample_seconds(const char* name, std::initializer_list<std::string_view> labels, double value) {
        start(name, labels);
        char number[64];
        std::snprintf(number, sizeof number, "%.6f", value);
        out_ += number;
        out_ += '\n';
    }

private:
    void start(const char* name, std::initializer_list<std::string_view> labels) {
        out_ += name;
        if (labels.size() > 0) {
            out_ += '{';
            bool is_name = true;
            bool first = true;
            for (const std::string_view part : labels) {
                if (is_name) {
                    if (!first) {
                        out_ += ',';
                    }
                    out_ += part;
                    out_ += "=\"";
                } else {
                    append_label_value(out_, part);
                    out_ += '"';
                }
                first = false;
                is_name = !is_name;
            }
            out_ += '}';
        }
        out_ += ' ';
    }

    std::string& out_;
};

void render_uploads(const Counters& block, Writer& out) {
    out.family("artifacts_files_stored_total", "counter",
               "Files stored by uploads (a retry of a file already stored is not counted), by store and kind.");
    for (std::size_t s = 0; s < kStores; ++s) {
        for (const auto& [kind, value] : by_name(block.kinds, block.files_stored[s])) {
            out.sample("artifacts_files_stored_total", {"store", kStoreNames[s], "kind", kind}, value);
        }
    }
    out.family("artifacts_bytes_stored_total", "counter", "Bytes of the files stored by uploads, by store and kind.");
    for (std::size_t s = 0; s < kStores; ++s) {
        for (const auto& [kind, value] : by_name(block.kinds, block.bytes_stored[s])) {
            out.sample("artifacts_bytes_stored_total", {"store", kStoreNames[s], "kind", kind}, value);
        }
    }
    const struct {
        const char* name;
        const char* help;
        const Counter* values;
    } per_store[] = {
        {"artifacts_directories_made_total", "Directories made by PUT of a path ending with '/'.",
         block.directories_made},
        {"artifacts_archives_extracted_total", "Archives extracted by POST ?extract.", block.archives_extracted},
        {"artifacts_seals_total", "Tokens sealed by POST ?seal.", block.seals},
    };
    for (const auto& family : per_store) {
        out.family(family.name, "counter", family.help);
        for (std::size_t s = 0; s < kStores; ++s) {
            out.sample(family.name, {"store", kStoreNames[s]}, get(family.values[s]));
        }
    }
    out.family("artifacts_refusals_total", "counter", "Uploads refused, by the error code of the JSON reply.");
    for (const auto& [code, value] : by_name(block.codes, block.refusals)) {
        out.sample("artifacts_refusals_total", {"code", code}, value);
    }
}

void render_backends(const Counters& block, Writer& out) {
    const char* const latency = "artifacts_backend_request_duration_seconds";
    out.family(latency, "histogram", "Time until the catalogue answered a statement, or Swift began its response.");
    for (std::size_t b = 0; b < kBackends; ++b) {
        const Histogram& histogram = block.backend_latency[b];
        std::uint64_t cumulative = 0;
        const std::string bucket = std::string(latency) + "_bucket";
        for (std::size_t i = 0; i <= kLatencyBuckets.size(); ++i) {
            cumulative += get(histogram.buckets[i]);
            char bound[32];
            if (i < kLatencyBuckets.size()) {
                std::snprintf(bound, sizeof bound, "%g", kLatencyBuckets[i]);
            } else {
                std::snprintf(bound, sizeof bound, "+Inf");
            }
            out.sample(bucket.c_str(), {"backend", kBackendNames[b], "le", bound}, cumulative);
        }
        out.sample_seconds((std::string(latency) + "_sum").c_str(), {"backend", kBackendNames[b]},
                           static_cast<double>(get(histogram.sum_microseconds)) / 1e6);
        out.sample((std::string(latency) + "_count").c_str(), {"backend", kBackendNames[b]}, cumulative);
    }
    out.family("artifacts_backend_errors_total", "counter",
               "Catalogue statements and Swift requests that failed (no answer, or a server error).");
    for (std::size_t b = 0; b < kBackends; ++b) {
        out.sample("artifacts_backend_errors_total", {"backend", kBackendNames[b]}, get(block.backend_errors[b]));
    }
    out.family("artifacts_backend_connections", "gauge",
               "Connections to the catalogue, and Swift client handles, held open by the servers' pools.");
    for (std::size_t b = 0; b < kBackends; ++b) {
        const std::uint64_t opened = get(block.connections_opened[b]);
        const std::uint64_t closed = get(block.connections_closed[b]);
        out.sample("artifacts_backend_connections", {"backend", kBackendNames[b]},
                   opened > closed ? opened - closed : 0);
    }
    out.family("artifacts_backend_connections_opened_total", "counter",
               "Connections to the catalogue, and Swift client handles, opened.");
    for (std::size_t b = 0; b < kBackends; ++b) {
        out.sample("artifacts_backend_connections_opened_total", {"backend", kBackendNames[b]},
                   get(block.connections_opened[b]));
    }
}

void render_pages(const Counters& block, Writer& out) {
    out.family("artifacts_log_pages_total", "counter", "Logs rendered as HTML pages by the HTMLIFY filter.");
    out.sample("artifacts_log_pages_total", {}, get(block.log_pages));
    out.family("artifacts_log_bytes_read_total", "counter", "Bytes of log (decoded) the HTMLIFY filter read.");
    out.sample("artifacts_log_bytes_read_total", {}, get(block.log_bytes_read));
    out.family("artifacts_log_bytes_rendered_total", "counter", "Bytes of HTML the HTMLIFY filter passed on.");
    out.sample("artifacts_log_bytes_rendered_total", {}, get(block.log_bytes_rendered));
    out.family("artifacts_index_pages_total", "counter", "Directory indexes served, by format.");
    for (std::size_t f = 0; f < kIndexFormats; ++f) {
        out.sample("artifacts_index_pages_total", {"format", kIndexFormatNames[f]}, get(block.index_pages[f]));
    }
    out.family("artifacts_counters_start_time_seconds", "gauge",
               "When these counters began (Unix seconds): they survive graceful restarts, not a stop.");
    out.sample("artifacts_counters_start_time_seconds", {}, block.created_at);
}

std::uint64_t total(const Counter (&values)[LabelTable::kSlots + 1]) {
    std::uint64_t sum = 0;
    for (const Counter& value : values) {
        sum += get(value);
    }
    return sum;
}

}  // namespace

std::size_t LabelTable::index(std::string_view name) {
    if (name.empty() || name.size() > kNameBytes) {
        return kOther;
    }
    for (std::size_t i = 0; i < kSlots; ++i) {
        Slot& slot = slots[i];
        std::uint32_t state = slot.state.load(std::memory_order_acquire);
        if (state == kNamed) {
            if (same_name(slot, name)) {
                return i;
            }
            continue;
        }
        if (state == kFree && slot.state.compare_exchange_strong(state, kWriting, std::memory_order_acquire)) {
            std::memcpy(slot.name, name.data(), name.size());
            slot.name[name.size()] = '\0';
            slot.state.store(kNamed, std::memory_order_release);
            return i;
        }
        // Being written by another child (or claimed just now): looked at no further.
    }
    return kOther;
}

Counters* make_counters(void* memory, std::uint64_t now) {
    std::memset(memory, 0, sizeof(Counters));
    auto* block = new (memory) Counters{};
    block->layout = kLayout;
    block->created_at = now;
    return block;
}

void attach(Counters* shared) {
    attached.store(shared, std::memory_order_release);
}

Counters& counters() {
    Counters* shared = attached.load(std::memory_order_acquire);
    return shared != nullptr ? *shared : own_block();
}

void record_stored_file(StoreLabel store, std::string_view kind, std::uint64_t bytes) {
    Counters& block = counters();
    const std::size_t k = block.kinds.index(kind);
    const auto s = static_cast<std::size_t>(store);
    add(block.files_stored[s][k], 1);
    add(block.bytes_stored[s][k], bytes);
}

void record_directory(StoreLabel store) {
    add(counters().directories_made[static_cast<std::size_t>(store)], 1);
}

void record_archive(StoreLabel store) {
    add(counters().archives_extracted[static_cast<std::size_t>(store)], 1);
}

void record_seal(StoreLabel store) {
    add(counters().seals[static_cast<std::size_t>(store)], 1);
}

void record_refusal(std::string_view code) {
    Counters& block = counters();
    add(block.refusals[block.codes.index(code)], 1);
}

void record_backend_request(Backend backend, double seconds, bool failed) {
    Counters& block = counters();
    const auto b = static_cast<std::size_t>(backend);
    Histogram& histogram = block.backend_latency[b];
    std::size_t i = 0;
    while (i < kLatencyBuckets.size() && seconds > kLatencyBuckets[i]) {
        ++i;
    }
    add(histogram.buckets[i], 1);
    const double microseconds = std::isfinite(seconds) && seconds > 0 ? seconds * 1e6 : 0;
    add(histogram.sum_microseconds, static_cast<std::uint64_t>(std::llround(microseconds)));
    if (failed) {
        add(block.backend_errors[b], 1);
    }
}

void record_connection(Backend backend, bool opened) {
    Counters& block = counters();
    const auto b = static_cast<std::size_t>(backend);
    add(opened ? block.connections_opened[b] : block.connections_closed[b], 1);
}

void record_log_page(std::uint64_t bytes_read, std::uint64_t bytes_rendered) {
    Counters& block = counters();
    add(block.log_pages, 1);
    add(block.log_bytes_read, bytes_read);
    add(block.log_bytes_rendered, bytes_rendered);
}

void record_index_page(IndexFormat format) {
    add(counters().index_pages[static_cast<std::size_t>(format)], 1);
}

std::string render_prometheus(const Counters& block) {
    std::string out;
    out.reserve(16384);
    Writer writer(out);
    render_uploads(block, writer);
    render_backends(block, writer);
    render_pages(block, writer);
    return out;
}

std::string status_summary(const Counters& block) {
    std::uint64_t files = 0;
    std::uint64_t bytes = 0;
    std::uint64_t seals = 0;
    for (std::size_t s = 0; s < kStores; ++s) {
        files += total(block.files_stored[s]);
        bytes += total(block.bytes_stored[s]);
        seals += get(block.seals[s]);
    }
    std::uint64_t indexes = 0;
    for (const Counter& pages : block.index_pages) {
        indexes += get(pages);
    }
    return std::to_string(files) + " files stored (" + std::to_string(bytes) + " bytes), " +
           std::to_string(total(block.refusals)) + " uploads refused, " + std::to_string(seals) + " seals, " +
           std::to_string(get(block.log_pages)) + " log pages, " + std::to_string(indexes) + " index pages";
}

}  // namespace artifacts::metrics
