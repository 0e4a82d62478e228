// Keymaps (keysym -> PC key), scan code sets and the 8042's translation, the PS/2 mouse, and
// the i8042's AUX port and injected input.
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "devices/legacy/i8042.h"
#include "devices/legacy/ps2_mouse.h"
#include "devices/legacy/ps2_scancodes.h"
#include "ui/keymaps.h"

using namespace vireo;

namespace {

using Bytes = std::vector<uint8_t>;

class FakeLine final : public InterruptLine {
public:
    void set_level(bool high) override { levels.push_back(high); }
    bool high() const { return !levels.empty() && levels.back(); }
    std::vector<bool> levels;
};

struct Controller {
    FakeLine keyboard;
    FakeLine aux;
    std::shared_ptr<I8042> i8042 = std::make_shared<I8042>(keyboard, aux, [] {});

    uint8_t status()
    {
        uint8_t value = 0;
        i8042->read(I8042::k_command_offset, std::span(&value, 1));
        return value;
    }
    uint8_t read_data()
    {
        uint8_t value = 0;
        i8042->read(I8042::k_data_offset, std::span(&value, 1));
        return value;
    }
    void command(uint8_t value) { i8042->write(I8042::k_command_offset, std::span<const uint8_t>(&value, 1)); }
    void data(uint8_t value) { i8042->write(I8042::k_data_offset, std::span<const uint8_t>(&value, 1)); }
    void to_mouse(uint8_t value)
    {
        command(0xd4);
        data(value);
    }
    Bytes drain()
    {
        Bytes bytes;
        while (status() & 0x01)
            bytes.push_back(read_data());
        return bytes;
    }
    // Linux's psmouse bring-up: AUX on, its interrupt on, reporting on.
    void enable_mouse()
    {
        command(0xa8);
        command(0x60);
        data(0x47); // IRQ1, IRQ12, system flag, translate
        to_mouse(0xf4);
        EXPECT_EQ(drain(), Bytes { 0xfa });
    }
};

} // namespace

// ---- Keymaps ----

TEST(Keymap, EnUsLettersDigitsAndSpecialKeys)
{
    const Keymap* map = find_keymap("en-us");
    ASSERT_NE(map, nullptr);
    EXPECT_EQ(map->lookup('a'), (PcKey { 0x1e, false }));
    EXPECT_EQ(map->lookup('A'), (PcKey { 0x1e, false })); // shift is a key of its own
    EXPECT_EQ(map->lookup('y'), (PcKey { 0x15, false }));
    EXPECT_EQ(map->lookup('1'), (PcKey { 0x02, false }));
    EXPECT_EQ(map->lookup('!'), (PcKey { 0x02, false }));
    EXPECT_EQ(map->lookup('/'), (PcKey { 0x35, false }));
    EXPECT_EQ(map->lookup(0xff0d), (PcKey { 0x1c, false })); // Return
    EXPECT_EQ(map->lookup(0xff8d), (PcKey { 0x1c, true }));  // KP_Enter
    EXPECT_EQ(map->lookup(0xff52), (PcKey { 0x48, true }));  // Up
    EXPECT_EQ(map->lookup(0xffc9), (PcKey { 0x58, false })); // F12
    EXPECT_EQ(map->lookup(0xffe4), (PcKey { 0x1d, true }));  // Control_R
    EXPECT_FALSE(map->lookup(0xe4));                         // adiaeresis: no key on en-us
}

TEST(Keymap, GermanDiffers)
{
    const Keymap* map = find_keymap("de");
    ASSERT_NE(map, nullptr);
    EXPECT_EQ(map->lookup('z'), (PcKey { 0x15, false }));
    EXPECT_EQ(map->lookup('Y'), (PcKey { 0x2c, false }));
    EXPECT_EQ(map->lookup(0xe4), (PcKey { 0x28, false })); // ä
    EXPECT_EQ(map->lookup(0xc4), (PcKey { 0x28, false })); // Ä
    EXPECT_EQ(map->lookup(0xdf), (PcKey { 0x0c, false })); // ß
    EXPECT_EQ(map->lookup('-'), (PcKey { 0x35, false }));
    EXPECT_EQ(map->lookup('<'), (PcKey { 0x56, false }));
    EXPECT_EQ(map->lookup('a'), (PcKey { 0x1e, false }));  // from en-us
    EXPECT_EQ(map->lookup(0xff0d), (PcKey { 0x1c, false }));
    EXPECT_EQ(find_keymap("fr"), nullptr);
}

