"""A small RFB 3.8 client (RFC 6143) for the display tests: no authentication, raw encoding (so
that pixels compare exactly) and, when asked for, CopyRect (as real clients offer it), the DesktopSize pseudo-encoding (resizes are seen), key and
pointer events, and QEMU's extended key event (rfbproto: pseudo-encoding -258, then client
message 255/0 carrying the key's XT scan code). The screen is kept as 32-bit little-endian pixels
0x00RRGGBB."""
import socket
import struct
import time

ENCODING_RAW = 0
ENCODING_COPYRECT = 1
ENCODING_DESKTOP_SIZE = -223
ENCODING_QEMU_KEY_EVENT = -258

KEY_RETURN = 0xFF0D
KEY_SHIFT_L = 0xFFE1

# XT (scan code set 1) make codes of a US keyboard's keys, for the extended key event: the
# character typed unshifted, and the shifted ones with the key they are on.
XT_KEYS = {c: code for code, row in ((0x02, "1234567890-="), (0x10, "qwertyuiop[]"), (0x1E, "asdfghjkl;'`"),
                                     (0x2C, "zxcvbnm,./")) for code, c in enumerate(row, code)}
XT_KEYS.update({" ": 0x39, "\\": 0x2B, "\n": 0x1C})
XT_SHIFTED = dict(zip('!@#$%^&*()_+QWERTYUIOP{}ASDFGHJKL:"~ZXCVBNM<>?|',
                      '1234567890-=qwertyuiop[]asdfghjkl;\'`zxcvbnm,./\\'))
XT_SHIFT_L = 0x2A

