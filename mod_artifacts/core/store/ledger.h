// The token ledger: what each token (by jti) has stored so far and whether it is sealed.
// Quotas are lifetime quotas, so every server that accepts a token must see the same
// ledger: under ArtifactsStateDir on one host (backends/fs_ledger), in the catalogue
// for many.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace artifacts {

struct LedgerUsage {
    std::uint64_t bytes = 0;
    std::uint64_t files = 0;
    std::int64_t sealed_at = 0;  // Unix seconds; 0 while the token is open
};

// One token's record, held exclusively from open() until destruction, so that checking
// a quota and publishing a file are one step for every process and server.
// The ledger cannot be read or written (a full or read-only state directory, a database
// away): uploads answer 503 and store nothing.
class LedgerUnavailable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Another request held the record too long (a shared ledger's lock wait or deadlock):
// trying again may succeed.
class LedgerBusy : public LedgerUnavailable {
public:
    using LedgerUnavailable::LedgerUnavailable;
};

class LedgerEntry {
public:
    virtual ~LedgerEntry() = default;
    virtual LedgerUsage usage() const = 0;
    // Records a change; durable once commit() returns. Without commit nothing changes.
    virtual void charge(std::uint64_t bytes, std::uint64_t files) = 0;
    // Gives back what an earlier charge reserved: an upload to Swift reserves its size
    // before it sends a byte, and returns what it did not use (all of it when it failed).
    virtual void release(std::uint64_t bytes, std::uint64_t files) = 0;
    virtual void seal(std::int64_t when) = 0;
    virtual void commit() = 0;
};

// What a ledger keeps of a token beyond its usage, for artifacts-prune: its scope and
// expiry, written with the record the first time a request holding the token makes it.
struct TokenFacts {
    std::string jti;
    std::string scope;
    std::int64_t expires_at = 0;  // Unix seconds
};

class Ledger {
public:
    virtual ~Ledger() = default;
    // Waits for the record of `jti` (a new token has an empty one). Throws LedgerUnavailable.
    virtual std::unique_ptr<LedgerEntry> open(std::string_view jti) = 0;
    // The usage without taking the lock, for the cheap early checks before a body is read.
    virtual LedgerUsage peek(std::string_view jti) = 0;
};

}  // namespace artifacts
