#include "key_values.h"

namespace artifacts {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

const std::string* KeyValues::find(std::string_view key) const {
    for (const auto& [name, value] : pairs) {
        if (name == key) {
            return &value;
        }
    }
    return nullptr;
}

KeyValues parse_key_values(std::string_view text) {
    KeyValues result;
    std::size_t i = 0;
    while (true) {
        while (i < text.size() && is_space(text[i])) {
            ++i;
        }
        if (i == text.size()) {
            return result;
        }
        const std::size_t key_start = i;
        while (i < text.size() && text[i] != '=' && !is_space(text[i])) {
            ++i;
        }
        std::string key(text.substr(key_start, i - key_start));
        if (i == text.size() || text[i] != '=' || key.empty()) {
            result.error = "'" + key + "' is not key=value";
            return result;
        }
        ++i;
        std::string value;
        if (i < text.size() && text[i] == '\'') {
            ++i;
            bool closed = false;
            while (i < text.size()) {
                const char c = text[i++];
                if (c == '\'') {
                    closed = true;
                    break;
                }
                if (c == '\\' && i < text.size()) {
                    value.push_back(text[i++]);
                } else {
                    value.push_back(c);
                }
            }
            if (!closed) {
                result.error = "the quoted value of '" + key + "' has no closing quote";
                return result;
            }
        } else {
            while (i < text.size() && !is_space(text[i])) {
                value.push_back(text[i++]);
            }
        }
        for (const auto& pair : result.pairs) {
            if (pair.first == key) {
                result.error = "'" + key + "' is given twice";
                return result;
            }
        }
        result.pairs.emplace_back(std::move(key), std::move(value));
    }
}

}  // namespace artifacts