class RfbClient:
    def __init__(self, port, host="127.0.0.1", timeout=30, copyrect=False):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.create_connection((host, port), timeout=timeout)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.resizes = []
        version = self._read(12)
        if not version.startswith(b"RFB 003."):
            raise ValueError(f"not an RFB server: {version!r}")
        self.sock.sendall(b"RFB 003.008\n")
        count = self._read(1)[0]
        if count == 0:
            raise ValueError("the server refused the connection")
        if 1 not in self._read(count):
            raise ValueError("the server wants authentication")
        self.sock.sendall(b"\x01")
        if struct.unpack(">I", self._read(4))[0] != 0:
            raise ValueError("security handshake failed")
        self.sock.sendall(b"\x01")  # ClientInit: shared
        self.width, self.height = struct.unpack(">HH", self._read(4))
        self._read(16)  # the server's pixel format: replaced below
        self.name = self._read(struct.unpack(">I", self._read(4))[0]).decode("utf-8", "replace")
        # SetPixelFormat: 32 bpp, depth 24, little endian, true colour, red at 16, green 8, blue 0.
        self.sock.sendall(struct.pack(">B3xBBBBHHHBBB3x", 0, 32, 24, 0, 1, 255, 255, 255, 16, 8, 0))
        self.encodings = [ENCODING_RAW, ENCODING_DESKTOP_SIZE] + ([ENCODING_COPYRECT] if copyrect else [])
        self._set_encodings(self.encodings)
        self.pixels = bytearray(self.width * self.height * 4)
        self.qemu_keys = False  # the server acknowledged the extended key event
        self.copies = 0  # CopyRect rectangles received

    def _set_encodings(self, encodings):
        self.sock.sendall(struct.pack(f">BxH{len(encodings)}i", 2, len(encodings), *encodings))

    def close(self):
        self.sock.close()

    def _read(self, count):
        data = bytearray()
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise ConnectionError("the server closed the connection")
            data += chunk
        return bytes(data)

    def update(self, incremental=False, request=True):
        """Asks for the screen (unless `request` is false) and reads one FramebufferUpdate
        (skipping other messages); returns the area its pixel and copy rectangles covered."""
        if request:
            self.sock.sendall(struct.pack(">BBHHHH", 3, 1 if incremental else 0, 0, 0, self.width, self.height))
        covered = 0
        while True:
            kind = self._read(1)[0]
            if kind == 0:
                break
            if kind == 2:  # Bell
                continue
            if kind == 3:  # ServerCutText
                self._read(3)
                self._read(struct.unpack(">I", self._read(4))[0])
                continue
            if kind == 1:  # SetColourMapEntries (not with true colour, but harmless)
                _, _, n = struct.unpack(">BHH", self._read(5))
                self._read(6 * n)
                continue
            raise ValueError(f"unexpected server message {kind}")
        self._read(1)
        for _ in range(struct.unpack(">H", self._read(2))[0]):
            x, y, w, h, encoding = struct.unpack(">HHHHi", self._read(12))
            if encoding == ENCODING_QEMU_KEY_EVENT:
                self.qemu_keys = True
            elif encoding == ENCODING_DESKTOP_SIZE:
                self.width, self.height = w, h
                self.pixels = bytearray(w * h * 4)
                self.resizes.append((w, h))
            elif encoding == ENCODING_RAW:
                covered += w * h
                data = self._read(w * h * 4)
                for row in range(h):
                    start = ((y + row) * self.width + x) * 4
                    self.pixels[start:start + w * 4] = data[row * w * 4:(row + 1) * w * 4]
            elif encoding == ENCODING_COPYRECT and ENCODING_COPYRECT in self.encodings:
                src_x, src_y = struct.unpack(">HH", self._read(4))
                view = memoryview(self.pixels)
                rows = [bytes(view[((src_y + row) * self.width + src_x) * 4:][:w * 4]) for row in range(h)]
                for row, data in enumerate(rows):
                    start = ((y + row) * self.width + x) * 4
                    self.pixels[start:start + w * 4] = data
                self.copies += 1
                covered += w * h
            else:
                raise ValueError(f"unexpected encoding {encoding}")
        return covered

    def screenshot(self):
        """The whole screen, after any resize the server announces first. libvncserver answers a
        request with a resize alone and keeps the request, so an update for the old request's
        area may come before the one asked for: updates are read until one covers the screen."""
        size = None
        covered = 0
        while size != (self.width, self.height):
            size = (self.width, self.height)
            covered = self.update(incremental=False)
        for _ in range(8):
            if covered >= self.width * self.height or size != (self.width, self.height):
                break
            covered = self.update(request=False)
        if size != (self.width, self.height):
            return self.screenshot()
        return self.pixels

    def pixel(self, x, y):
        start = (y * self.width + x) * 4
        return int.from_bytes(self.pixels[start:start + 3], "little")

    def key(self, keysym, down):
        self.sock.sendall(struct.pack(">BBxxI", 4, 1 if down else 0, keysym))

    def type_text(self, text):
        """Types text as a US keyboard's user would: Shift held for the shifted characters."""
        shifted = set('~!@#$%^&*()_+{}|:"<>?ABCDEFGHIJKLMNOPQRSTUVWXYZ')
        for char in text:
            keysym = KEY_RETURN if char == "\n" else ord(char)
            if char in shifted:
                self.key(KEY_SHIFT_L, True)
            self.key(keysym, True)
            self.key(keysym, False)
            if char in shifted:
                self.key(KEY_SHIFT_L, False)
            time.sleep(0.02)

    def offer_qemu_keys(self, timeout=10):
        """Announces the extended key event with the other encodings and waits for the server's
        acknowledgement (a rectangle in that pseudo-encoding, in an update of its own)."""
        self._set_encodings(self.encodings + [ENCODING_QEMU_KEY_EVENT])
        deadline = time.monotonic() + timeout
        while not self.qemu_keys and time.monotonic() < deadline:
            self.update(incremental=True)
        return self.qemu_keys

    def qemu_key(self, keycode, down, keysym=0):
        """An extended key event: the key's XT code (0xE0-prefixed keys as 0x80 | code)."""
        self.sock.sendall(struct.pack(">BBHII", 255, 0, 1 if down else 0, keysym, keycode))

    def type_scan_codes(self, text):
        """Types text as scan codes of a US keyboard's keys (keysym 0: the server must use the
        scan code alone)."""
        for char in text:
            shifted = char in XT_SHIFTED
            code = XT_KEYS[XT_SHIFTED.get(char, char)]
            if shifted:
                self.qemu_key(XT_SHIFT_L, True)
            self.qemu_key(code, True)
            self.qemu_key(code, False)
            if shifted:
                self.qemu_key(XT_SHIFT_L, False)
            time.sleep(0.02)

    def pointer(self, x, y, buttons=0):
        self.sock.sendall(struct.pack(">BBHH", 5, buttons, x, y))
