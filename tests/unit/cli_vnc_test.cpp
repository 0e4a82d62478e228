// -vnc, -k and -object secret as QEMU 7.2 takes them.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli/options.h"
#include "cli_test_util.h"
#include "machine/assembly/builders.h"

using namespace vireo;

using test::config_of;
using test::error_of;
using test::parse;

TEST(CliVnc, DisplayOnEveryAddress)
{
    auto config = config_of({ "-vnc", ":19" });
    ASSERT_TRUE(config.vnc);
    EXPECT_EQ(config.vnc->host, "");
    EXPECT_EQ(config.vnc->display, 19u);
    EXPECT_TRUE(config.vnc->unix_path.empty());
    EXPECT_FALSE(config.vnc->password);
    EXPECT_FALSE(config.vnc->websocket_port);
    EXPECT_EQ(config.vnc->share, VncShare::AllowExclusive);
    EXPECT_EQ(config.keymap, "en-us");
}

TEST(CliVnc, HostAndDisplay)
{
    auto config = config_of({ "-vnc", "127.0.0.1:1" });
    ASSERT_TRUE(config.vnc);
    EXPECT_EQ(config.vnc->host, "127.0.0.1");
    EXPECT_EQ(config.vnc->display, 1u);
    auto v6 = config_of({ "-vnc", "[::1]:2" });
    ASSERT_TRUE(v6.vnc);
    EXPECT_EQ(v6.vnc->host, "::1");
    EXPECT_EQ(v6.vnc->display, 2u);
}

TEST(CliVnc, UnixSocket)
{
    auto config = config_of({ "-vnc", "unix:/run/vm1.vnc" });
    ASSERT_TRUE(config.vnc);
    EXPECT_EQ(config.vnc->unix_path, "/run/vm1.vnc");
    auto comma = config_of({ "-vnc", "unix:/tmp/a,,b.vnc,password=on" });
    ASSERT_TRUE(comma.vnc);
    EXPECT_EQ(comma.vnc->unix_path, "/tmp/a,b.vnc");
    EXPECT_TRUE(comma.vnc->password);
}

TEST(CliVnc, NoneAndLastWins)
{
    EXPECT_FALSE(config_of({ "-vnc", "none" }).vnc);
    EXPECT_FALSE(config_of({ "-vnc", ":1", "-vnc", "none" }).vnc);
    auto config = config_of({ "-vnc", "none", "-vnc", ":3" });
    ASSERT_TRUE(config.vnc);
    EXPECT_EQ(config.vnc->display, 3u);
}

TEST(CliVnc, WebsocketPasswordShare)
{
    auto config = config_of({ "-vnc", ":1,websocket=5701,password=on,share=force-shared" });
    ASSERT_TRUE(config.vnc);
    EXPECT_EQ(config.vnc->websocket_port, 5701);
    EXPECT_TRUE(config.vnc->password);
    EXPECT_EQ(config.vnc->share, VncShare::ForceShared);
    auto on = config_of({ "-vnc", ":4,websocket=on,share=ignore" });
    ASSERT_TRUE(on.vnc);
    EXPECT_EQ(on.vnc->websocket_port, 5704);
    EXPECT_EQ(on.vnc->share, VncShare::Ignore);
}

TEST(CliVnc, PasswordSecret)
{
    auto config = config_of({ "-object", "secret,id=vncpw,file=pw.txt", "-vnc", ":1,password-secret=vncpw" });
    ASSERT_TRUE(config.vnc);
    EXPECT_EQ(config.vnc->password_secret, "vncpw");
    ASSERT_EQ(config.secrets.size(), 1u);
    EXPECT_EQ(config.secrets[0].id, "vncpw");
    EXPECT_EQ(config.secrets[0].file, "pw.txt");
    // The secret may come after -vnc.
    auto later = config_of({ "-vnc", ":1,password-secret=s", "-object", "secret,id=s,data=hunter2" });
    ASSERT_EQ(later.secrets.size(), 1u);
    EXPECT_EQ(later.secrets[0].data, "hunter2");
}

