"""The screen, keyboard and mouse over VNC with real guests: what a VNC client sees is checked
against what the guest itself holds (its text console's buffer, its framebuffer's pixels), keys
typed in the client run a command in the guest, and the client's pointer reaches the guest's
PS/2 mouse driver. Two boots: SeaBIOS with its VGA BIOS booting an extlinux disk (the text
console), and Debian's generic kernel on bochs-drm (the linear framebuffer)."""
import base64
import gzip
import os
import socket
import struct
import tempfile
import time
import unittest

from rfb_client import RfbClient
from test_firmware import BOOT, FIRMWARE_BOOT_TIMEOUT, plain
from vireo_guest import CACHE, Guest, GuestTestCase

DISPLAY_KERNEL = os.path.join(CACHE, "display/vmlinuz")
DISPLAY_INITRD = os.path.join(CACHE, "display/initrd.gz")

# The text-mode palette the VGA BIOS loads (IBM's 16 colours, 6-bit DAC values scaled to 8 bits;
# a renderer may scale 0x2a to 0xa8 or 0xaa, so colours compare within a small distance).
TEXT_PALETTE = [0x000000, 0x0000AA, 0x00AA00, 0x00AAAA, 0xAA0000, 0xAA00AA, 0xAA5500, 0xAAAAAA,
                0x555555, 0x5555FF, 0x55FF55, 0x55FFFF, 0xFF5555, 0xFF55FF, 0xFFFF55, 0xFFFFFF]


def free_display():
    for display in range(40, 99):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", 5900 + display))
                return display
            except OSError:
                continue
    raise AssertionError("no free VNC display")


def near(a, b, slack=6):
    return all(abs(((a >> s) & 0xFF) - ((b >> s) & 0xFF)) <= slack for s in (0, 8, 16))


def read_guest_file(guest, path):
    """A guest file's bytes, gzipped and base64-encoded on its console (few bytes on the wire)."""
    status, out = guest.run(f"gzip -c {path} | base64")
    if status != 0:
        raise AssertionError(f"cannot read {path} in the guest: {out}")
    return gzip.decompress(base64.b64decode("".join(out.split())))


class DisplayTestCase(GuestTestCase):
    def start(self, *extra, **options):
        """A guest started without waiting for it: the VNC client may connect meanwhile."""
        guest = Guest(*extra, **options)
        self.addCleanup(guest.kill)
        return guest

    def tmpdir(self):
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        return directory.name


