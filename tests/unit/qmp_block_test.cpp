// The block commands (query-block, eject, blockdev-change-medium) against a fake machine: QEMU
// 7.2's reply shapes and error messages, the DEVICE_TRAY_MOVED event and its way from a vCPU
// thread to the loop, and QEMU's names for legacy drives.
#include <gtest/gtest.h>

#include <thread>

#include "machine/assembly/drive_media.h"
#include "monitor/event_queue.h"
#include "monitor/qmp_commands.h"
#include "monitor/qmp_session.h"
#include "qmp_fake_machine.h"

namespace vireo {
namespace {

class QmpBlock : public testing::Test {
protected:
    QmpBlock()
    {
        register_qmp_commands(m_table, m_machine);
        [[maybe_unused]] auto reply = m_session.handle(Json { { "execute", "qmp_capabilities" } });
    }

    Json execute(const std::string& command, Json arguments = nullptr)
    {
        Json request { { "execute", command } };
        if (!arguments.is_null())
            request["arguments"] = std::move(arguments);
        return m_session.handle(request);
    }
    static void expect_error(const Json& reply, const std::string& error_class, const std::string& desc)
    {
        ASSERT_TRUE(reply.contains("error")) << reply.dump();
        EXPECT_EQ(reply["error"]["class"], error_class);
        EXPECT_EQ(reply["error"]["desc"], desc);
    }
    Json drive(const std::string& name)
    {
        auto list = execute("query-block")["return"];
        for (const auto& entry : list) {
            if (entry["device"] == name)
                return entry;
        }
        return nullptr;
    }

