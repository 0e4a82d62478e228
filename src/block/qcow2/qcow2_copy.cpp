// Filling the new clusters of allocating writes (see qcow2_copy.h). The jobs of a batch run
// without the image lock, all at once on the copy engine when there is one: each reads the
// old contents, lays the guest's bytes over them and writes the cluster. Their L2 entries
// are set only afterwards (commit_pending), so data still precedes the entries that name it.
#include <poll.h>

#include <cerrno>
#include <cstring>

#include "block/aligned_io.h"
#include "block/qcow2/qcow2_copy.h"
#include "block/qcow2/qcow2_unlocked.h"

namespace vireo::qcow2 {

// Plans the read of a guest cluster's current contents into job.buffer without doing I/O;
// false when that needs the synchronous path (compressed data, backing metadata not cached).
bool Qcow2Core::plan_base_read(uint64_t guest_cluster, uint64_t entry, CopyJob& job)
{
    auto buffer = job.buffer.span();
    if (entry & k_compressed)
        return false;
    uint64_t host = entry & k_offset_mask;
    if ((entry & k_zero) || (host == 0 && !m_backing)) {
        std::memset(buffer.data(), 0, buffer.size());
        return true;
    }
    std::vector<HostExtent> extents;
    if (host != 0)
        extents.push_back({ m_fd.get(), host, m_cluster_size, m_alignment });
    else if (!m_backing->map_for_read(guest_cluster * m_cluster_size, m_cluster_size, extents))
        return false;
    uint64_t position = 0;
    for (auto const& e : extents) {
        if (e.fd < 0)
            std::memset(buffer.data() + position, 0, e.length);
        else
            job.reads.push_back({ position, e });
        position += e.length;
    }
    return true;
}

// Runs the planned jobs with the lock dropped; each gets its result. Then accounts the writes.
std::vector<std::unique_ptr<Qcow2Core::CopyJob>> Qcow2Core::run_copies()
{
    if (m_copies.empty())
        return {};
    auto jobs = std::move(m_copies);
    m_copies.clear();
    {
        Unlocked unlocked(m_io_lock);
        if (m_copy_engine) {
            run_copies_parallel(jobs);
        } else {
            for (auto& job : jobs) {
                for (auto const& r : job->reads) {
                    if (job->result == 0)
                        job->result = pread_aligned(r.from.fd, r.from.alignment, job->buffer.span().subspan(r.position, r.from.length), r.from.host);
                }
                job->lay_data();
                if (job->result == 0)
                    job->result = pwrite_aligned(m_fd.get(), m_alignment, job->buffer.span(), job->write_offset);
            }
        }
    }
    for (auto const& job : jobs) {
        if (job->result < 0)
            continue;
        m_file_end = std::max<uint64_t>(m_file_end, job->write_offset + job->buffer.size());
        if (m_observer)
            m_observer->wrote(job->write_offset, job->buffer.span());
    }
    return jobs;
}

// Every job's reads go out at once; a job's write goes out when its last read is back.
void Qcow2Core::run_copies_parallel(std::vector<std::unique_ptr<CopyJob>>& jobs)
{
    size_t running = jobs.size();
    std::vector<size_t> reads_left(jobs.size());
    auto write = [&](size_t i) {
        CopyJob& job = *jobs[i];
        if (job.result < 0) {
            --running;
            return;
        }
        job.lay_data();
        IoRequest request { IoOp::Write, m_fd.get(), job.write_offset, { { job.buffer.data(), job.buffer.size() } } };
        submit_aligned(*m_copy_engine, m_alignment, std::move(request), [&, i](int64_t r) {
            if (r < 0)
                jobs[i]->result = static_cast<int>(r);
            --running;
        });
    };
    m_copy_engine->begin_batch();
    for (size_t i = 0; i < jobs.size(); ++i) {
        CopyJob& job = *jobs[i];
        reads_left[i] = job.reads.size();
        if (job.reads.empty()) {
            write(i);
            continue;
        }
        for (auto const& r : job.reads) {
            IoRequest request { IoOp::Read, r.from.fd, r.from.host, { { job.buffer.data() + r.position, r.from.length } } };
            submit_aligned(*m_copy_engine, r.from.alignment, std::move(request), [&, i](int64_t result) {
                if (result < 0 && jobs[i]->result == 0)
                    jobs[i]->result = static_cast<int>(result);
                if (--reads_left[i] == 0)
                    write(i);
            });
        }
    }
    m_copy_engine->end_batch();
    while (running > 0) {
        pollfd pfd { m_copy_engine->completion_fd(), POLLIN, 0 };
        ::poll(&pfd, 1, 100);
        m_copy_engine->process_completions();
    }
}

} // namespace vireo::qcow2