class VgaTextConsole(DisplayTestCase):
    def test_seabios_screen_and_kernel_console_over_vnc_and_keys_typed_in_the_client(self):
        """SeaBIOS with its VGA BIOS boots the extlinux disk with -vnc: the screen a VNC client
        sees is, cell by cell, the guest's own text console buffer (/dev/vcsa1): the SeaBIOS
        lines, the boot loader's, and a line the guest writes to tty1, each character's cell
        with foreground pixels in the attribute's colour exactly where the character is not
        blank. Keys typed in the client (Shift included) reach a shell reading tty1, which runs
        the command; so do keys sent as QEMU extended key events (scan codes, no keysyms)."""
        display = free_display()
        guest = self.start("-drive", f"file={os.path.join(BOOT, 'extlinux.raw')},format=raw,if=ide,snapshot=on",
                           "-vnc", f"127.0.0.1:{display}", kernel=None, shell="serial")
        guest.expect("vireo-guest: ready", FIRMWARE_BOOT_TIMEOUT)
        guest.run("true")
        self.assertIn("Booting from Hard Disk", plain(guest.text()))
        status, _ = guest.run("echo VIREO-SCREEN-MARK > /dev/tty1")
        self.assertEqual(status, 0)

        client = RfbClient(5900 + display)
        self.addCleanup(client.close)
        self.assertEqual(client.name, "vireo")
        time.sleep(0.5)  # the display refresh runs every few tens of milliseconds
        client.screenshot()
        screen = read_guest_file(guest, "/dev/vcsa1")
        rows, cols, cursor_x, cursor_y = screen[0], screen[1], screen[2], screen[3]
        cells = screen[4:]
        text = "\n".join("".join(chr(cells[(r * cols + c) * 2]) for c in range(cols)) for r in range(rows))
        self.assertEqual((rows, cols), (25, 80), text)
        self.assertIn("SeaBIOS", text)
        self.assertIn("VIREO-SCREEN-MARK", text)
        self.assertEqual((client.width, client.height), (720, 400), "80x25 with 9x16 cells")
        cell_w, cell_h = client.width // cols, client.height // rows
        mismatches = []
        glyphs_checked = 0
        for r in range(rows):
            for c in range(cols):
                char, attr = cells[(r * cols + c) * 2], cells[(r * cols + c) * 2 + 1]
                if (c, r) == (cursor_x, cursor_y) or attr & 0x80:
                    continue  # the cursor and blinking cells change with time
                fg, bg = TEXT_PALETTE[attr & 0x0F], TEXT_PALETTE[(attr >> 4) & 0x07]
                colours = {client.pixel(c * cell_w + x, r * cell_h + y) for x in range(cell_w) for y in range(cell_h)}
                stray = [p for p in colours if not near(p, fg) and not near(p, bg)]
                has_fg = any(near(p, fg) for p in colours) and not near(fg, bg)
                blank = char in (0x00, 0x20, 0xFF)
                glyphs_checked += 0x20 < char < 0x7F
                if stray or (blank and has_fg) or (0x20 < char < 0x7F and not has_fg):
                    mismatches.append(f"row {r} col {c}: {chr(char)!r} attr {attr:#04x} colours "
                                      f"{sorted(f'{p:06x}' for p in colours)[:4]}")
        self.assertEqual(mismatches[:10], [], f"screen text:\n{text}")
        self.assertGreater(glyphs_checked, 40, text)

        # A shell on tty1, fed by the client's keyboard.
        guest.run("(setsid sh -c 'exec sh </dev/tty1 >/dev/tty1 2>&1' &)")
        client.type_text("echo Typed-$((6*7)) > /tmp/typed\n")
        deadline = time.monotonic() + 60
        out = ""
        while time.monotonic() < deadline:
            _, out = guest.run("cat /tmp/typed 2>/dev/null")
            if out:
                break
            time.sleep(1)
        self.assertEqual(out, "Typed-42")

        # A client that asks for whole screens and never reads them holds the display thread
        # only: the serial console (on the event loop) and the other client go on.
        stuck = RfbClient(5900 + display)
        self.addCleanup(stuck.close)
        stuck.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        for _ in range(32):
            stuck.sock.sendall(struct.pack(">BBHHHH", 3, 0, 0, 0, stuck.width, stuck.height))
        started = time.monotonic()
        status, _ = guest.run("true")
        self.assertEqual(status, 0)
        self.assertLess(time.monotonic() - started, 30)

        # QEMU's extended key event: the same shell, typed as scan codes with no keysyms.
        self.assertTrue(client.offer_qemu_keys(), "the server did not acknowledge the extended key event")
        client.type_scan_codes("echo \"Scan $((6*7))\" > /tmp/scanned\n")
        deadline = time.monotonic() + 60
        out = ""
        while time.monotonic() < deadline:
            _, out = guest.run("cat /tmp/scanned 2>/dev/null")
            if out:
                break
            time.sleep(1)
        self.assertEqual(out, "Scan 42")
        stuck.close()


