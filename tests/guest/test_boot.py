"""Boots the Debian cloud kernel under vireo and checks what the guest sees."""
import re
import unittest

from vireo_guest import GuestTestCase, Guest


class Boot(GuestTestCase):
    def assert_memory(self, guest, mib):
        # The kernel's own count of usable RAM ("Memory: avail/totalK available") is what the
        # e820 map gave it; MemTotal is that minus the kernel's image and reservations.
        status, out = guest.run("dmesg | grep 'Memory:'")
        total_kib = int(re.search(r"Memory: \d+K/(\d+)K", out).group(1))
        self.assertGreater(total_kib, mib * 1024 * 0.98)
        self.assertLessEqual(total_kib, mib * 1024)
        status, out = guest.run("grep MemTotal /proc/meminfo")
        self.assertGreater(int(re.search(r"(\d+)", out).group(1)), mib * 1024 * 0.8)

    def test_one_cpu_256m(self):
        guest = self.boot(memory="256", smp="1")
        status, out = guest.run("grep -c ^processor /proc/cpuinfo")
        self.assertEqual((status, out), (0, "1"))
        self.assert_memory(guest, 256)
        # The LAPIC runs in TSC-deadline mode (as under QEMU): no PIT calibration to fail.
        self.assertEqual(guest.run("grep -c -w tsc_deadline_timer /proc/cpuinfo")[1], "1")
        self.assertEqual(guest.run("dmesg | grep -c 'APIC timer disabled'")[1], "0")

    def test_two_cpus_online(self):
        guest = self.boot(memory="256", smp="2")
        self.assertEqual(guest.run("cat /sys/devices/system/cpu/online"), (0, "0-1"))
        self.assertEqual(guest.run("grep -c ^processor /proc/cpuinfo"), (0, "2"))

    def test_4g_memory_above_the_pci_hole(self):
        guest = self.boot(memory="4G", smp="1")
        self.assert_memory(guest, 4096)
        # RAM above the PCI hole: the e820 map has a usable range starting at 4 GiB.
        status, out = guest.run("dmesg | grep -c 'BIOS-e820: \\[mem 0x0000000100000000-'")
        self.assertEqual(out, "1")

    def test_console_command_round_trip(self):
        guest = self.boot()
        self.assertEqual(guest.run("echo $((6*7))-hello"), (0, "42-hello"))
        status, out = guest.run("cat /proc/cmdline")
        self.assertIn("console=ttyS0", out)

    def test_guest_clock_matches_host(self):
        import time
        guest = self.boot()
        status, out = guest.run("date +%s")
        self.assertEqual(status, 0)
        self.assertLess(abs(int(out) - time.time()), 30)

    def test_poweroff_exits_zero(self):
        guest = self.boot()
        guest.send("poweroff -f\n")
        self.assertEqual(guest.wait_exit(), 0)

    def test_reboot_with_no_reboot_exits_zero(self):
        guest = self.boot("-no-reboot")
        guest.send("reboot -f\n")
        self.assertEqual(guest.wait_exit(), 0)

    def test_reboot_restarts_the_guest(self):
        guest = self.boot()
        guest.send("reboot -f\n")
        guest.expect("vireo-guest: ready", 180)
        guest.run("true")
        guest.send("poweroff -f\n")
        self.assertEqual(guest.wait_exit(), 0)

    def test_ctrl_a_x_quits(self):
        guest = self.boot()
        guest.send(b"\x01x")
        self.assertEqual(guest.wait_exit(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
