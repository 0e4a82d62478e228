// The QEMU extended key event's bytes and keycodes (rfbproto "QEMU Extended Key Event Message").
#include <gtest/gtest.h>

#include "ui/qemu_key_event.h"

using namespace vireo;

TEST(QemuKeyEvent, DecodesTheMessageBody)
{
    const uint8_t body[] = { 0, 1, 0, 0, 0xff, 0x53, 0, 0, 0, 0xcd };
    auto event = decode_qemu_key_event(std::span<const uint8_t, k_qemu_key_event_body>(body));
    EXPECT_TRUE(event.down);
    EXPECT_EQ(event.keysym, 0xff53u);
    EXPECT_EQ(event.keycode, 0xcdu);
    const uint8_t up[] = { 0, 0, 0, 0, 0, 0x41, 0, 0, 0, 0x1e };
    EXPECT_FALSE(decode_qemu_key_event(std::span<const uint8_t, k_qemu_key_event_body>(up)).down);
}

TEST(QemuKeyEvent, XtKeycodesAsTheSpecsExamples)
{
    EXPECT_EQ(pc_key_from_xt_keycode(0x1e), (PcKey { 0x1e, false })); // A
    EXPECT_EQ(pc_key_from_xt_keycode(0xcd), (PcKey { 0x4d, true }));  // Right: E0 4D
    EXPECT_EQ(pc_key_from_xt_keycode(0xe04d), (PcKey { 0x4d, true })); // the same, unencoded
    EXPECT_EQ(pc_key_from_xt_keycode(0x9d), (PcKey { 0x1d, true }));  // right Ctrl
}

TEST(QemuKeyEvent, KeycodesThatNameNoKey)
{
    for (uint32_t keycode : { 0u, 0x80u, 0xe000u, 0xe080u, 0xe1u << 8, 0x100u, 0xffffffffu })
        EXPECT_FALSE(pc_key_from_xt_keycode(keycode)) << std::hex << keycode;
}

TEST(QemuKeyEvent, AcknowledgementIsOneEmptyRectangle)
{
    auto ack = qemu_key_event_acknowledgement();
    const std::array<uint8_t, 16> expected { 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xfe, 0xfe };
    EXPECT_EQ(ack, expected);
}
