// Split virtqueue: good chains, indirect tables, notification suppression, and every kind of
// malformed chain breaking the queue (once) without crashing.
#include <gtest/gtest.h>

#include "devices/virtio/queue.h"
#include "virtio_test_support.h"

using namespace vireo;
using vireo::test::MockDriverQueue;

namespace {

struct QueueFixture : ::testing::Test {
    GuestMemory memory = test::make_guest_memory();
    MockDriverQueue driver { memory, 16 };
    VirtQueue queue { 0, 256 };
    int errors = 0;

    void activate(bool event_idx = false)
    {
        driver.configure(queue);
        ASSERT_TRUE(queue.activate(memory, event_idx, [this] { ++errors; }));
    }
    void expect_broken()
    {
        EXPECT_FALSE(queue.pop().has_value());
        EXPECT_TRUE(queue.broken());
        EXPECT_EQ(errors, 1);
        EXPECT_FALSE(queue.pop().has_value()); // stays broken, reported once
        EXPECT_EQ(errors, 1);
    }
};

} // namespace

TEST_F(QueueFixture, PopsReadableThenWritableAndPushesUsed)
{
    activate();
    auto request = driver.alloc_with(std::string("hello"));
    auto reply = driver.alloc(8);
    uint16_t head = driver.add_chain({ { request, 5, false }, { reply, 8, true } });

    auto chain = queue.pop();
    ASSERT_TRUE(chain);
    EXPECT_EQ(chain->head(), head);
    EXPECT_EQ(chain->readable_length(), 5u);
    EXPECT_EQ(chain->writable_length(), 8u);
    std::array<uint8_t, 5> in {};
    EXPECT_EQ(chain->read_from(0, in), 5u);
    EXPECT_EQ(std::string(in.begin(), in.end()), "hello");
    std::array<uint8_t, 3> out { 'a', 'b', 'c' };
    EXPECT_EQ(chain->write_to(2, out), 3u);
    queue.push(*chain, 5);

    EXPECT_EQ(driver.used_idx(), 1);
    EXPECT_EQ(driver.used(0).id, head);
    EXPECT_EQ(driver.used(0).length, 5u);
    EXPECT_EQ(driver.read_string(reply + 2, 3), "abc");
    EXPECT_FALSE(queue.pop());
    EXPECT_TRUE(queue.should_notify());
    EXPECT_FALSE(queue.should_notify()); // nothing new pushed
}

TEST_F(QueueFixture, IovecsSkipAndLimit)
{
    activate();
    auto a = driver.alloc(4), b = driver.alloc(8);
    driver.add_chain({ { a, 4, true }, { b, 8, true } });
    auto chain = queue.pop();
    ASSERT_TRUE(chain);
    auto iov = chain->writable_iovecs(2, 6);
    ASSERT_EQ(iov.size(), 2u);
    EXPECT_EQ(iov[0].iov_len, 2u);
    EXPECT_EQ(iov[1].iov_len, 4u);
    EXPECT_TRUE(chain->readable_iovecs().empty());
}

TEST_F(QueueFixture, IndirectTable)
{
    activate();
    auto header = driver.alloc_with(std::string("hdr"));
    auto data = driver.alloc(16);
    uint16_t head = driver.add_indirect_chain({ { header, 3, false }, { data, 16, true } });
    auto chain = queue.pop();
    ASSERT_TRUE(chain);
    EXPECT_EQ(chain->head(), head);
    EXPECT_EQ(chain->readable().size(), 1u);
    EXPECT_EQ(chain->writable().size(), 1u);
    EXPECT_EQ(chain->writable()[0].address, data);
    EXPECT_EQ(errors, 0);
}

