// SHA-256, MD5 and HMAC-SHA256 (OpenSSL): content checksums of stored files, Swift's
// ETags, token signatures and Swift temp URLs.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace artifacts {

// A running digest over bytes that arrive in pieces (an upload body).
class RunningDigest {
public:
    explicit RunningDigest(const EVP_MD* algorithm);
    void update(std::string_view bytes);
    // The digest as lower-case hex digits; the object is spent afterwards.
    std::string hex_digest();

private:
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> context_;
};

class Sha256 : public RunningDigest {
public:
    Sha256() : RunningDigest(EVP_sha256()) {}
};

// Swift's ETag of an object: the MD5 of its bytes (not used for security).
class Md5 : public RunningDigest {
public:
    Md5() : RunningDigest(EVP_md5()) {}
};

// Lower-case hex digits of raw bytes.
std::string hex_encode(std::string_view bytes);
// The raw bytes of what hex_encode wrote: nullopt for anything else (an odd length, a digit
// that is not lower-case hex).
std::optional<std::string> hex_decode(std::string_view hex);

// `bytes` bytes from the kernel's random source, as hex digits: ids nobody can guess
// (a token's jti, an upload's claim owner). Throws std::runtime_error.
std::string random_hex(std::size_t bytes);

// The 32 raw bytes of HMAC-SHA256(key, message).
std::string hmac_sha256(std::string_view key, std::string_view message);

// Equal-length comparison whose time does not depend on where the bytes differ.
bool constant_time_equal(std::string_view a, std::string_view b);

// True for exactly 64 hex digits (either case).
bool is_sha256_hex(std::string_view text);

}  // namespace artifacts
