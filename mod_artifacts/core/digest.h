// SHA-256 and HMAC-SHA256 (OpenSSL): content checksums of stored files and token signatures.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

namespace artifacts {

// A running SHA-256 over bytes that arrive in pieces (an upload body).
class Sha256 {
public:
    Sha256();
    void update(std::string_view bytes);
    // The digest as 64 lower-case hex digits; the object is spent afterwards.
    std::string hex_digest();

private:
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> context_;
};

// The 32 raw bytes of HMAC-SHA256(key, message).
std::string hmac_sha256(std::string_view key, std::string_view message);

// Equal-length comparison whose time does not depend on where the bytes differ.
bool constant_time_equal(std::string_view a, std::string_view b);

// True for exactly 64 hex digits (either case).
bool is_sha256_hex(std::string_view text);

}  // namespace artifacts
