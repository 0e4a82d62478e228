#include "block/qcow2/qcow2_compress.h"

#include <zlib.h>
#include <zstd.h>

#include <cerrno>

namespace vireo::qcow2 {

namespace {

int inflate_raw(std::span<const uint8_t> in, std::span<uint8_t> out)
{
    z_stream stream {};
    // Negative window bits: raw deflate without a zlib header; 12 = 4 KiB window (qcow2.txt).
    if (inflateInit2(&stream, -12) != Z_OK)
        return -EIO;
    stream.next_in = const_cast<Bytef*>(in.data());
    stream.avail_in = static_cast<uInt>(in.size());
    stream.next_out = out.data();
    stream.avail_out = static_cast<uInt>(out.size());
    int ret = inflate(&stream, Z_FINISH);
    bool filled = stream.avail_out == 0;
    inflateEnd(&stream);
    // The data may end mid-sector with trailing bytes of a neighbour: a full cluster of
    // output is success whether or not the stream end was seen.
    if (filled && (ret == Z_STREAM_END || ret == Z_OK || ret == Z_BUF_ERROR))
        return 0;
    return -EIO;
}

int zstd_decompress(std::span<const uint8_t> in, std::span<uint8_t> out)
{
    ZSTD_DCtx* context = ZSTD_createDCtx();
    if (!context)
        return -ENOMEM;
    ZSTD_inBuffer input { in.data(), in.size(), 0 };
    ZSTD_outBuffer output { out.data(), out.size(), 0 };
    int result = -EIO;
    while (output.pos < output.size) {
        size_t ret = ZSTD_decompressStream(context, &output, &input);
        if (ZSTD_isError(ret))
            break;
        if (output.pos == output.size) {
            result = 0;
            break;
        }
        if (ret == 0 || input.pos == input.size)
            break; // frame ended (or input ran out) before a whole cluster
    }
    ZSTD_freeDCtx(context);
    return result;
}

} // namespace

int decompress_cluster(CompressionType type, std::span<const uint8_t> in, std::span<uint8_t> out)
{
    switch (type) {
    case CompressionType::Zlib:
        return inflate_raw(in, out);
    case CompressionType::Zstd:
        return zstd_decompress(in, out);
    }
    return -EIO;
}

} // namespace vireo::qcow2
