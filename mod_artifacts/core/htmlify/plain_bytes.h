// The fast path of escaping log text for a page or a JSON document: which bytes need more
// than a copy (controls, everything above ASCII, and three markup characters of the
// format), tested eight at a time without SIMD intrinsics.
#pragma once

#include <cstdint>
#include <cstring>

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

}  // namespace artifacts
