// Renders indexes of fuzzed entries (names are NUL-separated in the input): no name can
// open a tag in the HTML page, and the JSON document is valid UTF-8 with one object per entry.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "../../mod_artifacts/core/index/index_render.h"
#include "../../mod_artifacts/core/codec/utf8.h"

using namespace artifacts;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    IndexEntries entries;
    std::size_t start = 0;
    while (start < input.size() && entries.size() < 64) {
        std::size_t end = input.find('\0', start);
        if (end == std::string_view::npos) {
            end = input.size();
        }
        IndexEntry entry;
        entry.name.assign(input.substr(start, end - start));
        entry.is_directory = !entry.name.empty() && (entry.name[0] & 1);
        entry.size = entry.name.size() * 977;
        entry.mtime = static_cast<std::int64_t>(entry.name.size()) * 86400 * 365;
        entries.push_back(std::move(entry));
        start = end + 1;
    }
    sort_entries(entries, parse_sort_order(input.substr(0, 8)));

    StringSink html;
    render_html_index({"/fuzz/", true, {}, entries}, html);
    const std::string& page = html.str();
    std::size_t tags = 0;
    for (const char c : page) {
        tags += c == '<';
    }
    // The page's own markup has a fixed number of tags per row; a name adding one would show.
    StringSink reference;
    IndexEntries plain(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) {
        plain[i] = entries[i];
        plain[i].name = "x";
    }
    render_html_index({"/fuzz/", true, {}, plain}, reference);
    std::size_t reference_tags = 0;
    for (const char c : reference.str()) {
        reference_tags += c == '<';
    }
    if (tags != reference_tags || !utf8::is_valid(page)) {
        std::abort();
    }

    StringSink json;
    render_json_index({"/fuzz/", true, {}, entries}, json);
    if (!utf8::is_valid(json.str())) {
        std::abort();
    }
    std::size_t objects = 0;
    for (std::size_t at = json.str().find("{\"name\":"); at != std::string::npos;
         at = json.str().find("{\"name\":", at + 1)) {
        ++objects;
    }
    if (objects != entries.size()) {
        std::abort();
    }
    return 0;
}