// ---- Scan code sets ----

TEST(Ps2Scancodes, Set1AndSet2)
{
    EXPECT_EQ(ps2::key_bytes({ 0x1e, false }, true, 1), (Bytes { 0x1e }));
    EXPECT_EQ(ps2::key_bytes({ 0x1e, false }, false, 1), (Bytes { 0x9e }));
    EXPECT_EQ(ps2::key_bytes({ 0x48, true }, false, 1), (Bytes { 0xe0, 0xc8 }));
    EXPECT_EQ(ps2::key_bytes({ 0x1e, false }, true, 2), (Bytes { 0x1c }));
    EXPECT_EQ(ps2::key_bytes({ 0x1e, false }, false, 2), (Bytes { 0xf0, 0x1c }));
    EXPECT_EQ(ps2::key_bytes({ 0x48, true }, false, 2), (Bytes { 0xe0, 0xf0, 0x75 }));
    EXPECT_EQ(ps2::key_bytes({ 0x41, false }, true, 2), (Bytes { 0x83 })); // F7
    EXPECT_TRUE(ps2::key_bytes({ 0x00, false }, true, 2).empty());
}

// With translation on, every key's set-2 bytes come out as its set-1 bytes.
TEST(Ps2Scancodes, TranslationInvertsSet2)
{
    for (uint8_t code = 1; code < 0x5f; ++code) {
        for (bool extended : { false, true }) {
            for (bool down : { true, false }) {
                PcKey key { code, extended };
                auto set2 = ps2::key_bytes(key, down, 2);
                if (set2.empty())
                    continue;
                EXPECT_EQ(ps2::translate_to_set1(set2), ps2::key_bytes(key, down, 1)) << int(code);
            }
        }
    }
}

// ---- PS/2 mouse ----

TEST(Ps2Mouse, ResetAnswersAckSelfTestAndId)
{
    Ps2Mouse mouse;
    EXPECT_EQ(mouse.command(0xff), (Bytes { 0xfa, 0xaa, 0x00 }));
    EXPECT_EQ(mouse.command(0xf2), (Bytes { 0xfa, 0x00 }));
    EXPECT_FALSE(mouse.reporting());
}

TEST(Ps2Mouse, RateResolutionAndStatus)
{
    Ps2Mouse mouse;
    EXPECT_EQ(mouse.command(0xf3), (Bytes { 0xfa }));
    EXPECT_EQ(mouse.command(40), (Bytes { 0xfa }));
    EXPECT_EQ(mouse.sample_rate(), 40);
    EXPECT_EQ(mouse.command(0xe8), (Bytes { 0xfa }));
    EXPECT_EQ(mouse.command(3), (Bytes { 0xfa }));
    EXPECT_EQ(mouse.resolution(), 3);
    EXPECT_EQ(mouse.command(0xe7), (Bytes { 0xfa }));
    EXPECT_EQ(mouse.command(0xf4), (Bytes { 0xfa }));
    EXPECT_EQ(mouse.command(0xe9), (Bytes { 0xfa, 0x30, 3, 40 })); // enabled, 2:1
    EXPECT_EQ(mouse.command(0xf6), (Bytes { 0xfa }));
    EXPECT_EQ(mouse.command(0xe9), (Bytes { 0xfa, 0x00, 2, 100 }));
    EXPECT_EQ(mouse.command(0x12), (Bytes { 0xfe })); // not a command
}

