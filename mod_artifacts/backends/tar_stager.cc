#include "tar_stager.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <memory>
#include <set>

#include "../core/index/index_model.h"
#include "../core/policy/path_policy.h"
#include "../core/policy/upload_policy.h"

namespace artifacts {

namespace {

struct ReadContext {
    const ArchiveSource* source;
    std::exception_ptr failure;
};

la_ssize_t read_callback(struct archive*, void* data, const void** buffer) {
    auto* context = static_cast<ReadContext*>(data);
    try {
        const std::string_view piece = (*context->source)();
        *buffer = piece.data();
        return static_cast<la_ssize_t>(piece.size());
    } catch (...) {
        context->failure = std::current_exception();
        return -1;
    }
}

Refusal bad_archive(std::string message) {
    return {400, "bad_archive", std::move(message)};
}

std::string_view describe_type(mode_t type) {
    switch (type) {
    case AE_IFLNK: return "a symbolic link";
    case AE_IFCHR: return "a character device";
    case AE_IFBLK: return "a block device";
    case AE_IFIFO: return "a FIFO";
    case AE_IFSOCK: return "a socket";
    default: return "not a regular file";
    }
}

// The member's path relative to the archive's directory, or a refusal.
std::optional<Refusal> member_path(std::string_view raw, std::string& out) {
    std::string_view name = raw;
    if (name.substr(0, 2) == "./") {
        name.remove_prefix(2);
    }
    if (!name.empty() && name.front() == '/') {
        return bad_archive("member '" + std::string(raw) + "' has an absolute path");
    }
    if (const PathProblem problem = check_storable_path(name); problem != PathProblem::None) {
        return bad_archive("member '" + std::string(raw) + "': " + std::string(describe(problem)));
    }
    if (names_temporary_file(name)) {
        return bad_archive("member '" + std::string(raw) + "' uses a reserved name");
    }
    out.assign(name);
    return std::nullopt;
}

struct ArchiveDamaged : std::runtime_error {
    explicit ArchiveDamaged(const char* what) : std::runtime_error(what != nullptr ? what : "unreadable") {}
};
struct MemberTooLarge {};

void discard_all(const FsStore& store, StagedArchive& result) noexcept {
    for (StagedFile& file : result.files) {
        discard(store, file);
    }
    result.files.clear();
    store.remove_empty_directories(result.created_directories);
    result.created_directories.clear();
}

// Appends `count` zero bytes: the holes of a sparse member, which libarchive leaves out.
void write_zeros(FileWriter& writer, std::uint64_t count, std::uint64_t max_file_size) {
    static const std::string kZeros(64 * 1024, '\0');
    if (writer.size() + count > max_file_size) {
        throw MemberTooLarge();
    }
    while (count > 0) {
        const std::size_t piece = static_cast<std::size_t>(std::min<std::uint64_t>(count, kZeros.size()));
        writer.write(std::string_view(kZeros).substr(0, piece));
        count -= piece;
    }
}

// Writes the member's bytes as they are in the archive's files: a sparse member (GNU or
// PAX) arrives as blocks at offsets, with its holes and any hole at its end as zeros.
void stage_member(const FsStore& store, struct archive* reader, struct archive_entry* entry, const std::string& path,
                  std::uint64_t max_file_size, StagedArchive& result) {
    const std::size_t slash = path.rfind('/');
    const std::string parent = slash == std::string::npos ? "" : path.substr(0, slash + 1);
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    auto directory = std::make_shared<const UniqueFd>(store.open_directory(parent, &result.created_directories));
    FileWriter writer(store, std::move(directory), parent, name);
    const void* block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    for (;;) {
        const int status = archive_read_data_block(reader, &block, &size, &offset);
        if (status == ARCHIVE_EOF) {
            break;
        }
        if (status != ARCHIVE_OK && status != ARCHIVE_WARN) {
            throw ArchiveDamaged(archive_error_string(reader));
        }
        if (offset < 0 || static_cast<std::uint64_t>(offset) < writer.size()) {
            throw ArchiveDamaged("a sparse member's blocks overlap");
        }
        write_zeros(writer, static_cast<std::uint64_t>(offset) - writer.size(), max_file_size);
        if (writer.size() + size > max_file_size) {
            throw MemberTooLarge();
        }
        writer.write(std::string_view(static_cast<const char*>(block), size));
    }
    const la_int64_t declared = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0;
    if (declared > 0 && static_cast<std::uint64_t>(declared) > writer.size()) {
        write_zeros(writer, static_cast<std::uint64_t>(declared) - writer.size(), max_file_size);
    }
    StagedFile staged = writer.finish(false);  // the caller makes the archive durable at once (sync_all)
    staged.directory_fd.reset();               // an archive may hold more files than a process may keep open
    result.files.push_back(std::move(staged));
}

// "x.txt" and "x.txt/y" in one archive: a name cannot be a file and a directory.
std::optional<Refusal> file_and_directory(const std::string& member, const std::string& raw,
                                          const std::set<std::string>& files, std::set<std::string>& directories) {
    if (directories.count(member) != 0) {
        return bad_archive("member '" + raw + "' is a file, but other members are below it");
    }
    for (std::size_t slash = member.find('/'); slash != std::string::npos; slash = member.find('/', slash + 1)) {
        const std::string parent = member.substr(0, slash);
        if (files.count(parent) != 0) {
            return bad_archive("member '" + raw + "' lies below '" + parent + "', which is a file of the archive");
        }
        directories.insert(parent);
    }
    return std::nullopt;
}

// Reads every member; on a refusal sets result.refusal and stops.
void read_members(const FsStore& store, std::string_view directory, struct archive* reader, const MemberCheck& check,
                  std::uint64_t max_file_size, std::size_t max_members, StagedArchive& result) {
    std::set<std::string> seen;         // the files' paths
    std::set<std::string> directories;  // every directory a file lies in
    for (;;) {
        struct archive_entry* entry = nullptr;
        const int status = archive_read_next_header(reader, &entry);
        if (status == ARCHIVE_EOF) {
            return;
        }
        if (status != ARCHIVE_OK && status != ARCHIVE_WARN) {
            throw ArchiveDamaged(archive_error_string(reader));
        }
        const char* raw_name = archive_entry_pathname(entry);
        const std::string raw = raw_name != nullptr ? raw_name : "";
        std::string member;
        if ((result.refusal = member_path(raw, member))) {
            return;
        }
        const mode_t type = archive_entry_filetype(entry);
        if (type == AE_IFDIR) {
            continue;  // directories come into being with their files
        }
        if (archive_entry_hardlink(entry) != nullptr) {
            result.refusal = bad_archive("member '" + raw + "' is a hard link");
            return;
        }
        if (type != AE_IFREG) {
            result.refusal = bad_archive("member '" + raw + "' is " + std::string(describe_type(type)));
            return;
        }
        if (!seen.insert(member).second) {
            result.refusal = bad_archive("member '" + raw + "' appears twice");
            return;
        }
        if ((result.refusal = file_and_directory(member, raw, seen, directories))) {
            return;
        }
        if (seen.size() > max_members) {
            result.refusal =
                Refusal{413, "too_large", "the archive has more than " + std::to_string(max_members) + " files"};
            return;
        }
        const la_int64_t declared = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0;
        if (declared > 0 && static_cast<std::uint64_t>(declared) > max_file_size) {
            result.refusal = file_too_large(max_file_size);
            return;
        }
        const std::string path = std::string(directory) + member;
        if (path.size() > kMaxPathBytes) {
            result.refusal = bad_archive("member '" + raw + "' makes a path longer than " +
                                         std::to_string(kMaxPathBytes) + " bytes");
            return;
        }
        if ((result.refusal = check(path, static_cast<std::uint64_t>(declared > 0 ? declared : 0)))) {
            return;
        }
        try {
            stage_member(store, reader, entry, path, max_file_size, result);
        } catch (const MemberTooLarge&) {
            result.refusal = file_too_large(max_file_size);
            return;
        }
    }
}

}  // namespace

StagedArchive stage_archive(const FsStore& store, std::string_view directory, const ArchiveSource& source,
                            const MemberCheck& check, std::uint64_t max_file_size, std::size_t max_members) {
    StagedArchive result;
    std::unique_ptr<struct archive, int (*)(struct archive*)> reader(archive_read_new(), archive_read_free);
    archive_read_support_filter_gzip(reader.get());
    archive_read_support_format_tar(reader.get());
    ReadContext context{&source, nullptr};
    try {
        if (archive_read_open(reader.get(), &context, nullptr, read_callback, nullptr) != ARCHIVE_OK) {
            throw ArchiveDamaged(archive_error_string(reader.get()));
        }
        read_members(store, directory, reader.get(), check, max_file_size, max_members, result);
    } catch (const ArchiveDamaged& e) {
        discard_all(store, result);
        if (context.failure) {
            std::rethrow_exception(context.failure);  // the source failed, not the archive
        }
        result.refusal = bad_archive(std::string("not a readable tar or tar.gz archive: ") + e.what());
        return result;
    } catch (...) {
        discard_all(store, result);
        throw;
    }
    if (result.refusal) {
        discard_all(store, result);
    }
    return result;
}

}  // namespace artifacts
