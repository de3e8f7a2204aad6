// The outbox of events under ArtifactsStateDir/outbox: one file per event and receiver,
// written durably (a temporary file, fsync, rename, fsync of the directory) as a pending
// record before the commit it tells of, settled into an event (or removed) after it, and
// removed once the receiver took it. The delivery process reads it and settles what dead
// requests left; the children add to it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../core/events/event.h"
#include "../core/store/store.h"

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
    // Settles what requests that died between their records and their commit left; a
    // sentence for the log about each record settled.
    virtual std::vector<std::string> recover(std::int64_t now) const {
        (void)now;
        return {};
    }
};

// A pending record older than this is one a dead request left (a live one settles its own
// right after its commit).
constexpr std::int64_t kPendingGrace = 60;

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

    // Before a commit: keeps `record` durably as pending on the commit's `mark` (store.h), and
    // returns its name. A pending record is never listed: settle() makes it an event when
    // the commit happened, and removes it otherwise. Throws std::runtime_error.
    std::string stage(const OutboxRecord& record, const CommitMark& mark) const;
    // Gone: somebody settled it already; Failed: it could not be looked at or changed (it
    // stays for another try).
    enum class Settled { Kept, Dropped, Gone, Failed };
    // By the mark in the record, or by `known`, the mark it was staged with.
    Settled settle(const std::string& pending_name, const CommitMark* known = nullptr) const;
    // Settles the pending records older than `grace` seconds, which a process that died
    // between its record and its commit left, and removes its temporary files. Returns what
    // became of each (by name).
    std::vector<std::pair<std::string, Settled>> settle_abandoned(std::int64_t now, std::int64_t grace) const;
    std::vector<std::string> recover(std::int64_t now) const override;

private:
    void write(const std::string& name, const std::string& content) const;

    std::string directory_;
    bool sync_;
};

// The events of one request in the outbox under ArtifactsStateDir, kept as pending before the
// store's commit, so that no crash between the two loses one or sends one for nothing. The
// request settles them after its commit, whatever the commit did (an event for every mark
// that is there); what a dead request leaves, the delivery process settles (recover).
class PendingEvents {
public:
    PendingEvents() = default;
    PendingEvents(const PendingEvents&) = delete;
    PendingEvents& operator=(const PendingEvents&) = delete;
    ~PendingEvents() { settle(); }

    // Keeps `records` pending on `mark` (again for every commit of the request that marks
    // its own file: the members of an archive). Throws std::runtime_error when a record
    // cannot be kept (the commit must then not happen; what was kept goes when this is
    // settled).
    void stage(const FsOutbox& outbox, const std::vector<OutboxRecord>& records, const CommitMark& mark);
    bool empty() const { return pending_.empty(); }
    // Returns what could not be settled (each a sentence for the log); throws nothing.
    std::vector<std::string> settle() noexcept;

private:
    struct Pending {
        std::string name;
        OutboxRecord record;
        CommitMark mark;
    };
    std::optional<FsOutbox> outbox_;
    std::vector<Pending> pending_;
};

}  // namespace artifacts
