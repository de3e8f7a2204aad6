// Why an upload is refused: the HTTP status, a stable machine-readable code and a
// sentence for the person reading the job log. Rendered as the upload API's JSON error body.
#pragma once

#include <string>
#include <string_view>

namespace artifacts {

struct Refusal {
    int status = 0;
    std::string code;     // e.g. "out_of_scope"
    std::string message;  // a human sentence
};

// {"error": code, "message": message}
std::string refusal_json(const Refusal& refusal);

// A refusal raised from deep inside an operation; the request's answer.
struct Refused {
    Refusal refusal;
};

[[noreturn]] void refuse(int status, std::string code, std::string message);
// 409 exists: `path` holds other content and the token has no overwrite.
[[noreturn]] void refuse_other_content(const std::string& path);

}  // namespace artifacts
