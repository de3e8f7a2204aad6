#include "refusal.h"

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

}  // namespace artifacts