TEST_F(QueueFixture, ZeroLengthBuffersAreSkipped)
{
    activate();
    auto data = driver.alloc(4);
    driver.add_chain({ { data, 0, false }, { data, 4, true }, { 0xdead'0000, 0, true } });
    auto chain = queue.pop();
    ASSERT_TRUE(chain);
    EXPECT_EQ(chain->readable().size(), 0u);
    EXPECT_EQ(chain->writable().size(), 1u);
    EXPECT_FALSE(queue.broken());
}

TEST_F(QueueFixture, UndoPopGivesTheChainBack)
{
    activate();
    uint16_t head = driver.add_chain({ { driver.alloc(4), 4, true } });
    ASSERT_TRUE(queue.pop());
    queue.undo_pop();
    auto again = queue.pop();
    ASSERT_TRUE(again);
    EXPECT_EQ(again->head(), head);
}

TEST_F(QueueFixture, NoInterruptFlagWithoutEventIdx)
{
    activate();
    driver.set_avail_flags(k_virtq_avail_f_no_interrupt);
    driver.add_chain({ { driver.alloc(4), 4, true } });
    queue.push(*queue.pop(), 0);
    EXPECT_FALSE(queue.should_notify());
    queue.disable_notification();
    EXPECT_EQ(driver.used_flags(), k_virtq_used_f_no_notify);
    EXPECT_FALSE(queue.enable_notification());
    EXPECT_EQ(driver.used_flags(), 0);
}

TEST_F(QueueFixture, EventIdxSuppressesInterrupts)
{
    activate(true);
    for (int i = 0; i < 3; ++i)
        driver.add_chain({ { driver.alloc(4), 4, true } });
    // The driver wants an interrupt only once used idx passes 2 (used_event = 2).
    driver.set_used_event(2);
    queue.push(*queue.pop(), 0); // used idx 1
    EXPECT_FALSE(queue.should_notify());
    queue.push(*queue.pop(), 0); // used idx 2
    EXPECT_FALSE(queue.should_notify());
    queue.push(*queue.pop(), 0); // used idx 3: crosses used_event
    EXPECT_TRUE(queue.should_notify());
    // The device asks to be notified at the next new buffer.
    EXPECT_FALSE(queue.pop());
    EXPECT_EQ(driver.avail_event(), 3);
}

TEST_F(QueueFixture, EnableNotificationReportsRacingBuffers)
{
    activate(true);
    queue.disable_notification();
    driver.add_chain({ { driver.alloc(4), 4, true } });
    EXPECT_TRUE(queue.enable_notification());
}

TEST_F(QueueFixture, ActivationRejectsBadRings)
{
    driver.configure(queue);
    queue.set_size(12); // not a power of two
    EXPECT_FALSE(queue.activate(memory, false, nullptr));
    driver.configure(queue);
    queue.set_used_ring(driver.used_ring() + 2); // misaligned
    EXPECT_FALSE(queue.activate(memory, false, nullptr));
    driver.configure(queue);
    queue.set_desc_table(0x10'0000 - 16); // runs past the end of RAM
    EXPECT_FALSE(queue.activate(memory, false, nullptr));
}

TEST_F(QueueFixture, HeadIndexOutOfRange)
{
    activate();
    driver.publish(16);
    expect_broken();
}

TEST_F(QueueFixture, NextIndexOutOfRange)
{
    activate();
    driver.write_descriptor(0, driver.alloc(4), 4, k_virtq_desc_f_next, 99);
    driver.publish(0);
    expect_broken();
}

TEST_F(QueueFixture, Loop)
{
    activate();
    auto data = driver.alloc(4);
    driver.write_descriptor(0, data, 4, k_virtq_desc_f_next, 1);
    driver.write_descriptor(1, data, 4, k_virtq_desc_f_next, 0);
    driver.publish(0);
    expect_broken();
}

TEST_F(QueueFixture, ChainLongerThanQueue)
{
    activate();
    auto data = driver.alloc(4);
    // 16 descriptors chained, the last pointing to an indirect table of 2 more: 18 > 16.
    auto table = driver.alloc(32);
    driver.write_descriptor(0, data, 4, k_virtq_desc_f_next, 1, table);
    driver.write_descriptor(1, data, 4, 0, 0, table);
    for (uint16_t i = 0; i < 15; ++i)
        driver.write_descriptor(i, data, 4, k_virtq_desc_f_next, static_cast<uint16_t>(i + 1));
    driver.write_descriptor(15, table, 32, k_virtq_desc_f_indirect, 0);
    driver.publish(0);
    expect_broken();
}

TEST_F(QueueFixture, BufferOutsideRam)
{
    activate();
    driver.add_chain({ { 0x10'0000 - 4, 8, true } });
    expect_broken();
}

TEST_F(QueueFixture, BufferLengthWraps)
{
    activate();
    driver.add_chain({ { ~0ULL - 2, 8, false } });
    expect_broken();
}

TEST_F(QueueFixture, IndirectInsideIndirect)
{
    activate();
    auto inner = driver.alloc(16);
    driver.write_descriptor(0, driver.alloc(4), 4, 0, 0, inner);
    auto outer = driver.alloc(16);
    driver.write_descriptor(0, inner, 16, k_virtq_desc_f_indirect, 0, outer);
    driver.write_descriptor(0, outer, 16, k_virtq_desc_f_indirect, 0);
    driver.publish(0);
    expect_broken();
}

TEST_F(QueueFixture, IndirectTableBadLength)
{
    activate();
    driver.write_descriptor(0, driver.alloc(32), 20, k_virtq_desc_f_indirect, 0);
    driver.publish(0);
    expect_broken();
}

TEST_F(QueueFixture, ZeroLengthIndirectTable)
{
    activate();
    driver.write_descriptor(0, driver.alloc(32), 0, k_virtq_desc_f_indirect, 0);
    driver.publish(0);
    expect_broken();
}

TEST_F(QueueFixture, ReadableAfterWritable)
{
    activate();
    driver.add_chain({ { driver.alloc(4), 4, true }, { driver.alloc(4), 4, false } });
    expect_broken();
}

TEST_F(QueueFixture, AvailIndexTooFarAhead)
{
    activate();
    ASSERT_TRUE(memory.write_obj<uint16_t>(driver.avail_ring() + 2, 17));
    expect_broken();
}

TEST_F(QueueFixture, ResetClearsBrokenState)
{
    activate();
    driver.publish(16);
    EXPECT_FALSE(queue.pop());
    queue.reset();
    EXPECT_FALSE(queue.broken());
    EXPECT_FALSE(queue.ready());
    EXPECT_EQ(queue.size(), 256);
}

// Regression: bulk TCP over virtio-net arrived corrupted. A frame spread over several mergeable
// receive buffers was published one used entry at a time; a driver polling meanwhile saw the
// first buffer without the rest. add_used() + publish_used() make the whole set visible at once.
TEST_F(QueueFixture, UsedEntriesAddedTogetherBecomeVisibleTogether)
{
    activate();
    std::vector<uint16_t> heads;
    for (int i = 0; i < 3; ++i)
        heads.push_back(driver.add_chain({ { driver.alloc(64), 64, true } }));
    std::vector<DescriptorChain> chains;
    for (int i = 0; i < 3; ++i)
        chains.push_back(*queue.pop());

    for (const auto& chain : chains) {
        queue.add_used(chain, 64);
        EXPECT_EQ(driver.used_idx(), 0); // nothing visible before publish_used()
    }
    queue.publish_used();
    EXPECT_EQ(driver.used_idx(), 3);
    for (uint16_t i = 0; i < 3; ++i)
        EXPECT_EQ(driver.used(i).id, heads[i]);
}

// Regression: the queue checked only that avail->idx ran at most a queue size ahead, so a driver
// could offer heads still in flight again and again and the device's in-flight work grew
// without bound. One chain more in use than the queue size breaks the queue (virtio 1.2 §2.7).
TEST_F(QueueFixture, InFlightHeadsOfferedAgainBeyondTheQueueSizeBreakTheQueue)
{
    activate();
    for (int i = 0; i < 16; ++i)
        driver.add_chain({ { driver.alloc(8), 8, true } });
    for (int i = 0; i < 16; ++i)
        ASSERT_TRUE(queue.pop());
    EXPECT_EQ(queue.in_use(), 16u);
    EXPECT_FALSE(queue.pop()); // a full ring in flight: nothing more, not an error
    EXPECT_FALSE(queue.broken());

    driver.publish(0); // head 0 again, still in flight
    expect_broken();
}

TEST_F(QueueFixture, UsedAndGivenBackChainsLeaveTheInUseCount)
{
    activate();
    for (int i = 0; i < 16; ++i)
        driver.add_chain({ { driver.alloc(8), 8, true } });
    std::vector<DescriptorChain> chains;
    for (int i = 0; i < 16; ++i)
        chains.push_back(*queue.pop());
    queue.push(chains[0], 0);
    queue.add_used(chains[1], 0);
    queue.publish_used();
    EXPECT_EQ(queue.in_use(), 14u);

    // The driver offers both used heads again: the queue takes them (one back and forth).
    driver.publish(chains[0].head());
    driver.publish(chains[1].head());
    ASSERT_TRUE(queue.pop());
    EXPECT_EQ(queue.in_use(), 15u);
    queue.undo_pop();
    EXPECT_EQ(queue.in_use(), 14u);
    ASSERT_TRUE(queue.pop());
    ASSERT_TRUE(queue.pop());
    EXPECT_EQ(queue.in_use(), 16u);
    EXPECT_FALSE(queue.broken());
    EXPECT_EQ(errors, 0);

    queue.reset();
    EXPECT_EQ(queue.in_use(), 0u);
}