TEST(Ps2Mouse, IntelliMouseKnock)
{
    Ps2Mouse mouse;
    for (uint8_t rate : { 200, 100, 80 }) {
        EXPECT_EQ(mouse.command(0xf3), (Bytes { 0xfa }));
        EXPECT_EQ(mouse.command(rate), (Bytes { 0xfa }));
    }
    EXPECT_EQ(mouse.command(0xf2), (Bytes { 0xfa, 0x03 }));
    EXPECT_EQ(mouse.command(0xff), (Bytes { 0xfa, 0xaa, 0x00 })); // reset: a plain mouse again
    EXPECT_EQ(mouse.device_id(), 0);
    // Another order is no knock.
    for (uint8_t rate : { 100, 200, 80 }) {
        (void)mouse.command(0xf3);
        (void)mouse.command(rate);
    }
    EXPECT_EQ(mouse.device_id(), 0);
}

TEST(Ps2Mouse, MotionPacketsWithSignsAndOverflow)
{
    Ps2Mouse mouse;
    EXPECT_TRUE(mouse.motion(5, 5, 0, 0, 8).empty()); // reporting off
    (void)mouse.command(0xf4);
    // Right 5, down 3 (PS/2: y negative), left button.
    EXPECT_EQ(mouse.motion(5, 3, 0, k_ps2_left, 8), (Bytes { 0x29, 0x05, 0xfd }));
    // Left 2, up 1, right button.
    EXPECT_EQ(mouse.motion(-2, -1, 0, k_ps2_right, 8), (Bytes { 0x1a, 0xfe, 0x01 }));
    // A button release alone is a packet.
    EXPECT_EQ(mouse.motion(0, 0, 0, 0, 8), (Bytes { 0x08, 0x00, 0x00 }));
    // 300 right: two packets (255 + 45).
    EXPECT_EQ(mouse.motion(300, 0, 0, 0, 8), (Bytes { 0x08, 0xff, 0x00, 0x08, 45, 0x00 }));
    // No room for the rest: the packet sent says the motion overflowed.
    EXPECT_EQ(mouse.motion(600, 0, 0, 0, 1), (Bytes { 0x48, 0xff, 0x00 }));
    EXPECT_EQ(mouse.motion(-600, 0, 0, 0, 1), (Bytes { 0x58, 0x00, 0x00 }));
}

TEST(Ps2Mouse, WheelInFourthByte)
{
    Ps2Mouse mouse;
    for (uint8_t rate : { 200, 100, 80 }) {
        (void)mouse.command(0xf3);
        (void)mouse.command(rate);
    }
    (void)mouse.command(0xf4);
    EXPECT_EQ(mouse.motion(0, 0, -1, 0, 8), (Bytes { 0x08, 0x00, 0x00, 0x0f })); // wheel up
    EXPECT_EQ(mouse.motion(1, 0, 1, k_ps2_middle, 8), (Bytes { 0x0c, 0x01, 0x00, 0x01 }));
}

TEST(Ps2Mouse, WrapModeEchoes)
{
    Ps2Mouse mouse;
    EXPECT_EQ(mouse.command(0xee), (Bytes { 0xfa }));
    EXPECT_EQ(mouse.command(0x42), (Bytes { 0x42 }));
    EXPECT_EQ(mouse.command(0xec), (Bytes { 0xfa }));
    EXPECT_EQ(mouse.command(0xf2), (Bytes { 0xfa, 0x00 }));
}

// ---- The i8042's AUX port ----

TEST(I8042Aux, EnableDisableFollowsCommands)
{
    Controller c;
    c.command(0x20);
    EXPECT_EQ(c.read_data() & 0x20, 0x20); // power-on: AUX disabled
    c.command(0xa8);
    c.command(0x20);
    EXPECT_EQ(c.read_data() & 0x20, 0x00);
    c.command(0xa7);
    c.command(0x20);
    EXPECT_EQ(c.read_data() & 0x20, 0x20);
    c.command(0xa9);
    EXPECT_EQ(c.drain(), Bytes { 0x00 }); // interface test passes
}

