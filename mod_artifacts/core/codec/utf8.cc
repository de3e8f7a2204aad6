#include "utf8.h"

namespace artifacts::utf8 {

namespace {

bool is_continuation(unsigned char byte) {
    return (byte & 0xC0) == 0x80;
}

}  // namespace

std::size_t decode(std::string_view text, std::size_t pos, char32_t& code_point) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    if (lead < 0x80) {
        code_point = lead;
        return 1;
    }
    std::size_t length;
    char32_t value;
    char32_t minimum;
    if ((lead & 0xE0) == 0xC0) {
        length = 2;
        value = lead & 0x1F;
        minimum = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
        length = 3;
        value = lead & 0x0F;
        minimum = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
        length = 4;
        value = lead & 0x07;
        minimum = 0x10000;
    } else {
        code_point = kReplacement;
        return 1;
    }
    if (pos + length > text.size()) {
        code_point = kReplacement;
        return 1;
    }
    for (std::size_t i = 1; i < length; ++i) {
        const auto byte = static_cast<unsigned char>(text[pos + i]);
        if (!is_continuation(byte)) {
            code_point = kReplacement;
            return 1;
        }
        value = (value << 6) | (byte & 0x3F);
    }
    if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
        code_point = kReplacement;
        return 1;
    }
    code_point = value;
    return length;
}

bool is_valid(std::string_view text) {
    for (std::size_t pos = 0; pos < text.size();) {
        char32_t code_point;
        const std::size_t used = decode(text, pos, code_point);
        if (code_point == kReplacement && used == 1 && static_cast<unsigned char>(text[pos]) >= 0x80) {
            return false;
        }
        pos += used;
    }
    return true;
}

}  // namespace artifacts::utf8
