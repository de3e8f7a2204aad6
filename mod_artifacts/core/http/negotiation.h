// Reading what a client asks for: Accept, Accept-Encoding and query parameters.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace artifacts {

// ASCII letters compared without case (header tokens, media types).
bool iequals(std::string_view a, std::string_view b);

// A Content-Type without its parameters and surrounding blanks: "text/plain; charset=x"
// -> "text/plain".
std::string_view media_type_of(std::string_view content_type);

// True when Accept-Encoding allows gzip (gzip, x-gzip or *, with a q-value above 0,
// and gzip not refused explicitly). A missing header means identity only.
bool accepts_gzip(std::string_view accept_encoding);

// True when Accept ranks application/json above text/html (a JSON client), false for
// browsers and for */* clients.
bool prefers_json(std::string_view accept);

// True when Accept names text/html (or XHTML) itself with a q-value above 0: browsers.
// Clients that send only */* (curl, wget, scripts) or nothing are not asking for a page.
bool accepts_html(std::string_view accept);

// A query value as an HTML form sends it: "+" is a space, %XX a byte; a malformed escape
// stays as written.
std::string form_decode(std::string_view value);

// The value of `name` in a query string whose parameters are separated by "&" or ";"
// (mod_autoindex's ?C=N;O=D). A parameter without "=" has an empty value. Values are
// returned raw (not percent-decoded).
std::optional<std::string_view> query_parameter(std::string_view query, std::string_view name);

}  // namespace artifacts
