#include <array>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "bus/bus.h"

using namespace vireo;

namespace {

class RecordingDevice final : public BusDevice {
public:
    void read(uint64_t offset, std::span<uint8_t> data) override
    {
        reads.push_back(offset);
        std::ranges::fill(data, 0x5a);
    }
    void write(uint64_t offset, std::span<const uint8_t> data) override
    {
        writes.emplace_back(offset, std::vector<uint8_t>(data.begin(), data.end()));
    }
    std::vector<uint64_t> reads;
    std::vector<std::pair<uint64_t, std::vector<uint8_t>>> writes;
};

} // namespace

TEST(Bus, DispatchesOffsetsWithinTheRange)
{
    Bus bus("test");
    auto device = std::make_shared<RecordingDevice>();
    ASSERT_TRUE(bus.insert(device, 0x3f8, 8));
    std::array<uint8_t, 1> byte { 0x41 };
    EXPECT_TRUE(bus.write(0x3fd, byte));
    EXPECT_TRUE(bus.read(0x3f8, byte));
    ASSERT_EQ(device->writes.size(), 1u);
    EXPECT_EQ(device->writes[0].first, 5u);
    EXPECT_EQ(device->reads, std::vector<uint64_t> { 0 });
    EXPECT_EQ(byte[0], 0x5a);
}

TEST(Bus, AccessToNothingReadsAllOnesAndDropsWrites)
{
    Bus bus("test");
    auto device = std::make_shared<RecordingDevice>();
    ASSERT_TRUE(bus.insert(device, 0x100, 4));
    std::array<uint8_t, 4> data { 1, 2, 3, 4 };
    EXPECT_FALSE(bus.read(0x200, data));
    EXPECT_EQ(data, (std::array<uint8_t, 4> { 0xff, 0xff, 0xff, 0xff }));
    EXPECT_FALSE(bus.write(0x200, data));
    // an access that starts inside the range but runs past its end belongs to no device
    EXPECT_FALSE(bus.read(0x102, data));
    EXPECT_TRUE(device->reads.empty());
    EXPECT_TRUE(device->writes.empty());
}

TEST(Bus, RefusesOverlapsAndEmptyOrWrappingRanges)
{
    Bus bus("test");
    auto device = std::make_shared<RecordingDevice>();
    ASSERT_TRUE(bus.insert(device, 0x1000, 0x100));
    EXPECT_FALSE(bus.insert(device, 0x10ff, 1));  // last byte
    EXPECT_FALSE(bus.insert(device, 0xf00, 0x101)); // runs into the start
    EXPECT_FALSE(bus.insert(device, 0x1010, 0x10)); // inside
    EXPECT_FALSE(bus.insert(device, 0x2000, 0));
    EXPECT_FALSE(bus.insert(device, ~0ULL - 1, 4));
    EXPECT_TRUE(bus.insert(device, 0x1100, 1)); // adjacent is fine
}

TEST(Bus, RemovedRangeNoLongerAnswers)
{
    Bus bus("test");
    auto device = std::make_shared<RecordingDevice>();
    ASSERT_TRUE(bus.insert(device, 0xc000, 0x40));
    EXPECT_TRUE(bus.remove(0xc000));
    EXPECT_FALSE(bus.remove(0xc000));
    std::array<uint8_t, 2> data {};
    EXPECT_FALSE(bus.read(0xc000, data));
    EXPECT_TRUE(bus.insert(device, 0xc000, 0x40));
}

TEST(Bus, StringIoDefaultsToOneAccessPerElement)
{
    Bus bus("test");
    auto device = std::make_shared<RecordingDevice>();
    ASSERT_TRUE(bus.insert(device, 0x3f8, 8));
    std::array<uint8_t, 6> data {};
    EXPECT_TRUE(bus.read_string(0x3f9, 2, data));
    EXPECT_EQ(device->reads, (std::vector<uint64_t> { 1, 1, 1 }));
    EXPECT_EQ(data, (std::array<uint8_t, 6> { 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a }));
    std::array<uint8_t, 4> out { 1, 2, 3, 4 };
    EXPECT_TRUE(bus.write_string(0x3f8, 1, out));
    ASSERT_EQ(device->writes.size(), 4u);
    EXPECT_EQ(device->writes[3].second, std::vector<uint8_t> { 4 });
    // The element must fit the range; nothing there reads all-ones.
    EXPECT_FALSE(bus.read_string(0x3ff, 2, data));
    EXPECT_EQ(data[0], 0xff);
}