    FakeMachineControl m_machine;
    CommandTable m_table;
    QmpSession m_session { m_table, QmpStyle::Compact };
};

TEST_F(QmpBlock, QueryBlockListsDisksAndTheEmptyCdrom)
{
    auto list = execute("query-block")["return"];
    ASSERT_EQ(list.size(), 2u);

    const auto& disk = list[0];
    EXPECT_EQ(disk["device"], "ide0-hd0");
    EXPECT_EQ(disk["qdev"], "/machine/unattached/device[2]");
    EXPECT_EQ(disk["io-status"], "ok");
    EXPECT_EQ(disk["type"], "unknown");
    EXPECT_EQ(disk["removable"], false);
    EXPECT_EQ(disk["locked"], false);
    EXPECT_FALSE(disk.contains("tray_open")); // no tray
    const auto& inserted = disk["inserted"];
    EXPECT_EQ(inserted["file"], "disk.qcow2");
    EXPECT_EQ(inserted["ro"], false);
    EXPECT_EQ(inserted["drv"], "qcow2");
    EXPECT_EQ(inserted["encrypted"], false);
    EXPECT_EQ(inserted["backing_file"], "base.qcow2");
    EXPECT_EQ(inserted["backing_file_depth"], 1);
    EXPECT_EQ(inserted["detect_zeroes"], "off");
    EXPECT_EQ(inserted["bps"], 0);
    EXPECT_EQ(inserted["iops_wr"], 0);
    EXPECT_EQ(inserted["write_threshold"], 0);
    EXPECT_EQ(inserted["cache"], (Json { { "writeback", true }, { "direct", false }, { "no-flush", false } }));
    EXPECT_EQ(inserted["image"], (Json { { "filename", "disk.qcow2" }, { "format", "qcow2" },
                                     { "virtual-size", 8 << 20 }, { "backing-filename", "base.qcow2" } }));

    const auto& cdrom = list[1];
    EXPECT_EQ(cdrom["device"], "ide1-cd0");
    EXPECT_EQ(cdrom["removable"], true);
    EXPECT_EQ(cdrom["tray_open"], false);
    EXPECT_FALSE(cdrom.contains("inserted")); // no medium
}

TEST_F(QmpBlock, EjectOpensTheTrayAndRemovesTheMedium)
{
    ASSERT_EQ(execute("blockdev-change-medium", Json { { "device", "ide1-cd0" }, { "filename", "/a.iso" } }),
        (Json { { "return", Json::object() } }));
    m_machine.events.clear();

    EXPECT_EQ(execute("eject", Json { { "device", "ide1-cd0" } }), (Json { { "return", Json::object() } }));
    EXPECT_EQ(m_machine.events, (std::vector<std::string> { "DEVICE_TRAY_MOVED ide1-cd0 true" }));
    auto cdrom = drive("ide1-cd0");
    EXPECT_EQ(cdrom["tray_open"], true);
    EXPECT_FALSE(cdrom.contains("inserted"));
    // Ejecting an empty drive succeeds too (qemu-qmp-ref: "Ejecting a device with no media
    // results in success").
    EXPECT_EQ(execute("eject", Json { { "device", "ide1-cd0" } }), (Json { { "return", Json::object() } }));
}

TEST_F(QmpBlock, EjectFindsTheDriveByItsGuestDevice)
{
    EXPECT_EQ(execute("eject", Json { { "id", "/machine/unattached/device[3]" }, { "force", true } }),
        (Json { { "return", Json::object() } }));
    EXPECT_EQ(m_machine.calls.back(), "eject ide1-cd0 force");
}

TEST_F(QmpBlock, EjectErrorsAreQemus)
{
    expect_error(execute("eject", Json { { "device", "floppy0" } }), "DeviceNotFound", "Device 'floppy0' not found");
    expect_error(execute("eject", Json { { "id", "cd9" } }), "DeviceNotFound", "Device 'cd9' not found");
    expect_error(execute("eject", Json { { "device", "ide0-hd0" } }), "GenericError",
        "Device 'ide0-hd0' is not removable");
    expect_error(execute("eject"), "GenericError", "Need exactly one of 'device' and 'id'");
    expect_error(execute("eject", Json { { "device", "ide1-cd0" }, { "id", "/machine/unattached/device[3]" } }),
        "GenericError", "Need exactly one of 'device' and 'id'");
    expect_error(execute("eject", Json { { "device", "ide1-cd0" }, { "force", "yes" } }), "GenericError",
        "Invalid parameter type for 'force', expected: boolean");
}

TEST_F(QmpBlock, LockedTrayNeedsForce)
{
    m_machine.drives[1].locked = true;
    expect_error(execute("eject", Json { { "device", "ide1-cd0" } }), "GenericError",
        "Device 'ide1-cd0' is locked and force was not specified, wait for tray to open and try again");
    // QEMU names the drive by the id it was given.
    expect_error(execute("eject", Json { { "id", "/machine/unattached/device[3]" } }), "GenericError",
        "Device '/machine/unattached/device[3]' is locked and force was not specified, wait for tray to open and "
        "try again");
    EXPECT_TRUE(m_machine.events.empty());
    EXPECT_EQ(execute("eject", Json { { "device", "ide1-cd0" }, { "force", true } }),
        (Json { { "return", Json::object() } }));
    EXPECT_EQ(drive("ide1-cd0")["locked"], false);
}

TEST_F(QmpBlock, ChangeMediumInsertsAndClosesTheTray)
{
    auto reply = execute("blockdev-change-medium",
        Json { { "id", "/machine/unattached/device[3]" }, { "filename", "/srv/fedora.iso" }, { "format", "raw" },
            { "read-only-mode", "retain" } });
    EXPECT_EQ(reply, (Json { { "return", Json::object() } }));
    EXPECT_EQ(m_machine.events,
        (std::vector<std::string> { "DEVICE_TRAY_MOVED ide1-cd0 true", "DEVICE_TRAY_MOVED ide1-cd0 false" }));
    auto cdrom = drive("ide1-cd0");
    EXPECT_EQ(cdrom["tray_open"], false);
    EXPECT_EQ(cdrom["inserted"]["file"], "/srv/fedora.iso");
    EXPECT_EQ(cdrom["inserted"]["drv"], "raw");
    EXPECT_EQ(cdrom["inserted"]["ro"], true);
    EXPECT_EQ(cdrom["inserted"]["image"]["virtual-size"], 1 << 20);
}

TEST_F(QmpBlock, ChangeMediumErrorsAreQemus)
{
    expect_error(execute("blockdev-change-medium", Json { { "device", "ide1-cd0" }, { "filename", "/missing.iso" } }),
        "GenericError", "Could not open '/missing.iso': No such file or directory");
    EXPECT_FALSE(drive("ide1-cd0").contains("inserted")); // nothing changed
    EXPECT_TRUE(m_machine.events.empty());
    expect_error(execute("blockdev-change-medium", Json { { "device", "ide0-hd0" }, { "filename", "/b.iso" } }),
        "GenericError", "Device 'ide0-hd0' is not removable");
    expect_error(execute("blockdev-change-medium", Json { { "device", "nope" }, { "filename", "/b.iso" } }),
        "DeviceNotFound", "Device 'nope' not found");
    expect_error(execute("blockdev-change-medium", Json { { "device", "ide1-cd0" } }), "GenericError",
        "Parameter 'filename' is missing");
    expect_error(execute("blockdev-change-medium",
                     Json { { "device", "ide1-cd0" }, { "filename", "/b.iso" }, { "read-only-mode", "rw" } }),
        "GenericError", "Parameter 'read-only-mode' does not accept value 'rw'");
    m_machine.drives[1].locked = true;
    expect_error(execute("blockdev-change-medium", Json { { "device", "ide1-cd0" }, { "filename", "/b.iso" } }),
        "GenericError",
        "Device 'ide1-cd0' is locked and force was not specified, wait for tray to open and try again");
}

TEST_F(QmpBlock, SchemaListsTheCommandsAndTheEvent)
{
    auto schema = execute("query-qmp-schema")["return"];
    auto entry = [&](const std::string& name) {
        for (const auto& item : schema) {
            if (item["name"] == name)
                return item;
        }
        return Json();
    };
    EXPECT_EQ(entry("query-block")["meta-type"], "command");
    EXPECT_EQ(entry("eject")["meta-type"], "command");
    EXPECT_EQ(entry("blockdev-change-medium")["meta-type"], "command");
    auto event = entry("DEVICE_TRAY_MOVED");
    ASSERT_EQ(event["meta-type"], "event");
    auto data = entry(event["arg-type"]);
    ASSERT_TRUE(data["members"].is_array());
    std::vector<std::string> members;
    for (const auto& member : data["members"])
        members.push_back(member["name"]);
    EXPECT_EQ(members, (std::vector<std::string> { "device", "id", "tray-open" }));
    auto commands = execute("query-commands")["return"];
    EXPECT_NE(std::find(commands.begin(), commands.end(), Json { { "name", "blockdev-change-medium" } }),
        commands.end());
}

TEST(DeviceTrayMoved, DataIsQemus)
{
    EXPECT_EQ(device_tray_moved_data("ide1-cd0", "/machine/unattached/device[22]", true),
        (Json { { "device", "ide1-cd0" }, { "id", "/machine/unattached/device[22]" }, { "tray-open", true } }));
}

// A tray the guest moves is reported from a vCPU thread with the channel lock held: the event
// only queues there and is sent from the loop, in order.
TEST(QmpEventQueue, EventsPostedOnAnotherThreadAreSentFromTheLoop)
{
    auto loop = EventLoop::create().value();
    std::vector<std::pair<std::string, Json>> sent;
    std::thread::id sender;
    auto queue = QmpEventQueue::create(*loop, [&](std::string_view name, const Json& data) {
        sent.emplace_back(std::string(name), data);
        sender = std::this_thread::get_id();
        if (sent.size() == 2)
            loop->stop();
    }).value();

    std::thread vcpu([&] {
        queue->post("DEVICE_TRAY_MOVED", device_tray_moved_data("ide1-cd0", "x", true));
        queue->post("DEVICE_TRAY_MOVED", device_tray_moved_data("ide1-cd0", "x", false));
    });
    vcpu.join();
    loop->run();

    ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(sent[0].second["tray-open"], true);
    EXPECT_EQ(sent[1].second["tray-open"], false);
    EXPECT_EQ(sender, std::this_thread::get_id());
}

TEST(QmpEventQueue, DrainSendsAtOnce)
{
    auto loop = EventLoop::create().value();
    int sent = 0;
    auto queue = QmpEventQueue::create(*loop, [&](std::string_view, const Json&) { ++sent; }).value();
    queue->post("DEVICE_TRAY_MOVED", Json::object());
    queue->drain();
    EXPECT_EQ(sent, 1);
    queue->drain();
    EXPECT_EQ(sent, 1);
}

TEST(DriveNames, AsQemuNamesLegacyDrives)
{
    DriveConfig disk;
    disk.interface = DriveInterface::Ide;
    EXPECT_EQ(drive_name(disk, 0, 0), "ide0-hd0");
    EXPECT_EQ(drive_name(disk, 0, 1), "ide0-hd1");
    DriveConfig cdrom = disk;
    cdrom.media = DriveMedia::Cdrom;
    EXPECT_EQ(drive_name(cdrom, 1, 0), "ide1-cd0");
    DriveConfig virtio;
    virtio.interface = DriveInterface::Virtio;
    virtio.id = "drive3"; // generated by the option parser: not QEMU's name
    EXPECT_EQ(drive_name(virtio, 0, 1), "virtio1");
    virtio.id = "root";
    virtio.id_given = true;
    EXPECT_EQ(drive_name(virtio, 0, 1), "root");
}

} // namespace
} // namespace vireo
