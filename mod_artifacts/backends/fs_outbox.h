// The outbox of events under ArtifactsStateDir/outbox: one file per event and receiver,
// written durably (a temporary file, fsync, rename, fsync of the directory) before the
// request that made the event is answered, and removed once the receiver took it. The
// delivery process reads it; the children only add to it.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "../core/events/event.h"

namespace artifacts {

class FsOutbox {
public:
    // `directory` must exist and be writable by the httpd user.
    FsOutbox(std::string directory, bool sync) : directory_(std::move(directory)), sync_(sync) {}

    // Adds a record; throws std::runtime_error when it cannot be made durable.
    void put(const OutboxRecord& record) const;
    // Replaces record `name` (its attempts and next_attempt changed).
    void replace(const std::string& name, const OutboxRecord& record) const;
    void remove(const std::string& name) const;
    // Up to `max` records, oldest first, by file name. A file that is not a record (damaged,
    // foreign) is passed over and named in `damaged`; temporary files are never listed.
    std::vector<std::pair<std::string, OutboxRecord>> list(std::size_t max, std::vector<std::string>* damaged) const;

private:
    void write(const std::string& name, const OutboxRecord& record) const;

    std::string directory_;
    bool sync_;
};

}  // namespace artifacts
