#!/usr/bin/env python3
"""Writes the seed inputs of the register-interface and virtio fuzz targets to fuzz/corpus/.

Each seed is a short, valid program in its target's input format (see the comment at the top of
fuzz/<target>_fuzz.cpp): the driver sequences a guest really uses, so that a campaign starts
from deep states instead of rediscovering them. Run it again after changing an input format.
Other files in those directories (inputs that once tripped a check) are left as they are.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def op(modulus, kind, **bits):
    """The smallest opcode byte b with b % modulus == kind and the given bit fields, e.g.
    op(5, 0, width=1) for a target that reads the width from bits 4:3 (access_width(op >> 3))."""
    for b in range(256):
        if b % modulus != kind:
            continue
        if all(((b >> shift) & mask) == value for (shift, mask), value in
               ((FIELDS[name], value) for name, value in bits.items())):
            return b
    raise ValueError(f"no opcode for {modulus} {kind} {bits}")


# Bit fields of opcode bytes as the targets read them: (shift, mask).
FIELDS = {
    "w3": (3, 3),    # access_width(op >> 3): 0 -> 1 byte, 1 -> 2, 2 -> 4
    "w5": (5, 3),    # access_width(op >> 5)
    "b7": (7, 1),
    "b6": (6, 1),
    "b5": (5, 1),
    "b4": (4, 1),
}


def write(target, name, data):
    directory = os.path.join(HERE, "corpus", target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(bytes(data))


def serial():
    def out(reg, value):
        return [op(5, 0, w3=0), reg, value]

    def inp(reg):
        return [op(5, 2, w3=0), reg]

    setup = out(3, 0x83) + out(0, 0x01) + out(1, 0x00) + out(3, 0x03) + out(2, 0xc7) + out(1, 0x0f) + out(4, 0x0b)
    write("serial_16550", "init_transmit_receive",
          setup + out(0, ord("h")) + out(0, ord("i")) + inp(2) + inp(5)
          + [op(5, 3), 3] + list(b"ok\n") + inp(2) + inp(0) + inp(0) + inp(5) + inp(6))
    write("serial_16550", "loopback", setup + out(4, 0x1f) + out(0, 0x55) + inp(5) + inp(0) + inp(6) + inp(2))
    write("serial_16550", "fifo_overrun",
          out(2, 0x01) + [op(5, 3), 20] + list(range(20)) + inp(5) + inp(2) + out(2, 0x00) + [op(5, 3), 4] + list(b"abcd")
          + inp(5) + [op(5, 4, b7=1)])


def cmos():
    def out(port, value):
        return [op(5, 0, b6=0), port, value, 0]

    def read(index):
        return out(0, index) + [op(5, 2, b6=0), 1]

    time = sum((read(i) for i in (0, 2, 4, 6, 7, 8, 9, 0x0a, 0x0b, 0x0c, 0x0d, 0x32)), [])
    write("cmos_rtc", "read_clock", [0] + time + [op(5, 0, b6=1), 0, 0, 0])
    set_time = (out(0, 0x0b) + out(1, 0x82) + out(0, 0) + out(1, 0x30) + out(0, 2) + out(1, 0x59) + out(0, 4)
                + out(1, 0x23) + out(0, 7) + out(1, 0x31) + out(0, 8) + out(1, 0x12) + out(0, 9) + out(1, 0x99)
                + out(0, 0x0b) + out(1, 0x02))
    write("cmos_rtc", "set_time_then_tick",
          [1] + set_time + [op(5, 3, b6=1)] + list(struct.pack("<I", 1_000_000_000)) + [2] + time)
    write("cmos_rtc", "binary_12h",
          [0] + out(0, 0x0b) + out(1, 0x84) + out(0, 4) + out(1, 0x8c) + out(0, 0x0b) + out(1, 0x04) + time
          + [op(5, 4), 0x40, 0x12, op(5, 2, b6=1), 0])


def i8042():
    cmd = lambda c: [op(8, 0, b7=1), c]
    data = lambda v: [op(8, 1), v]
    mouse = lambda v: [op(8, 2, b7=1), 0, v]
    read = [op(8, 4, b6=0, b7=0)]
    status = [op(8, 4, b6=1, b7=0)]
    probe = (cmd(0xaa) + read + cmd(0x20) + read + cmd(0x60) + data(0x47) + cmd(0xab) + read + cmd(0xa8) + cmd(0xa9)
             + read + data(0xff) + read + read + data(0xf2) + read + read + read)
    write("i8042", "linux_probe", probe + status)
    knock = mouse(0xf3) + read + mouse(200) + read + mouse(0xf3) + read + mouse(100) + read + mouse(0xf3) + read \
        + mouse(80) + read + mouse(0xf2) + read + read
    write("i8042", "intellimouse",
          cmd(0xa8) + mouse(0xff) + read + read + read + knock + mouse(0xf4) + read
          + [op(8, 6, b7=0, b4=0)] + list(struct.pack("<IH", 5, 0x8000 - 3)) + [1, 1] + read * 4 + status)
    write("i8042", "keyboard",
          data(0xed) + read + data(0x07) + read + data(0xf0) + read + data(0x02) + read
          + [op(8, 6, b7=1, b6=0, b5=1, b4=0), 0x1e] + read + read + [op(8, 6, b7=1, b6=1, b5=0, b4=0), 0x1d] + read * 3)
    write("i8042", "reset_pulse", cmd(0xd1) + data(0x03) + cmd(0xd0) + read + cmd(0xfe))


def pm():
    def out(offset, value, width):
        return [op(7, 0, w3={1: 0, 2: 1, 4: 2}[width]), offset] + list(value.to_bytes(width, "little"))

    def read(offset, width):
        return [op(7, 2, w3={1: 0, 2: 1, 4: 2}[width]), offset]

    write("piix4_pm", "power_button",
          out(2, 0x0100, 2) + [op(7, 3)] + read(0, 2) + out(0, 0x0100, 2) + read(0, 2) + read(4, 2))
    write("piix4_pm", "shutdown", out(4, 0x0001, 2) + out(4, 0x3401, 2))
    config = lambda offset, width: [op(7, 5, b7=0, w3={1: 0, 2: 1, 4: 2}[width]), offset]
    write("piix4_pm", "config_and_timer",
          config(0, 4) + config(0x40, 4) + [op(7, 5, b7=1, w3=2), 0x40, 0x01, 0x06, 0, 0] + config(0x40, 4)
          + config(0x80, 1) + [op(7, 4, w3=2)] + list(struct.pack("<I", 123456)) + [0] + [op(7, 6)])


def pci():
    def address(function, register, fn=0):
        return [op(10, 0, b7=function), 0x00, fn, register]

    def data_read(width):
        return [op(10, 2, w5={1: 0, 2: 1, 4: 2}[width]), 4]

    def data_write(value, width):
        return [op(10, 1, w5={1: 0, 2: 1, 4: 2}[width]), 4] + list(value.to_bytes(width, "little"))

    enumerate_ = []
    for function in (0, 1):
        enumerate_ += address(function, 0) + data_read(4) + address(function, 0x34) + data_read(1)
        enumerate_ += address(function, 0x10) + data_write(0xffffffff, 4) + data_read(4)
        enumerate_ += data_write(0xc0000000 + 0x100000 * (function + 4), 4) + address(function, 4) + data_write(0x7, 2)
    write("pci", "enumerate_and_move_bars", enumerate_)
    # MSI-X: enable it in Message Control, unmask a vector in the table (BAR 0 of the virtio function).
    msix = address(0, 0x40) + data_read(4) + address(0, 0x34) + data_read(1)
    msix += [op(10, 3, b7=0, w5=1, b4=0), 0x42, 0x00, 0x80]
    msix += [op(10, 5, b7=0, w5=2), 0] + list(struct.pack("<I", 0x2000)) + list(struct.pack("<I", 0xfee00000))
    msix += [op(10, 5, b7=0, w5=2), 0] + list(struct.pack("<I", 0x200c)) + [0, 0, 0, 0]
    msix += [op(10, 8, b7=0), 0, 0] + [op(10, 6, b7=0, w5=2), 0] + list(struct.pack("<I", 0x3000))
    write("pci", "msix_enable_unmask", msix)
    write("pci", "virtio_status", [op(10, 5, b7=1, w5=0), 0, 0x14, 0, 0, 0, 0x0f, op(10, 6, b7=1, w5=0), 0, 0x14, 0, 0, 0]
          + [op(10, 9, b7=1)])


def ring(queue_size, descriptors, heads):
    """write_ring's layout: queue_size descriptors {u16 addr, u16 len, u8 flags, u8 next}, a
    count byte and the head bytes."""
    out = []
    for i in range(queue_size):
        addr, length, flags, next_ = descriptors[i] if i < len(descriptors) else (0, 0, 0, 0)
        out += list(struct.pack("<HHBB", addr, length, flags, next_))
    return out + [len(heads)] + heads


def virtio():
    write_flag, next_flag = 2, 1
    write("virtio_rng", "one_request", ring(16, [(0x1000, 64, write_flag, 0)], [0]) + [0])
    write("virtio_rng", "chained",
          ring(16, [(0x1000, 16, write_flag | next_flag, 1), (0x2000, 4096, write_flag, 0), (0x3000, 8, write_flag, 0)], [0, 2])
          + [3])
    rx = ring(8, [(0x1000, 32, write_flag, 0), (0x1020, 32, write_flag, 0)], [0, 1])
    tx = ring(8, [(0x1100, 5, next_flag, 1), (0x1105, 1, 0, 0)], [0])
    write("virtio_console", "echo", rx + tx + [0] + list(struct.pack("<H", 3)) + list(b"abc") + [0] * 0x100 + list(b"hello\n"))
    write("virtio_console", "input_before_driver", rx + tx + [1] + list(struct.pack("<H", 40)) + list(range(40)))


def keyval():
    write("keyval", "drive", [0] + list(b"file=disk.qcow2,if=virtio,format=qcow2,cache=none,aio=io_uring"))
    write("keyval", "implied_type", [3] + list(b"virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56"))
    write("keyval", "size", [1] + list(b"1.5G"))
    write("keyval", "command_line", [2] + list(b"-m\x00512M\x00-smp\x002\x00-drive\x00file=a.img,if=ide\x00-nographic"))


def scroll_finder():
    def frame(width, height, area, shift, moved_top, moved_rows, seed):
        palette = [0x000000, 0xaaaaaa, 0x5555ff, 0xffffff]
        head = [width - 1, height - 1] + list(area) + [shift & 0xff, moved_top, moved_rows]
        pixels, state = [], seed
        for _ in range(width * height // 4):
            state = (state * 1103515245 + 12345) & 0x7fffffff
            pixels.append((state >> 16) & 0xff)
        return head + [b for c in palette for b in struct.pack("<I", c)] + pixels
    # a console scrolled up by a 16-row line, and down by one
    write("scroll_finder", "scroll_up", frame(64, 64, (0, 0, 64, 64), 16, 0, 48, 1))
    write("scroll_finder", "scroll_down", frame(64, 64, (0, 0, 64, 64), -16, 16, 48, 2))
    # a window's columns scroll, a status line below stays
    write("scroll_finder", "window_and_status", frame(96, 80, (16, 0, 64, 80), 8, 0, 56, 3))


if __name__ == "__main__":
    serial()
    cmos()
    i8042()
    pm()
    pci()
    virtio()
    keyval()
    scroll_finder()
