"""virtio-blk on raw images: the guest mounts a disk the host made, reads known content,
writes a file that the host reads back after shutdown, and cannot write a read-only drive."""
import hashlib
import os
import subprocess
import tempfile
import unittest

from vireo_guest import GuestTestCase


def make_ext4(path, files, size_mb=64):
    """An ext4 image holding files (name -> bytes), made with mkfs.ext4 -d."""
    with tempfile.TemporaryDirectory() as root:
        for name, data in files.items():
            with open(os.path.join(root, name), "wb") as f:
                f.write(data)
        subprocess.run(["mkfs.ext4", "-q", "-F", "-d", root, path, f"{size_mb}M"], check=True, capture_output=True)


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read_ext4_file(path, name):
    return subprocess.run(["debugfs", "-R", f"cat /{name}", path], check=True, capture_output=True).stdout


class VirtioBlk(GuestTestCase):
    shell = "hvc"  # I/O with a busy console: see Guest

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        self.payload = os.urandom(3 * 1024 * 1024 + 123)
        self.image = os.path.join(self.dir.name, "disk.img")
        make_ext4(self.image, {"payload.bin": self.payload})

    def test_mount_read_write_and_read_back_on_host(self):
        guest = self.boot("-drive", f"file={self.image},format=raw,if=virtio")
        self.assertEqual(guest.run("mount -t ext4 /dev/vda /mnt")[0], 0)
        status, out = guest.run("sha256sum /mnt/payload.bin")
        self.assertEqual(out.split()[0], hashlib.sha256(self.payload).hexdigest())
        # the guest writes a file from its own random source; the host must see the same bytes
        guest.run("head -c 1048576 /dev/urandom > /mnt/written.bin")
        status, out = guest.run("sha256sum /mnt/written.bin")
        guest_sum = out.split()[0]
        self.assertEqual(guest.run("umount /mnt && sync")[0], 0)
        guest.send("poweroff -f\n")
        self.assertEqual(guest.wait_exit(), 0)
        self.assertEqual(hashlib.sha256(read_ext4_file(self.image, "written.bin")).hexdigest(), guest_sum)

    def test_device_syntax_with_io_uring_and_cache_none(self):
        guest = self.boot("-drive", f"file={self.image},format=raw,if=none,id=d0,cache=none,aio=io_uring",
                          "-device", "virtio-blk-pci,drive=d0")
        self.assertEqual(guest.run("mount -t ext4 /dev/vda /mnt")[0], 0)
        status, out = guest.run("sha256sum /mnt/payload.bin")
        self.assertEqual(out.split()[0], hashlib.sha256(self.payload).hexdigest())
        self.assertEqual(guest.run("dd if=/dev/zero of=/mnt/z bs=64k count=64 conv=fsync 2>/dev/null")[0], 0)
        self.assertEqual(guest.run("rm /mnt/z && umount /mnt")[0], 0)

    def test_read_only_drive_refuses_writes(self):
        before = sha256_file(self.image)
        guest = self.boot("-drive", f"file={self.image},format=raw,if=virtio,readonly=on")
        self.assertEqual(guest.run("cat /sys/block/vda/ro")[1], "1")
        self.assertNotEqual(guest.run("dd if=/dev/zero of=/dev/vda bs=4096 count=1 oflag=direct 2>/dev/null")[0], 0)
        self.assertEqual(guest.run("mount -t ext4 -o ro /dev/vda /mnt")[0], 0)
        status, out = guest.run("sha256sum /mnt/payload.bin")
        self.assertEqual(out.split()[0], hashlib.sha256(self.payload).hexdigest())
        guest.send("poweroff -f\n")
        self.assertEqual(guest.wait_exit(), 0)
        self.assertEqual(sha256_file(self.image), before)

    def test_partition_and_format_a_blank_disk(self):
        blank = os.path.join(self.dir.name, "blank.img")
        with open(blank, "wb") as f:
            f.truncate(32 * 1024 * 1024)
        guest = self.boot("-drive", f"file={blank},format=raw,if=virtio")
        self.assertEqual(guest.run("echo -e 'n\\np\\n1\\n\\n\\nw' | fdisk /dev/vda >/dev/null 2>&1; "
                                   "sleep 1; ls /dev/vda1")[0], 0)
        self.assertEqual(guest.run("mke2fs -q /dev/vda1 && mount /dev/vda1 /mnt && echo hi > /mnt/f && umount /mnt")[0], 0)

    def test_missing_image_is_refused_before_boot(self):
        from vireo_guest import vireo, KERNEL
        status, out, err = vireo("-kernel", KERNEL, "-nographic", "-drive",
                                 f"file={self.dir.name}/nope.img,format=raw,if=virtio")
        self.assertEqual(status, 1)
        self.assertIn("nope.img", err)
        self.assertEqual(len(err.strip().splitlines()), 1)

    def test_image_in_use_is_locked(self):
        guest = self.boot("-drive", f"file={self.image},format=raw,if=virtio")
        from vireo_guest import vireo, KERNEL
        status, out, err = vireo("-kernel", KERNEL, "-nographic", "-drive", f"file={self.image},format=raw,if=virtio")
        self.assertEqual(status, 1)
        self.assertIn("locked", err)
        guest.run("true")


if __name__ == "__main__":
    unittest.main(verbosity=2)