class BochsFramebuffer(DisplayTestCase):
    def test_bochs_drm_framebuffer_pixels_resize_and_mouse_over_vnc(self):
        """Debian's generic kernel on the std VGA (-vga std -vnc): bochs-drm sets 1024x768x32 and
        the client, connected since before, is told of the resize; fbcon's console scrolls, and a
        client that offered CopyRect (as TigerVNC and noVNC do) gets the scrolls as copies and
        ends with the screen that a fresh whole-screen update shows; a pattern the guest writes to
        /dev/fb0 reaches the client pixel for pixel; the client's pointer (moves and a click)
        arrives in the guest through the PS/2 mouse (psmouse, /dev/input/mice)."""
        width, height = 1024, 768
        pattern = bytearray(width * height * 4)
        for y in range(height):
            for x in range(width):
                i = (y * width + x) * 4
                pattern[i:i + 4] = bytes(((x * 7 + y) & 0xFF, (y * 3) & 0xFF, (x ^ y) & 0xFF, 0))
        disk = os.path.join(self.tmpdir(), "pattern.raw")
        with open(disk, "wb") as f:
            f.write(pattern)
        display = free_display()
        guest = self.start("-vga", "std", "-vnc", f"127.0.0.1:{display}",
                           "-drive", f"file={disk},format=raw,if=virtio,readonly=on",
                           kernel=DISPLAY_KERNEL, initrd=DISPLAY_INITRD, shell="hvc")
        client = RfbClient(5900 + display)
        self.addCleanup(client.close)
        first = (client.width, client.height)
        guest.wait_ready(300)
        status, out = guest.run("cat /sys/class/graphics/fb0/virtual_size /sys/class/graphics/fb0/stride "
                                "/sys/class/graphics/fb0/bits_per_pixel; cat /proc/fb")
        self.assertEqual(status, 0, out)
        self.assertIn("bochs", out)
        self.assertEqual(out.split()[:3], [f"{width},{height}", str(width * 4), "32"], out)
        # The console scrolls a line at a time (its cursor steady) while a client that offered
        # CopyRect follows it with incremental updates, until the screen stays still; it ends
        # with what a new client's whole-screen update shows.
        copier = RfbClient(5900 + display, copyrect=True)
        self.addCleanup(copier.close)
        copier.screenshot()
        status, out = guest.run("echo 0 > /sys/class/graphics/fbcon/cursor_blink && "
                                "(for i in $(seq 1 100); do echo scrolled line $i; sleep 0.05; done > /dev/tty1 &)")
        self.assertEqual(status, 0, out)
        copier.sock.settimeout(3)
        try:
            for _ in range(2000):
                copier.update(incremental=True)
        except socket.timeout:
            pass  # nothing changed for 3 s
        copier.close()
        observer = RfbClient(5900 + display)
        self.addCleanup(observer.close)
        observer.screenshot()
        observer.close()
        self.assertGreater(copier.copies, 10, "the scrolls did not come as CopyRects")
        wrong = [i // 4 for i in range(0, len(observer.pixels), 4) if observer.pixels[i:i + 3] != copier.pixels[i:i + 3]]
        self.assertEqual(len(wrong), 0, f"{len(wrong)} pixels differ after {copier.copies} copies, first at "
                         f"{[(p % width, p // width) for p in wrong[:5]]}")

        # fbcon off the framebuffer (its cursor would draw over the pattern), then the pattern.
        status, out = guest.run("for v in /sys/class/vtconsole/vtcon*; do grep -q 'frame buffer' $v/name && "
                                "echo 0 > $v/bind; done; dd if=/dev/vda of=/dev/fb0 bs=1M 2>&1")
        self.assertEqual(status, 0, out)
        time.sleep(1)  # the driver's damage worker, then the display refresh
        client.screenshot()
        self.assertNotEqual(first, (width, height), "the screen started in another mode")
        self.assertIn((width, height), client.resizes)
        self.assertEqual((client.width, client.height), (width, height))
        wrong = [i // 4 for i in range(0, len(pattern), 4) if client.pixels[i:i + 3] != pattern[i:i + 3]]
        self.assertEqual(len(wrong), 0, f"{len(wrong)} pixels differ, first at "
                         f"{[(p % width, p // width) for p in wrong[:5]]}")

        # The pointer: the guest reads three PS/2 packets from /dev/input/mice.
        guest.run("(dd if=/dev/input/mice bs=3 count=3 2>/dev/null | hexdump -v -e '3/1 \"%02x \" \"\\n\"' "
                  "> /tmp/mouse &)")
        time.sleep(1)
        client.pointer(100, 100)
        client.pointer(140, 60)
        client.pointer(140, 60, buttons=1)
        client.pointer(140, 60, buttons=0)
        deadline = time.monotonic() + 30
        packets = []
        while time.monotonic() < deadline and len(packets) < 3:
            time.sleep(1)
            _, out = guest.run("cat /tmp/mouse")
            packets = [[int(b, 16) for b in line.split()] for line in out.splitlines() if line.strip()]
        self.assertGreaterEqual(len(packets), 3, out)
        self.assertTrue(any(p[0] & 1 for p in packets), f"no left button in {packets}")
        self.assertTrue(any(p[1] != 0 or p[2] != 0 for p in packets), f"no motion in {packets}")


class VirtioInput(DisplayTestCase):
    def test_virtio_tablet_and_keyboard_take_the_clients_pointer_and_keys(self):
        """With -device virtio-tablet-pci and virtio-keyboard-pci, the client's pointer reaches
        the guest as absolute coordinates on the tablet (scaled to 0..32767 over the screen) and
        its keys as evdev key codes on the virtio keyboard, read from their /dev/input/event*."""
        display = free_display()
        guest = self.start("-vnc", f"127.0.0.1:{display}", "-device", "virtio-tablet-pci",
                           "-device", "virtio-keyboard-pci", kernel=DISPLAY_KERNEL, initrd=DISPLAY_INITRD,
                           shell="hvc")
        guest.wait_ready(300)
        status, out = guest.run("for e in /sys/class/input/event*; do echo ${e##*/} $(cat $e/device/name); done")
        devices = {line.split(" ", 1)[1]: line.split(" ", 1)[0] for line in out.splitlines() if " " in line}
        self.assertIn("QEMU Virtio Tablet", devices, out)
        self.assertIn("QEMU Virtio Keyboard", devices, out)
        tablet, keyboard = devices["QEMU Virtio Tablet"], devices["QEMU Virtio Keyboard"]
        guest.run(f"(dd if=/dev/input/{tablet} bs=24 count=3 of=/tmp/tablet 2>/dev/null &); "
                  f"(dd if=/dev/input/{keyboard} bs=24 count=4 of=/tmp/keys 2>/dev/null &)")
        client = RfbClient(5900 + display)
        self.addCleanup(client.close)
        client.screenshot()
        width, height = client.width, client.height
        time.sleep(1)
        client.pointer(width // 2, height // 4)
        client.key(ord("a"), True)
        client.key(ord("a"), False)

        def events(path, count):
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                _, size = guest.run(f"stat -c %s {path} 2>/dev/null")
                if size.strip() == str(count * 24):
                    break
                time.sleep(1)
            data = read_guest_file(guest, path)
            # struct input_event on x86-64: a timeval (two longs), type, code, value.
            return [struct.unpack("<qqHHi", data[i:i + 24])[2:] for i in range(0, len(data) - 23, 24)]

        ev_key, ev_abs, abs_x, abs_y, key_a = 1, 3, 0, 1, 30
        tablet_events = events("/tmp/tablet", 3)  # ABS_X, ABS_Y, SYN_REPORT
        positions = {code: value for kind, code, value in tablet_events if kind == ev_abs}
        self.assertIn(abs_x, positions, tablet_events)
        self.assertAlmostEqual(positions[abs_x], (width // 2) * 32767 // (width - 1), delta=64)
        self.assertAlmostEqual(positions[abs_y], (height // 4) * 32767 // (height - 1), delta=64)
        key_events = [(code, value) for kind, code, value in events("/tmp/keys", 4) if kind == ev_key]
        self.assertEqual(key_events, [(key_a, 1), (key_a, 0)])


if __name__ == "__main__":
    unittest.main(verbosity=2)
