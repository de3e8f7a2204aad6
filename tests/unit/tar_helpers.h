// Makes tar archives for the unit tests with libarchive's writer, independently of the
// stager under test.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <string>
#include <vector>

namespace artifacts::testing {

struct Member {
    std::string name;
    std::string data;
    mode_t type = AE_IFREG;
    std::string link;
};

inline std::string make_tar(const std::vector<Member>& members, bool gzip) {
    std::vector<char> buffer(1 << 20);
    size_t used = 0;
    archive* writer = archive_write_new();
    archive_write_set_format_pax_restricted(writer);
    if (gzip) {
        archive_write_add_filter_gzip(writer);
    }
    archive_write_open_memory(writer, buffer.data(), buffer.size(), &used);
    for (const Member& member : members) {
        archive_entry* entry = archive_entry_new();
        archive_entry_set_pathname(entry, member.name.c_str());
        archive_entry_set_filetype(entry, member.type);
        archive_entry_set_perm(entry, 0644);
        archive_entry_set_size(entry, member.type == AE_IFREG ? static_cast<la_int64_t>(member.data.size()) : 0);
        if (member.type == AE_IFLNK) {
            archive_entry_set_symlink(entry, member.link.c_str());
        } else if (!member.link.empty()) {
            archive_entry_set_hardlink(entry, member.link.c_str());
        }
        archive_write_header(writer, entry);
        if (member.type == AE_IFREG && member.link.empty()) {
            archive_write_data(writer, member.data.data(), member.data.size());
        }
        archive_entry_free(entry);
    }
    archive_write_close(writer);
    archive_write_free(writer);
    return std::string(buffer.data(), used);
}

}  // namespace artifacts::testing
