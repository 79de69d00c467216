"""Network namespaces as hosts: a "data" host with a bridge, worker hosts joined to it by veth pairs.

Only namespaces this module creates get addresses (10.77.0.0/24 on the bridge inside the
data namespace); the root namespace is not touched. Names carry this process's pid, so
parallel runs do not collide, and everything is deleted afterwards.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import subprocess
import threading

CLONE_NEWNET = 0x40000000
SUBNET = "10.77.0"
DATA_IP = f"{SUBNET}.1"


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


def netns_exec(ns: str) -> list[str]:
    return ["ip", "netns", "exec", ns]


class Hosts:
    def __init__(self, n_hosts: int) -> None:
        tag = f"lc{os.getpid() % 100000}"
        self.data = f"{tag}-data"
        self.hosts = [f"{tag}-h{i + 1}" for i in range(n_hosts)]
        self.addresses = {h: f"{SUBNET}.{11 + i}" for i, h in enumerate(self.hosts)}

    def create(self) -> Hosts:
        ip("netns", "add", self.data)
        d = netns_exec(self.data)
        subprocess.run([*d, "ip", "link", "set", "lo", "up"], check=True)
        subprocess.run([*d, "ip", "link", "add", "br0", "type", "bridge"], check=True)
        subprocess.run([*d, "ip", "addr", "add", f"{DATA_IP}/24", "dev", "br0"], check=True)
        subprocess.run([*d, "ip", "link", "set", "br0", "up"], check=True)
        for host in self.hosts:
            ip("netns", "add", host)
            h = netns_exec(host)
            outer, inner = f"{host[-2:]}{os.getpid() % 10000}b", f"{host[-2:]}{os.getpid() % 10000}a"
            # created inside the data namespace, then one end moved to the host: nothing in the root namespace
            subprocess.run([*d, "ip", "link", "add", outer, "type", "veth", "peer", "name", inner], check=True)
            subprocess.run([*d, "ip", "link", "set", inner, "netns", host], check=True)
            subprocess.run([*d, "ip", "link", "set", outer, "master", "br0"], check=True)
            subprocess.run([*d, "ip", "link", "set", outer, "up"], check=True)
            subprocess.run([*h, "ip", "link", "set", "lo", "up"], check=True)
            subprocess.run([*h, "ip", "addr", "add", f"{self.addresses[host]}/24", "dev", inner], check=True)
            subprocess.run([*h, "ip", "link", "set", inner, "up"], check=True)
        return self

    def pids(self, ns: str) -> list[int]:
        out = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def kill_host(self, ns: str) -> int:
        """The host dies: every process in it gets SIGKILL at once, then its cable is cut."""
        killed = 0
        for _ in range(3):  # a supervisor may spawn a child while we kill
            for pid in self.pids(ns):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, 9)
                    killed += 1
        subprocess.run([*netns_exec(ns), "ip", "link", "set", "dev", "lo", "down"], capture_output=True)
        return killed

    def delete(self) -> None:
        for ns in [*self.hosts, self.data]:
            for pid in self.pids(ns):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, 9)
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def run_in_netns(ns: str, fn, *args):
    """Run ``fn(*args)`` in a new thread that has entered network namespace ``ns``.

    Network namespaces are per thread: sockets this thread opens (and the servers and
    child processes it starts) live in ``ns``; the rest of the test process stays put.
    """
    result: dict = {}

    def target():
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        with open(f"/var/run/netns/{ns}") as f:
            if libc.setns(f.fileno(), CLONE_NEWNET) != 0:
                result["error"] = OSError(ctypes.get_errno(), "setns failed")
                return
        try:
            result["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            result["error"] = exc

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")
