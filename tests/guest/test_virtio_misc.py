"""virtio-rng feeds /dev/hwrng; virtio-console carries text both ways over a socket chardev."""
import os
import socket
import tempfile
import time
import unittest

from vireo_guest import GuestTestCase


class VirtioMisc(GuestTestCase):
    def test_rng_feeds_hwrng(self):
        guest = self.boot("-device", "virtio-rng-pci")
        status, out = guest.run("cat /sys/devices/virtual/misc/hw_random/rng_current")
        self.assertIn("virtio_rng", out)
        status, out = guest.run("head -c 65536 /dev/hwrng | gzip -c | wc -c")
        self.assertEqual(status, 0)
        self.assertGreater(int(out), 65000)  # random data does not compress

    def test_console_both_ways(self):
        path = os.path.join(tempfile.mkdtemp(), "console.sock")
        guest = self.boot("-chardev", f"socket,id=c0,path={path},server=on,wait=off",
                          "-device", "virtio-serial-pci", "-device", "virtconsole,chardev=c0")
        self.assertEqual(guest.run("ls /dev/hvc0")[0], 0)
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(path)
            client.settimeout(30)
            time.sleep(0.5)
            guest.run("stty -F /dev/hvc0 raw -echo; echo guest-to-host > /dev/hvc0")
            received = b""
            while b"guest-to-host" not in received:
                received += client.recv(100)
            guest.send("head -n 1 /dev/hvc0 > /tmp/line &\n")
            time.sleep(1)
            client.sendall(b"host-to-guest\n")
            time.sleep(1)
            self.assertEqual(guest.run("cat /tmp/line")[1], "host-to-guest")


if __name__ == "__main__":
    unittest.main(verbosity=2)
