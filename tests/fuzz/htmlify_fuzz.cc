// The HTMLIFY engine on arbitrary bytes (plain or gzip, under any filter): the page is
// valid UTF-8, the log part holds no markup but the engine's own, and the output does not
// depend on where the input is split into blocks (unless the gzip data is damaged).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "../../mod_artifacts/core/htmlify/htmlify.h"
#include "../../mod_artifacts/core/codec/utf8.h"

using namespace artifacts;

namespace {

struct Outcome {
    std::string page;
    HtmlifyResult result = HtmlifyResult::Page;
    bool damaged = false;
};

Outcome run(std::string_view input, std::size_t split, const HtmlifyOptions& options) {
    Outcome outcome;
    StringSink sink;
    Htmlifier engine(options, sink, [&](HtmlifyResult decided, bool) { outcome.result = decided; });
    engine.feed(input.substr(0, split));
    engine.feed(input.substr(split));
    engine.finish();
    outcome.page = sink.str();
    outcome.damaged = !engine.damage().empty();
    return outcome;
}

// Every tag in the log part (between <ol> and the last </ol>) is one the renderer writes,
// and its unquoted attribute values hold nothing that could end or extend the tag.
bool only_own_markup(const std::string& page) {
    const std::size_t begin = page.find("<ol>");
    const std::size_t end = page.rfind("</ol>");
    if (begin == std::string::npos || end == std::string::npos || end < begin) {
        return false;
    }
    static constexpr std::string_view kOwn[] = {"<li ", "<a href=#L",  "<a id=_", "<a href=?grep=", "</a>", "</ol>",
                                                "<ol>", "<p class=m>", "</p>"};
    for (std::size_t pos = page.find('<', begin + 4); pos < end; pos = page.find('<', pos + 1)) {
        bool own = false;
        for (const std::string_view tag : kOwn) {
            own = own || page.compare(pos, tag.size(), tag) == 0;
        }
        const std::size_t close = page.find('>', pos);
        if (!own || close == std::string::npos) {
            return false;
        }
        // The one quoted value: where the line count goes on after lines left out.
        constexpr std::string_view kCount = " style=\"counter-set:l ";
        std::size_t tag_end = close;
        if (const std::size_t count = page.find(kCount, pos); count < close) {
            std::size_t digit = count + kCount.size();
            while (digit < close && page[digit] >= '0' && page[digit] <= '9') {
                ++digit;
            }
            if (digit == count + kCount.size() || page[digit] != '"') {
                return false;
            }
            tag_end = count;  // checked up to it; what follows the value is " id=L<n>"
            for (std::size_t i = digit + 1; i < close; ++i) {
                const char c = page[i];
                if (!((c >= '0' && c <= '9') || c == ' ' || c == '=' || c == 'i' || c == 'd' || c == 'L')) {
                    return false;
                }
            }
        }
        for (std::size_t i = pos + 1; i < tag_end; ++i) {
            const char c = page[i];
            const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' ||
                              c == '=' || c == '#' || c == '?' || c == '_' || c == '-' || c == '/';
            if (!safe) {
                return false;
            }
        }
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    HtmlifyOptions options;
    const std::uint8_t control = data[0];
    if (control & 0x01) {
        options.min_level = static_cast<Level>(1 + (control >> 1) % 7);
    }
    if (control & 0x10) {
        options.grep = "req-";
    }
    if (control & 0x20) {
        options.limit = 1 + (control >> 6);
    }
    const std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);
    const std::size_t split = input.empty() ? 0 : data[1] % (input.size() + 1);

    const Outcome whole = run(input, input.size(), options);
    const Outcome split_up = run(input, split, options);
    // Damaged gzip is the exception: zlib notices the damage a little earlier or later
    // depending on how much input it was given at once.
    if (!whole.damaged && !split_up.damaged && (whole.page != split_up.page || whole.result != split_up.result)) {
        std::abort();
    }
    for (const Outcome* outcome : {&whole, &split_up}) {
        if (outcome->result == HtmlifyResult::Page &&
            (!utf8::is_valid(outcome->page) || !only_own_markup(outcome->page))) {
            std::abort();
        }
    }
    return 0;
}