TEST(CliVnc, Errors)
{
    EXPECT_EQ(error_of({ "-vnc", "1" }), "-vnc 1: expected [HOST]:DISPLAY, unix:PATH or none");
    EXPECT_EQ(error_of({ "-vnc", ":x" }), "-vnc :x: invalid display 'x' (0-59635)");
    EXPECT_EQ(error_of({ "-vnc", ":70000" }), "-vnc :70000: invalid display '70000' (0-59635)");
    EXPECT_EQ(error_of({ "-vnc", "unix:" }), "-vnc unix:: expected unix:PATH");
    EXPECT_EQ(error_of({ "-vnc", ":1,tls-creds=x" }),
        "-vnc :1,tls-creds=x: unsupported parameter 'tls-creds' (websocket, password, password-secret, share)");
    EXPECT_EQ(error_of({ "-vnc", ":1,share=maybe" }),
        "-vnc :1,share=maybe: invalid share 'maybe' (allow-exclusive, force-shared, ignore)");
    EXPECT_EQ(error_of({ "-vnc", ":1,websocket=0" }), "-vnc :1,websocket=0: invalid websocket port '0'");
    EXPECT_EQ(error_of({ "-vnc", ":1,password=maybe" }),
        "-vnc :1,password=maybe: invalid value 'maybe' for password (expected on or off)");
    EXPECT_EQ(error_of({ "-vnc", ":1,password-secret=nope" }), "-vnc :1,password-secret=nope: no secret object with id 'nope'");
    EXPECT_EQ(error_of({ "-vnc" }), "-vnc: missing argument");
}

TEST(CliVnc, Objects)
{
    EXPECT_EQ(error_of({ "-object", "memory-backend-ram,id=m,size=1G" }),
        "-object memory-backend-ram,id=m,size=1G: unsupported object type 'memory-backend-ram' (only secret)");
    EXPECT_EQ(error_of({ "-object", "secret,data=x" }), "-object secret,data=x: id= is required");
    EXPECT_EQ(error_of({ "-object", "secret,id=a" }), "-object secret,id=a: either data= or file= is required");
    EXPECT_EQ(error_of({ "-object", "secret,id=a,data=x,file=y" }),
        "-object secret,id=a,data=x,file=y: either data= or file= is required");
    EXPECT_EQ(error_of({ "-object", "secret,id=a,data=eA==,format=base64" }),
        "-object secret,id=a,data=eA==,format=base64: unsupported format 'base64' (only raw)");
    EXPECT_EQ(error_of({ "-object", "secret,id=a,data=x", "-object", "secret,id=a,data=y" }),
        "-object secret,id=a,data=y: duplicate id 'a'");
}

TEST(CliVnc, Keymap)
{
    EXPECT_EQ(config_of({ "-k", "de" }).keymap, "de");
    EXPECT_EQ(config_of({ "-k", "en-us" }).keymap, "en-us");
    EXPECT_EQ(error_of({ "-k", "xx" }), "-k xx: unsupported keymap (supported: en-us, de)");
}

// -vnc brings QEMU's default std VGA, which vireo leaves out otherwise for now.
TEST(CliVnc, VncBringsDefaultVga)
{
    EXPECT_EQ(plan_vga(config_of({ "-vnc", ":1" }), false), VgaPlan::DefaultSlot);
    EXPECT_EQ(plan_vga(config_of({}), false), VgaPlan::None);
    EXPECT_EQ(plan_vga(config_of({ "-vnc", ":1", "-vga", "none" }), false), VgaPlan::None);
    EXPECT_EQ(plan_vga(config_of({ "-vnc", ":1", "-nodefaults" }), false), VgaPlan::None);
    EXPECT_EQ(plan_vga(config_of({ "-vnc", ":1", "-device", "VGA" }), false), VgaPlan::FromDevice);
    EXPECT_EQ(plan_vga(config_of({ "-vnc", "none" }), false), VgaPlan::None);
}
