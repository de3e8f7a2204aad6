// Where an artifact lives in Swift and how its URLs are written: container shards,
// percent-encoded object paths, and temp URLs for ArtifactsSwiftServe redirect.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace artifacts {

// The container for `path` (relative, no leading '/'): `base` itself with fewer than two
// shards, else base + "-" + a shard number chosen by a hash of the path's directory, so
// the files of one directory share a container.
std::string shard_container(std::string_view base, unsigned shards, std::string_view path);

// The twin of a container: where an overwrite puts its bytes when the object it replaces
// is in the container itself.
constexpr std::string_view kOverwriteContainerSuffix = "-overwrites";

// The longest base name ArtifactsSwiftContainer takes: Swift's limit (256 bytes) less a
// shard suffix ("-999") and the twin's suffix.
constexpr std::size_t kMaxBaseContainerName = 256 - 4 - kOverwriteContainerSuffix.size();

// "/v1/AUTH_x" + "/" + container + "/" + object, every segment percent-encoded, "/" kept
// in the object name.
std::string swift_object_path(std::string_view account_path, std::string_view container, std::string_view object);

// The same path unencoded: what a temp URL's signature covers.
std::string swift_object_raw_path(std::string_view account_path, std::string_view container, std::string_view object);

// The query of a temp URL ("temp_url_sig=...&temp_url_expires=...") for `method` on the
// object at `raw_path`, valid until `expires` (Unix seconds): HMAC-SHA256 with the
// account's X-Account-Meta-Temp-URL-Key, which Swift's tempurl middleware accepts.
std::string temp_url_query(std::string_view key, std::string_view method, std::int64_t expires,
                           std::string_view raw_path);

}  // namespace artifacts
