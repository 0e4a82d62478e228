#pragma once
// A raw image: guest offset = file offset. Reads and writes go straight to an IoEngine;
// discard and write-zeroes use fallocate, with written zeros as the fallback.
#include <memory>
#include <string>

#include "block/disk_image.h"
#include "block/file_io.h"
#include "block/io_engine.h"

namespace vireo {

struct RawOptions {
    Access access = Access::ReadWrite;
    CacheMode cache = CacheMode::Writeback;
    IoEngineKind engine = IoEngineKind::ThreadPool;
    bool discard = false;         // discard=unmap: pass discards to the file
    bool probed = false;          // format was guessed: refuse writes that make block 0 look like another format
};

class RawImage final : public DiskImage {
public:
    [[nodiscard]] static Result<std::unique_ptr<RawImage>> open(const std::string& path, const RawOptions& options);
    ~RawImage() override;

    uint64_t size() const override { return m_size; }
    bool read_only() const override { return m_options.access == Access::ReadOnly; }
    bool supports_discard() const override { return m_options.discard; }
    void submit(DiskRequest request, DiskCompletion done) override;
    void begin_batch() override { m_engine->begin_batch(); }
    void end_batch() override { m_engine->end_batch(); }
    int completion_fd() const override { return m_engine->completion_fd(); }
    void process_completions() override { m_engine->process_completions(); }

private:
    RawImage(UniqueFd fd, uint64_t size, uint64_t alignment, RawOptions options, std::unique_ptr<IoEngine> engine)
        : m_fd(std::move(fd))
        , m_size(size)
        , m_alignment(alignment)
        , m_options(options)
        , m_engine(std::move(engine))
    {
    }
    void submit_rw(DiskRequest& request, DiskCompletion done);
    void submit_write_zeroes(const DiskRequest& request, DiskCompletion done);
    void write_zeros(uint64_t offset, uint64_t length, DiskCompletion done);
    void fail(DiskCompletion done, int error);

    static constexpr uint64_t k_zero_buffer_size = 1 << 20;
    UniqueFd m_fd;
    uint64_t m_size;
    uint64_t m_alignment; // what O_DIRECT demands (direct_io_alignment); 1: buffered
    RawOptions m_options;
    std::unique_ptr<IoEngine> m_engine;
    std::shared_ptr<AlignedBuffer> m_zeros;
};

} // namespace vireo