TEST(I8042Aux, MouseResetThroughD4RaisesIrq12)
{
    Controller c;
    c.command(0xa8);
    c.command(0x60);
    c.data(0x47);
    c.to_mouse(0xff);
    EXPECT_TRUE(c.aux.high());
    EXPECT_FALSE(c.keyboard.high());
    EXPECT_EQ(c.status() & 0x21, 0x21); // output full, from the AUX device
    EXPECT_EQ(c.drain(), (Bytes { 0xfa, 0xaa, 0x00 }));
    EXPECT_FALSE(c.aux.high());
    // Each byte is a fresh edge.
    EXPECT_EQ(c.aux.levels, (std::vector<bool> { true, false, true, false, true, false }));
}

TEST(I8042Aux, NoIrq12WithoutItsEnableBit)
{
    Controller c;
    c.command(0xa8);
    c.to_mouse(0xf2); // the power-on command byte has IRQ 12 off
    EXPECT_TRUE(c.aux.levels.empty());
    EXPECT_EQ(c.drain(), (Bytes { 0xfa, 0x00 }));
}

TEST(I8042Aux, InjectedMotionBecomesPackets)
{
    Controller c;
    c.enable_mouse();
    c.i8042->mouse_event(3, -4, 0, k_ps2_left);
    EXPECT_TRUE(c.aux.high());
    EXPECT_EQ(c.drain(), (Bytes { 0x09, 0x03, 0x04 }));
    // With the AUX port disabled nothing comes.
    c.command(0xa7);
    c.i8042->mouse_event(3, 3, 0, 0);
    EXPECT_TRUE(c.drain().empty());
}

TEST(I8042Aux, IntelliMouseThroughController)
{
    Controller c;
    c.enable_mouse();
    for (uint8_t rate : { 200, 100, 80 }) {
        c.to_mouse(0xf3);
        c.to_mouse(rate);
    }
    c.to_mouse(0xf2);
    EXPECT_EQ(c.drain(), (Bytes { 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0x03 }));
    c.i8042->mouse_event(0, 0, 1, 0);
    EXPECT_EQ(c.drain(), (Bytes { 0x08, 0x00, 0x00, 0x01 }));
}

// ---- Injected keys ----

TEST(I8042Keys, TranslatedSet2IsSet1)
{
    Controller c;
    c.i8042->key_event({ 0x1e, false }, true);
    c.i8042->key_event({ 0x1e, false }, false);
    c.i8042->key_event({ 0x48, true }, true);
    c.i8042->key_event({ 0x48, true }, false);
    EXPECT_TRUE(c.keyboard.high());
    EXPECT_EQ(c.drain(), (Bytes { 0x1e, 0x9e, 0xe0, 0x48, 0xe0, 0xc8 }));
}

TEST(I8042Keys, Set2WithoutTranslation)
{
    Controller c;
    c.command(0x60);
    c.data(0x05); // translate off
    c.i8042->key_event({ 0x1e, false }, true);
    c.i8042->key_event({ 0x1e, false }, false);
    c.i8042->key_event({ 0x48, true }, false);
    EXPECT_EQ(c.drain(), (Bytes { 0x1c, 0xf0, 0x1c, 0xe0, 0xf0, 0x75 }));
}

TEST(I8042Keys, Set1SelectedOnTheKeyboard)
{
    Controller c;
    c.command(0x60);
    c.data(0x05);
    c.data(0xf0);
    c.data(0x01);
    EXPECT_EQ(c.drain(), (Bytes { 0xfa, 0xfa }));
    c.i8042->key_event({ 0x10, false }, false);
    EXPECT_EQ(c.drain(), (Bytes { 0x90 }));
}

TEST(I8042Keys, DroppedWhileDisabledOrFull)
{
    Controller c;
    c.data(0xf5); // keyboard disabled
    EXPECT_EQ(c.drain(), Bytes { 0xfa });
    c.i8042->key_event({ 0x1e, false }, true);
    EXPECT_TRUE(c.drain().empty());
    c.data(0xf4);
    EXPECT_EQ(c.drain(), Bytes { 0xfa });
    // 16 bytes of room: eight extended keys fill it; a ninth is dropped whole.
    for (int i = 0; i < 9; ++i)
        c.i8042->key_event({ 0x48, true }, true);
    auto bytes = c.drain();
    EXPECT_EQ(bytes.size(), 16u);
}
