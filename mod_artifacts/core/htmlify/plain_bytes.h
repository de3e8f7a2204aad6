// Escaping log text for a page or a JSON document: which bytes need more than a copy
// (controls, everything above ASCII, and three markup characters of the format), tested
// eight at a time without SIMD intrinsics, and the loop that copies the runs between them.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "../codec/utf8.h"

namespace artifacts {

// A byte table: true for a control (tab too when `tab_special`), 0x7F and above, and A, B, C.
template <char A, char B, char C, bool tab_special>
struct SpecialBytes {
    bool table[256] = {};
    constexpr SpecialBytes() {
        for (int byte = 0; byte < 0x20; ++byte) {
            table[byte] = tab_special || byte != '\t';
        }
        for (int byte = 0x7F; byte < 256; ++byte) {
            table[byte] = true;
        }
        table[static_cast<unsigned char>(A)] = true;
        table[static_cast<unsigned char>(B)] = true;
        table[static_cast<unsigned char>(C)] = true;
    }
};

// True when none of the eight bytes at p is a control, 0x7F or above, or A, B, C.
template <char A, char B, char C>
inline bool all_plain(const char* p) {
    std::uint64_t word;
    std::memcpy(&word, p, sizeof word);
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
    const auto has_zero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
    const std::uint64_t special = ((word - 0x20 * kOnes) | word | (word + 0x01 * kOnes)) & kHigh;
    return (special | has_zero(word ^ (static_cast<unsigned char>(A) * kOnes)) |
            has_zero(word ^ (static_cast<unsigned char>(B) * kOnes)) |
            has_zero(word ^ (static_cast<unsigned char>(C) * kOnes))) == 0;
}

// Appends `text` to `out`: runs of plain bytes copied, valid UTF-8 sequences copied,
// `replacement` for each byte of invalid UTF-8, and `escape(out, byte)` for every other
// byte the table marks (an ASCII control or markup character).
template <char A, char B, char C, bool tab_special, typename Out, typename Escape>
void append_escaped(Out& out, std::string_view text, const SpecialBytes<A, B, C, tab_special>& special,
                    std::string_view replacement, Escape&& escape) {
    const char* p = text.data();
    const char* const end = p + text.size();
    while (p < end) {
        const char* run = p;
        while (end - p >= 8 && all_plain<A, B, C>(p)) {
            p += 8;
        }
        while (p < end && !special.table[static_cast<unsigned char>(*p)]) {
            ++p;
        }
        out.append(run, p);
        if (p == end) {
            return;
        }
        const auto byte = static_cast<unsigned char>(*p);
        if (byte >= 0x80) {
            char32_t code_point;
            const std::size_t used = utf8::decode(text, static_cast<std::size_t>(p - text.data()), code_point);
            if (code_point == utf8::kReplacement && used == 1) {
                out.append(replacement);
            } else {
                out.append(std::string_view(p, used));
            }
            p += used;
            continue;
        }
        escape(out, byte);
        ++p;
    }
}

}  // namespace artifacts
