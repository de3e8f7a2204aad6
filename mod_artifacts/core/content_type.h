// The media type and content encoding an artifact is served with, from its name alone,
// so a 10,000-entry index needs no per-entry lookup beyond a table probe.
#pragma once

#include <string_view>

namespace artifacts {

struct ContentType {
    std::string_view media_type;  // e.g. "text/plain"
    std::string_view encoding;    // "gzip" for name.ext.gz with a known ext, else empty
};

// "job-output.txt" -> text/plain; "job-output.txt.gz" -> text/plain + gzip (what the
// module serves for it); "dist.tar.gz" -> application/x-tar + gzip; "x.gz" ->
// application/gzip; unknown -> application/octet-stream.
ContentType content_type_for(std::string_view name);

}  // namespace artifacts
