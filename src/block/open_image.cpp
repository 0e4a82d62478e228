#include "block/open_image.h"

#include <sys/stat.h>

#include <filesystem>
#include <set>

#include "base/log.h"
#include "block/file_io.h"
#include "block/qcow2/qcow2_core.h"
#include "block/qcow2/qcow2_create.h"
#include "block/qcow2/qcow2_header.h"
#include "block/qcow2/qcow2_image.h"
#include "block/raw_image.h"
#include "block/sync_image.h"

namespace vireo {

namespace {

constexpr int k_max_chain_depth = 64;

enum class Format { Raw, Qcow2 };

struct Chain {
    std::set<std::pair<dev_t, ino_t>> visited; // files already in the chain: a repeat is a loop
    int depth = 0;
    std::string top_backing;                   // the backing file the top image names
};

Result<Format> parse_format(const std::string& format, const std::string& path)
{
    if (format == "raw")
        return Format::Raw;
    if (format == "qcow2")
        return Format::Qcow2;
    return make_error("{}: unsupported image format '{}'", path, format);
}

Result<Format> probe_format(const std::string& path)
{
    FileOpenFlags flags { Access::ReadOnly };
    auto fd = TRY(open_image_file(path, flags));
    uint8_t magic[4] {};
    if (int err = pread_full(fd.get(), magic, 0); err < 0) {
        errno = -err;
        return errno_error("{}", path);
    }
    return qcow2::has_qcow2_magic(magic) ? Format::Qcow2 : Format::Raw;
}

Result<void> enter_chain(Chain& chain, const std::string& path, const std::string& child)
{
    struct stat st {};
    if (::stat(path.c_str(), &st) < 0) {
        if (child.empty())
            return errno_error("{}", path);
        return errno_error("{}: cannot open backing file {}", child, path);
    }
    if (!chain.visited.insert({ st.st_dev, st.st_ino }).second)
        return make_error("{}: backing chain loops back to {}", child, path);
    if (++chain.depth > k_max_chain_depth)
        return make_error("{}: backing chain is deeper than {} images", child, k_max_chain_depth);
    return {};
}

// A relative backing file name is relative to the directory of the image naming it.
std::string resolve_backing(const std::string& image, const std::string& backing)
{
    if (backing.empty() || backing[0] == '/')
        return backing;
    auto dir = std::filesystem::path(image).parent_path();
    return dir.empty() ? backing : (dir / backing).string();
}

// How the files of one drive are opened: O_DIRECT for cache=none/directsync (the whole backing
// chain, as QEMU does), the metadata barriers (none for cache=unsafe).
struct ChainOptions {
    bool direct = false;
    qcow2::MetadataSync sync = qcow2::MetadataSync::Barriers;
};

Result<std::unique_ptr<SyncImage>> open_member(const std::string& path, std::optional<Format> format, const std::string& child,
    Chain& chain, ChainOptions options);

Result<std::unique_ptr<qcow2::Qcow2Core>> open_qcow2(const std::string& path, Access access, bool dsync, Chain& chain,
    ChainOptions options)
{
    FileOpenFlags flags { access, options.direct, dsync };
    auto fd = TRY(open_image_file(path, flags));
    TRY(lock_image_file(fd.get(), path, access));
    auto size = TRY(file_size(fd.get()));
    auto header = TRY(qcow2::read_header(fd.get(), size, path));
    std::unique_ptr<SyncImage> backing;
    if (chain.depth == 1)
        chain.top_backing = header.backing_file;
    if (!header.backing_file.empty()) {
        auto backing_path = resolve_backing(path, header.backing_file);
        std::optional<Format> backing_format;
        if (!header.backing_format.empty())
            backing_format = TRY(parse_format(header.backing_format, backing_path));
        backing = TRY(open_member(backing_path, backing_format, path, chain, options));
    }
    return qcow2::Qcow2Core::open(std::move(fd), std::move(header), path, access, std::move(backing), options.sync);
}

// A read-only member of a backing chain (or the base of a snapshot=on overlay).
Result<std::unique_ptr<SyncImage>> open_member(const std::string& path, std::optional<Format> format, const std::string& child,
    Chain& chain, ChainOptions options)
{
    TRY(enter_chain(chain, path, child));
    if (!format)
        format = TRY(probe_format(path));
    if (*format == Format::Qcow2)
        return std::unique_ptr<SyncImage>(TRY(open_qcow2(path, Access::ReadOnly, false, chain, options)));
    FileOpenFlags flags { Access::ReadOnly, options.direct };
    auto fd = TRY(open_image_file(path, flags));
    TRY(lock_image_file(fd.get(), path, Access::ReadOnly));
    auto size = TRY(file_size(fd.get()));
    return std::unique_ptr<SyncImage>(std::make_unique<RawSyncImage>(std::move(fd), size));
}

// snapshot=on: a qcow2 overlay in an anonymous temporary file over the read-only image.
Result<std::unique_ptr<DiskImage>> open_snapshot(const DriveConfig& config, Format format, ChainOptions options,
    Chain& chain)
{
    auto base = TRY(open_member(config.file, format, "", chain, options));
    auto fd = TRY(create_temp_file());
    TRY(qcow2::create_image(fd.get(), qcow2::CreateOptions { base->size() }));
    auto size = TRY(file_size(fd.get()));
    auto header = TRY(qcow2::read_header(fd.get(), size, "snapshot overlay"));
    // The overlay is thrown away at exit: it never needs to be durable.
    auto core = TRY(qcow2::Qcow2Core::open(std::move(fd), std::move(header), config.file + " (snapshot overlay)",
        Access::ReadWrite, std::move(base), qcow2::MetadataSync::None));
    auto engine = config.aio == AioMode::Threads ? IoEngineKind::ThreadPool : IoEngineKind::IoUring;
    return std::unique_ptr<DiskImage>(TRY(qcow2::Qcow2Image::create(std::move(core), config.discard, engine)));
}

} // namespace

Result<std::unique_ptr<DiskImage>> open_disk_image(const DriveConfig& config)
{
    return TRY(open_drive_image(config)).image;
}

Result<OpenedImage> open_drive_image(const DriveConfig& config)
{
    if (config.file.empty())
        return make_error("drive {}: no file given", config.id);
    bool probed = config.format.empty();
    Format format = probed ? TRY(probe_format(config.file)) : TRY(parse_format(config.format, config.file));
    if (probed && format == Format::Raw) {
        log_warn("no format was given for '{}'; probing found no known header, so it is treated as raw. "
                 "Probing raw images is unsafe, so writes to its first sector are restricted; "
                 "give format=raw to lift the restriction.",
            config.file);
    }
    Access access = config.read_only ? Access::ReadOnly : Access::ReadWrite;
    auto flags = file_flags_for(config.cache, access);
    ChainOptions chain_options { flags.direct,
        config.cache == CacheMode::Unsafe ? qcow2::MetadataSync::None : qcow2::MetadataSync::Barriers };

    auto opened = [](std::unique_ptr<DiskImage> image, const char* format_name, int depth, std::string backing) {
        auto size = image->size();
        return OpenedImage { std::move(image), ImageFacts { format_name, size, depth, std::move(backing) } };
    };
    if (config.snapshot && access == Access::ReadWrite) {
        Chain chain;
        auto image = TRY(open_snapshot(config, format, chain_options, chain));
        return opened(std::move(image), "qcow2", chain.depth, config.file);
    }

    if (format == Format::Raw) {
        RawOptions options;
        options.access = access;
        options.cache = config.cache;
        options.engine = config.aio == AioMode::Threads ? IoEngineKind::ThreadPool : IoEngineKind::IoUring;
        options.discard = config.discard;
        options.probed = probed;
        return opened(std::unique_ptr<DiskImage>(TRY(RawImage::open(config.file, options))), "raw", 0, {});
    }
    Chain chain;
    TRY(enter_chain(chain, config.file, ""));
    auto core = TRY(open_qcow2(config.file, access, flags.dsync, chain, chain_options));
    auto engine = config.aio == AioMode::Threads ? IoEngineKind::ThreadPool : IoEngineKind::IoUring;
    auto image = std::unique_ptr<DiskImage>(TRY(qcow2::Qcow2Image::create(std::move(core), config.discard, engine)));
    return opened(std::move(image), "qcow2", chain.depth - 1, chain.top_backing);
}

} // namespace vireo
