// Delivers the outbox's due events (ArtifactsNotify): each record is POSTed to its receiver
// with its signature and idempotency key; a 2xx removes it, anything else (an error status,
// no answer, a timeout) sets its next attempt further away, and a record past
// kEventLifetime is given up. Run by the one delivery process of a server, never by a child
// serving requests, so no upload ever waits for a receiver.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fs_outbox.h"
#include "http_exchange.h"

namespace artifacts {

// A receiver the configuration names: records for any other URL are not sent.
struct NotifyTarget {
    std::string url;
};

struct DeliveryLimits {
    long connect_timeout_ms = 2000;
    long stall_timeout_s = 10;  // a receiver silent this long is a failed attempt
    std::size_t batch = 64;     // records looked at per round
};

// One round. `log(level, message)`: level 0 notice (delivered late, given up), 1 warning.
struct DeliveryRound {
    unsigned delivered = 0;
    unsigned failed = 0;
    unsigned given_up = 0;
    unsigned pending = 0;  // records left for a later round
};
DeliveryRound deliver_due(const Outbox& outbox, const std::vector<NotifyTarget>& targets, CurlPool& curl,
                          std::int64_t now, const DeliveryLimits& limits,
                          const std::function<void(int level, const std::string& message)>& log);

}  // namespace artifacts
