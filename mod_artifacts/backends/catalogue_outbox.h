// The outbox in the catalogue (ArtifactsNotify with ArtifactsStore swift): the rows of table
// `outbox` are written in the transaction that commits what they tell of, so an event exists
// exactly when its commit does, whichever server made it; the delivery processes of every
// server that shares the catalogue take due rows with a short lease and send them.
#pragma once

#include <vector>

#include "catalogue.h"
#include "fs_outbox.h"

namespace artifacts {

// In the caller's transaction.
void insert_outbox(MySqlConnection& connection, const std::vector<OutboxRecord>& records);

class CatalogueOutbox final : public Outbox {
public:
    explicit CatalogueOutbox(Catalogue& catalogue) : catalogue_(catalogue) {}
    // Due rows only (their next attempt has come), by id.
    std::vector<std::pair<std::string, OutboxRecord>> list(std::size_t max,
                                                           std::vector<std::string>* damaged) const override;
    bool claim(const std::string& name, const OutboxRecord& record, std::int64_t now,
               std::int64_t lease) const override;
    void replace(const std::string& name, const OutboxRecord& record) const override;
    void remove(const std::string& name) const override;
    bool shared() const override { return true; }

private:
    Catalogue& catalogue_;
};

}  // namespace artifacts
