// A std::pmr memory resource backed by an APR pool: request-lifetime C++ containers
// allocate from the request pool and are released with it, all at once.
#pragma once

#include <apr_pools.h>

#include <cstdint>
#include <memory_resource>
#include <new>

namespace artifacts::httpd {

class PoolResource final : public std::pmr::memory_resource {
public:
    explicit PoolResource(apr_pool_t* pool) : pool_(pool) {}

private:
    void* do_allocate(std::size_t bytes, std::size_t alignment) override {
        // apr_palloc aligns to 8 bytes; over-allocate for anything stricter.
        const std::size_t extra = alignment > 8 ? alignment : 0;
        void* block = apr_palloc(pool_, bytes + extra);
        if (block == nullptr) {
            throw std::bad_alloc();
        }
        if (extra == 0) {
            return block;
        }
        const auto address = reinterpret_cast<std::uintptr_t>(block);
        return reinterpret_cast<void*>((address + alignment - 1) & ~(static_cast<std::uintptr_t>(alignment) - 1));
    }
    void do_deallocate(void*, std::size_t, std::size_t) override {}
    bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override { return this == &other; }

    apr_pool_t* pool_;
};

}  // namespace artifacts::httpd
