"""virtio-net: tap inside a network namespace this test creates, and libslirp user networking.
No traffic leaves the machine: the tap's peer is this namespace, slirp's is loopback."""
import ctypes
import hashlib
import http.server
import os
import socket
import subprocess
import threading
import time
import unittest
import uuid

from vireo_guest import Guest, GuestTestCase

GUEST_IP, HOST_IP = "192.168.77.2", "192.168.77.1"
CLONE_NEWNET = 0x40000000


def sh(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True, text=True)


class TapNetwork(GuestTestCase):
    """The guest's NIC on tap0 in a fresh namespace; this test's host side talks through it."""
    shell = "hvc"  # I/O with a busy console: see Guest

    def setUp(self):
        self.ns = f"vireo-{uuid.uuid4().hex[:8]}"
        sh("ip", "netns", "add", self.ns)
        self.addCleanup(sh, "ip", "netns", "del", self.ns, check=False)
        self.ns_exec = ["ip", "netns", "exec", self.ns]
        sh(*self.ns_exec, "ip", "tuntap", "add", "tap0", "mode", "tap", "vnet_hdr")
        sh(*self.ns_exec, "ip", "addr", "add", f"{HOST_IP}/24", "dev", "tap0")
        sh(*self.ns_exec, "ip", "link", "set", "tap0", "up")
        sh(*self.ns_exec, "ip", "link", "set", "lo", "up")

    def boot_in_namespace(self, *net_args):
        guest = Guest(*net_args, wrapper=self.ns_exec, shell=self.shell)
        self.addCleanup(guest.kill)
        guest.wait_ready()
        self.assertEqual(guest.run(f"ip addr add {GUEST_IP}/24 dev eth0 && ip link set eth0 up")[0], 0)
        return guest

    def in_namespace(self, function):
        """Runs function() with this thread inside the namespace (for sockets)."""
        result = {}

        def target():
            fd = os.open(f"/run/netns/{self.ns}", os.O_RDONLY)
            # os.setns needs Python 3.12; Debian 12 has 3.11, so call libc directly.
            if ctypes.CDLL(None, use_errno=True).setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns")
            os.close(fd)
            try:
                result["value"] = function()
            except Exception as error:  # reported by the test thread
                result["error"] = error

        thread = threading.Thread(target=target)
        thread.start()
        return thread, result

    def test_ping_both_ways_and_tcp_file_transfer(self):
        guest = self.boot_in_namespace("-netdev", "tap,id=n0,ifname=tap0,script=no,downscript=no",
                                       "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56")
        self.assertIn("52:54:00:12:34:56", guest.run("cat /sys/class/net/eth0/address")[1])
        status, out = guest.run(f"ping -c 3 -W 5 {HOST_IP}")
        self.assertEqual(status, 0, out)
        ping = sh(*self.ns_exec, "ping", "-c", "3", "-W", "5", GUEST_IP, check=False)
        self.assertEqual(ping.returncode, 0, ping.stdout + ping.stderr)

        # host -> guest: the guest listens, the host sends 4 MiB. busybox nc need not exit when
        # the peer closes, so the guest waits for the file to reach its size.
        data = os.urandom(4 * 1024 * 1024)
        # stdin from /dev/null: a background job that reads the console is stopped (SIGTTIN) the
        # moment it tries, and stops reading the socket with it.
        guest.send("nc -l -p 5001 < /dev/null > /tmp/in.bin &\n")
        time.sleep(1)

        def send():
            with socket.create_connection((GUEST_IP, 5001), timeout=30) as s:
                s.sendall(data)
        thread, result = self.in_namespace(send)
        thread.join(120)
        self.assertNotIn("error", result)
        status, out = guest.run(f"for i in $(seq 120); do [ $(stat -c %s /tmp/in.bin) -ge {len(data)} ] && break; "
                                "sleep 1; done; sha256sum /tmp/in.bin", timeout=180)
        self.assertEqual(out.split()[0], hashlib.sha256(data).hexdigest())

        # guest -> host: the host listens and reads as many bytes as the guest has
        def receive():
            with socket.socket() as server:
                server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                server.bind((HOST_IP, 5002))
                server.listen(1)
                server.settimeout(120)
                conn, _ = server.accept()
                conn.settimeout(120)
                chunks, received = [], 0
                with conn:
                    while received < len(data):
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        chunks.append(chunk)
                        received += len(chunk)
                return b"".join(chunks)
        thread, result = self.in_namespace(receive)
        time.sleep(0.5)
        guest.send(f"nc {HOST_IP} 5002 < /tmp/in.bin &\n")
        thread.join(150)
        self.assertNotIn("error", result)
        self.assertEqual(hashlib.sha256(result["value"]).hexdigest(), hashlib.sha256(data).hexdigest())

    def test_old_net_syntax_pairs_nic_and_tap(self):
        guest = self.boot_in_namespace("-net", "nic,model=virtio", "-net", "tap,ifname=tap0,script=no,downscript=no")
        status, out = guest.run(f"ping -c 2 -W 5 {HOST_IP}")
        self.assertEqual(status, 0, out)


class UserNetwork(GuestTestCase):
    shell = "hvc"  # I/O with a busy console: see Guest

    def test_fetch_from_host_loopback_and_hostfwd(self):
        payload = os.urandom(512 * 1024)

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.shutdown)
        port = server.server_address[1]
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            fwd_port = probe.getsockname()[1]

        guest = self.boot("-nic", f"user,hostfwd=tcp:127.0.0.1:{fwd_port}-:5003")
        self.assertEqual(guest.run("ip addr add 10.0.2.15/24 dev eth0 && ip link set eth0 up && "
                                   "ip route add default via 10.0.2.2")[0], 0)
        status, out = guest.run(f"wget -q -O /tmp/f http://10.0.2.2:{port}/payload && sha256sum /tmp/f")
        self.assertEqual(status, 0, out)
        self.assertEqual(out.split()[0], hashlib.sha256(payload).hexdigest())

        guest.send("echo hello-from-guest | nc -l -p 5003 &\n")
        time.sleep(1)
        with socket.create_connection(("127.0.0.1", fwd_port), timeout=30) as s:
            s.settimeout(30)
            self.assertEqual(s.recv(100).strip(), b"hello-from-guest")


if __name__ == "__main__":
    unittest.main(verbosity=2)
