"""Bad options and bad kernels: one clear line on stderr and exit status 1."""
import tempfile
import unittest

from vireo_guest import KERNEL, vireo


class BadInput(unittest.TestCase):
    def check(self, expected, *args):
        status, out, err = vireo(*args)
        self.assertEqual(status, 1, err)
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertIn(expected, lines[0])

    def test_unknown_option(self):
        self.check("vireo: -foo: unsupported option", "-foo")

    def test_bad_memory_sizes(self):
        self.check("-m", "-kernel", KERNEL, "-m", "0")
        self.check("-m", "-kernel", KERNEL, "-m", "12X")

    def test_bad_cpu_count(self):
        self.check("-smp", "-kernel", KERNEL, "-smp", "0")

    def test_missing_kernel(self):
        self.check("/nonexistent/vmlinuz", "-kernel", "/nonexistent/vmlinuz")

    def test_kernel_that_is_a_directory(self):
        self.check("/tmp", "-kernel", "/tmp")

    def test_not_a_kernel(self):
        with tempfile.NamedTemporaryFile(suffix=".bin") as bogus:
            bogus.write(b"this is not a kernel" * 100)
            bogus.flush()
            self.check("not a Linux kernel", "-kernel", bogus.name, "-nographic")

    def test_empty_kernel(self):
        with tempfile.NamedTemporaryFile() as empty:
            self.check("not a Linux kernel", "-kernel", empty.name, "-nographic")

    def test_bad_monitor_options(self):
        self.check("-qmp stdio: unsupported QMP socket", "-qmp", "stdio")
        self.check("-qmp unix:/x: only a listening socket", "-qmp", "unix:/x")
        self.check("-uuid x: invalid UUID", "-uuid", "x")
        self.check("-mon chardev=nope,mode=control: chardev 'nope' not found", "-mon", "chardev=nope,mode=control")
        # Sockets are opened before the guest is built: a bad one is the only error.
        self.check("cannot listen on /nonexistent/q.sock", "-qmp", "unix:/nonexistent/q.sock,server=on,wait=off")
        self.check("fd 99 is not a socket", "-chardev", "socket,id=m,fd=99,server=on,wait=off",
                   "-mon", "chardev=m,mode=control")

    def test_version_and_help(self):
        status, out, _ = vireo("-version")
        self.assertEqual(status, 0)
        self.assertIn("vireo", out.lower())
        status, out, _ = vireo("-h")
        self.assertEqual(status, 0)
        self.assertIn("-kernel", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
