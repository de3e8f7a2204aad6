// The outbox of events under ArtifactsStateDir/outbox: one file per event and receiver,
// written durably (a temporary file, fsync, rename, fsync of the directory) before the
// request that made the event is answered, and removed once the receiver took it. The
// delivery process reads it; the children only add to it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "../core/events/event.h"

namespace artifacts {

// Where events wait for their delivery: the state directory's files, or the catalogue's
// table (catalogue_outbox.h). Records are named by a key of the outbox's own.
class Outbox {
public:
    virtual ~Outbox() = default;
    // Up to `max` records, oldest first. What is not a record is named in `damaged`.
    virtual std::vector<std::pair<std::string, OutboxRecord>> list(std::size_t max,
                                                                   std::vector<std::string>* damaged) const = 0;
    // Takes a due record for this process for `lease` seconds (another server's delivery
    // process may share the outbox): false when it was taken meanwhile.
    virtual bool claim(const std::string& name, const OutboxRecord& record, std::int64_t now,
                       std::int64_t lease) const {
        (void)name, (void)record, (void)now, (void)lease;
        return true;
    }
    // Replaces record `name` (its attempts and next_attempt changed).
    virtual void replace(const std::string& name, const OutboxRecord& record) const = 0;
    virtual void remove(const std::string& name) const = 0;
    // Shared by servers whose ArtifactsNotify lines may differ: a record for a receiver this
    // server does not name is left for another, not given up.
    virtual bool shared() const { return false; }
};

class FsOutbox final : public Outbox {
public:
    // `directory` must exist and be writable by the httpd user.
    FsOutbox(std::string directory, bool sync) : directory_(std::move(directory)), sync_(sync) {}

    // Adds a record; throws std::runtime_error when it cannot be made durable.
    void put(const OutboxRecord& record) const;
    void replace(const std::string& name, const OutboxRecord& record) const override;
    void remove(const std::string& name) const override;
    // By file name; temporary files are never listed.
    std::vector<std::pair<std::string, OutboxRecord>> list(std::size_t max,
                                                           std::vector<std::string>* damaged) const override;

private:
    void write(const std::string& name, const OutboxRecord& record) const;

    std::string directory_;
    bool sync_;
};

}  // namespace artifacts
