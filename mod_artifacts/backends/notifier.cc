#include "notifier.h"

#include <random>

#include "../core/codec/digest.h"

namespace artifacts {

namespace {

unsigned jitter() {
    static std::mt19937 generator{std::random_device{}()};
    return generator() % 1000;
}

const NotifyTarget* target_for(const std::vector<NotifyTarget>& targets, const std::string& url) {
    for (const NotifyTarget& target : targets) {
        if (target.url == url) {
            return &target;
        }
    }
    return nullptr;
}

}  // namespace

DeliveryRound deliver_due(const Outbox& outbox, const std::vector<NotifyTarget>& targets, CurlPool& curl,
                          std::int64_t now, const DeliveryLimits& limits,
                          const std::function<void(int level, const std::string& message)>& log) {
    DeliveryRound round;
    for (const std::string& sentence : outbox.recover(now)) {
        log(0, sentence);
    }
    std::vector<std::string> damaged;
    for (auto& [name, record] : outbox.list(limits.batch, &damaged)) {
        const NotifyTarget* target = target_for(targets, record.url);
        if (target == nullptr && outbox.shared()) {
            continue;  // another server's receiver
        }
        if (target == nullptr) {
            log(1, "event " + record.event_id + " is for " + record.url +
                       ", which ArtifactsNotify no longer names: given up");
            outbox.remove(name);
            ++round.given_up;
            continue;
        }
        if (record.next_attempt > now) {
            ++round.pending;
            continue;
        }
        // Long enough for the attempt (connect and stall timeouts), and not a second more.
        if (!outbox.claim(name, record, now, 2 * limits.stall_timeout_s + limits.connect_timeout_ms / 1000 + 5)) {
            continue;  // another delivery process took it
        }
        HttpRequest request;
        request.method = "POST";
        request.url = record.url;
        request.body = record.body;
        request.headers = {{"Content-Type", "application/json"},
                           {"User-Agent", "mod_artifacts"},
                           {"X-Artifacts-Event", record.kind},
                           {"X-Artifacts-Event-Id", record.event_id},
                           {"X-Artifacts-Delivery", std::to_string(record.attempts + 1)},
                           {"X-Artifacts-Signature", record.signature}};
        request.connect_timeout_ms = limits.connect_timeout_ms;
        request.stall_timeout_s = limits.stall_timeout_s;
        std::string failure;
        try {
            const HttpResponse response = curl.perform(request);
            if (response.status >= 200 && response.status < 300) {
                outbox.remove(name);
                ++round.delivered;
                if (record.attempts > 0) {
                    log(0, "event " + record.event_id + " delivered to " + record.url + " at attempt " +
                               std::to_string(record.attempts + 1));
                }
                continue;
            }
            failure = "HTTP " + std::to_string(response.status);
        } catch (const std::exception& error) {
            failure = error.what();
        }
        ++round.failed;
        ++record.attempts;
        if (now - record.created > kEventLifetime) {
            log(1, "event " + record.event_id + " to " + record.url + " given up after " +
                       std::to_string(record.attempts) + " attempts (" + failure + ")");
            outbox.remove(name);
            ++round.given_up;
            continue;
        }
        record.next_attempt = now + retry_delay(record.attempts, jitter());
        log(1, "event " + record.event_id + " to " + record.url + " failed (" + failure + "), attempt " +
                   std::to_string(record.attempts) + "; next in " + std::to_string(record.next_attempt - now) + " s");
        outbox.replace(name, record);
        ++round.pending;
    }
    for (const std::string& name : damaged) {
        log(1, "outbox file " + name + " is not an event record: removed");
        outbox.remove(name);
    }
    return round;
}

}  // namespace artifacts
