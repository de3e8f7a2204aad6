#include "refusal.h"

#include <utility>

#include "../codec/escape.h"

namespace artifacts {

std::string refusal_json(const Refusal& refusal) {
    std::string out = "{\"error\":";
    append_json_string(out, refusal.code);
    out += ",\"message\":";
    append_json_string(out, refusal.message);
    out += "}\n";
    return out;
}

[[noreturn]] void refuse(int status, std::string code, std::string message) {
    throw Refused{Refusal{status, std::move(code), std::move(message)}};
}

[[noreturn]] void refuse_other_content(const std::string& path) {
    refuse(409, "exists", "'" + path + "' already exists with other content (the token has no overwrite)");
}

}  // namespace artifacts
