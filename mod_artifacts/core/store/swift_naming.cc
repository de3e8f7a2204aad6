#include "swift_naming.h"

#include <cstdio>

#include "../codec/digest.h"
#include "../codec/escape.h"

namespace artifacts {

std::string shard_container(std::string_view base, unsigned shards, std::string_view path) {
    if (shards < 2) {
        return std::string(base);
    }
    const std::size_t slash = path.rfind('/');
    const std::string_view directory = slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
    Sha256 sha;
    sha.update(directory);
    const std::string digest = sha.hex_digest();
    const unsigned long long bucket = std::stoull(digest.substr(0, 15), nullptr, 16) % shards;
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "-%03llu", bucket);
    return std::string(base) + suffix;
}

std::string swift_object_path(std::string_view account_path, std::string_view container, std::string_view object) {
    std::string out(account_path);
    out += '/';
    append_url_encoded_segment(out, container);
    out += '/';
    append_url_encoded_path(out, object);
    return out;
}

std::string swift_object_raw_path(std::string_view account_path, std::string_view container, std::string_view object) {
    std::string out(account_path);
    out += '/';
    out += container;
    out += '/';
    out += object;
    return out;
}

std::string temp_url_query(std::string_view key, std::string_view method, std::int64_t expires,
                           std::string_view raw_path) {
    const std::string expiry = std::to_string(expires);
    std::string body(method);
    body += '\n';
    body += expiry;
    body += '\n';
    body += raw_path;
    return "temp_url_sig=" + hex_encode(hmac_sha256(key, body)) + "&temp_url_expires=" + expiry;
}

}  // namespace artifacts
