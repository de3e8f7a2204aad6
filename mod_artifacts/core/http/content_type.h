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

// Whether `media_type` matches `pattern`: the same type (any case), or "text/*" for any
// subtype of text.
bool media_type_matches(std::string_view pattern, std::string_view media_type);

// The default of ArtifactsGzipInnerTypes: the inner types of name.ext.gz that a request for
// name.ext.gz gets as that type with Content-Encoding: gzip (decoded for clients without
// gzip), as logs.openstack.org served them; archives (.tar.gz, .tgz) stay bytes.
inline constexpr std::string_view kDefaultGzipInnerTypes[] = {"text/*", "application/json", "application/xml",
                                                              "application/javascript", "image/svg+xml"};

}  // namespace artifacts
