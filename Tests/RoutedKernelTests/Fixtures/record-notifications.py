#!/usr/bin/env python3
"""Re-records the kernel notifications the watch daemon reads (notify-*.hex): for each fixture, a socket bound
to rtnetlink's link, address and route groups and one joined to NFNLGRP_NFTABLES, as routed-hook watch binds
them, catch everything the kernel sends while the fixture's commands run in a throwaway namespace
(rhk-notify-PID, removed on exit). Each fixture is a comment per command, then the datagrams' bytes in hex
lines, as GoldenFixture reads them. Needs root, iproute2 and nftables."""
import ctypes
import os
import select
import socket
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NS = f"rhk-notify-{os.getpid()}"
# RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_IFADDR | RTMGRP_IPV6_ROUTE
RTNL_GROUPS = 0x1 | 0x10 | 0x40 | 0x100 | 0x400
NETLINK_NETFILTER, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, NFNLGRP_NFTABLES = 12, 270, 1, 7


def sh(*command):
    subprocess.run(command, check=True)


def nft(text):
    subprocess.run(["nft", "-f", "-"], input=text.encode(), check=True)


def record(name, *commands):
    """Binds both sockets, runs `commands` (each a list), then reads every datagram the kernel sent."""
    route = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    route.bind((0, RTNL_GROUPS))
    netfilter = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    netfilter.bind((0, 0))
    netfilter.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, NFNLGRP_NFTABLES)
    for command in commands:
        subprocess.run(command, check=True)
    data = b""
    # The notifications are queued before each command returns; one quiet 200 ms ends the fixture.
    while select.select([route, netfilter], [], [], 0.2)[0]:
        for sock in select.select([route, netfilter], [], [], 0)[0]:
            data += sock.recv(1 << 16)
    route.close()
    netfilter.close()
    with open(os.path.join(HERE, f"{name}.hex"), "w") as out:
        for command in commands:
            out.write("# " + " ".join(command) + "\n")
        for start in range(0, len(data), 16):
            out.write(" ".join(f"{byte:02x}" for byte in data[start:start + 16]) + "\n")
    print(f"{name}.hex: {len(data)} bytes", file=sys.stderr)


def main():
    subprocess.run(["ip", "netns", "add", NS], check=True)
    try:
        inner()
    finally:
        subprocess.run(["ip", "netns", "del", NS], check=True)


def inner():
    # The sockets must live in the namespace: this process enters it for the recording.
    with open(f"/run/netns/{NS}") as handle:
        if ctypes.CDLL(None, use_errno=True).setns(handle.fileno(), 0x40000000) != 0:  # CLONE_NEWNET
            raise OSError(ctypes.get_errno(), "setns")
    sh("ip", "link", "add", "br-ex", "type", "bridge")
    sh("ip", "link", "set", "br-ex", "up")
    sh("ip", "address", "add", "10.136.11.254/24", "dev", "br-ex")
    sh("ip", "address", "add", "fd00:10::1/64", "dev", "br-ex", "nodad")
    ip = lambda *args: ["ip", *args]
    record("notify-route4", ip("route", "add", "10.136.11.5/32", "dev", "br-ex", "proto", "151"),
           ip("route", "del", "10.136.11.5/32", "dev", "br-ex", "proto", "151"))
    record("notify-route6", ip("-6", "route", "add", "fd00:10::136:11:5/128", "dev", "br-ex", "proto", "151"),
           ip("-6", "route", "del", "fd00:10::136:11:5/128", "dev", "br-ex", "proto", "151"))
    sh("ip", "route", "add", "10.136.11.6/32", "dev", "br-ex", "proto", "151")
    record("notify-route-replaced", ip("route", "replace", "10.136.11.6/32", "dev", "br-ex", "proto", "static"))
    record("notify-route-subnet", ip("route", "add", "10.136.12.0/24", "dev", "br-ex", "proto", "151"),
           ip("route", "del", "10.136.12.0/24", "dev", "br-ex", "proto", "151"))
    record("notify-address4", ip("address", "del", "10.136.11.254/24", "dev", "br-ex"))
    record("notify-address6", ip("address", "del", "fd00:10::1/64", "dev", "br-ex"))
    record("notify-link", ip("tuntap", "add", "vnet7", "mode", "tap"), ip("link", "set", "vnet7", "up"),
           ip("link", "del", "vnet7"), ip("link", "set", "br-ex", "down"))
    nft("""table inet routed_hook {
      set guests { type ipv4_addr; elements = { 10.136.11.5 } }
      set egress { type ipv4_addr . ifname; elements = { 10.136.11.5 . "br-ex" } }
      set guests6 { type ipv6_addr; elements = { fd00:10::136:11:5 } }
      set egress6 { type ipv6_addr . ifname; elements = { fd00:10::136:11:5 . "br-ex" } }
      set ports { type inet_service; elements = { 22 } }
      chain forward { type filter hook forward priority 0; policy accept; iifname "br-ex" accept; }
    }
    table inet other { set guests { type ipv4_addr; elements = { 10.136.11.5 }; }; }""")
    nft_ = lambda text: ["nft", text]
    record("notify-nft-elements",
           nft_("delete element inet routed_hook guests { 10.136.11.5 }"),
           nft_('delete element inet routed_hook egress { 10.136.11.5 . "br-ex" }'),
           nft_("delete element inet routed_hook guests6 { fd00:10::136:11:5 }"),
           nft_('delete element inet routed_hook egress6 { fd00:10::136:11:5 . "br-ex" }'),
           nft_("delete element inet routed_hook ports { 22 }"),
           nft_("delete element inet other guests { 10.136.11.5 }"))
    record("notify-nft-objects",
           nft_("flush chain inet routed_hook forward"),
           nft_("delete chain inet routed_hook forward"),
           nft_("delete set inet routed_hook ports"),
           nft_("delete table inet routed_hook"),
           nft_("delete table inet other"))


if __name__ == "__main__":
    main()
