#!/usr/bin/env python3
"""NAT probes for the namespace lab (perf-scripts/lab/selftest.sh); no derphole involved.

  natprobe.py reflect --bind IP --udp-ports P1,P2 [--tcp-port P]
      In the public namespace: answers every UDP datagram on each port with the source "ip:port" it saw
      (a STUN-like reflector), and every TCP connection on P with the same line. Runs until SIGTERM.
  natprobe.py map --server IP --udp-ports P1,P2 [--bind IP] [--local-port N] [--timeout S]
      One UDP socket sends to every reflector port and prints "mapped PORT IP:PORT" per answer; exit 0 when
      every port answered, 1 otherwise. Same mapped port for all = endpoint-independent mapping. An answer
      counts only when it comes from exactly IP:PORT (so a port-mapped reflector must answer from its mapping).
  natprobe.py tcp --server IP --tcp-port P [--timeout S]
      Prints "tcp IP:PORT" (the source the reflector saw); exit 1 when no connection.
  natprobe.py punch --server IP --udp-port P --self FILE --peer FILE [--local-port N] [--timeout S]
      Learns its mapped address from the reflector on the same socket, writes it to FILE, waits for the peer's
      FILE, then both sides send to each other's mapped address every 20 ms (simultaneous open). Prints
      "punch direct from=IP:PORT" and exits 0 when a datagram from the peer arrived, "punch none" and 1 if not.
      --advertise IP:PORT writes that address instead (a port mapping the router granted, e.g. by NAT-PMP).
  natprobe.py peer --bind IP --port P --to IP:PORT [--send-after S] [--timeout S]
      A peer on IP:P that prints "peer from SRC" for every new source it hears; from S seconds on it sends
      probes to --to every 100 ms until a reflector answers from exactly --to ("peer answer TEXT": the source
      the reflector saw). After --timeout prints "peer heard SRC,... answer TEXT|none"; exit 0 when answered.
  natprobe.py stun --bind IP --port P [--answers N] [--timeout S]
      A minimal STUN binding responder (RFC 5389 XOR-MAPPED-ADDRESS, CHANGE-REQUEST ignored, answered from
      the same address): answers binding requests until N were answered or S seconds passed. lab.sh runs it
      while miniupnpd starts (see lab.sh --help, portmap_X).

Every wait is bounded (--timeout, default 3 s). Addresses are only ever the ones given on the command line.
"""
import argparse
import os
import select
import signal
import socket
import struct
import sys
import time

PUNCH_INTERVAL_S = 0.02
# After the first datagram from the peer, keep sending this long so the peer sees ours too.
PUNCH_LINGER_S = 0.5


def reflect(args):
    socks = []
    for port in args.udp_ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((args.bind, port))
        socks.append(s)
    tcp = None
    if args.tcp_port:
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind((args.bind, args.tcp_port))
        tcp.listen(16)
        socks.append(tcp)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("reflect ready", flush=True)
    while True:
        ready, _, _ = select.select(socks, [], [])
        for s in ready:
            if s is tcp:
                conn, peer = tcp.accept()
                with conn:
                    conn.settimeout(1.0)
                    try:
                        conn.sendall(("%s:%d\n" % peer).encode())
                    except OSError:
                        pass
                continue
            try:
                data, peer = s.recvfrom(2048)
            except OSError:
                continue
            if data.startswith(b"probe"):
                s.sendto(("%s:%d" % peer).encode(), peer)


def udp_socket(local_port, bind="0.0.0.0"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((bind, local_port))
    return s


def ask_mapping(s, server, port, timeout):
    """Sends probes to server:port every 100 ms until an answer; returns "ip:port" or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            s.sendto(b"probe", (server, port))
        except OSError:
            pass
        ready, _, _ = select.select([s], [], [], min(0.1, max(0.0, deadline - time.monotonic())))
        if ready:
            data, src = s.recvfrom(2048)
            if src == (server, port):
                return data.decode()
    return None


def mapping(args):
    s = udp_socket(args.local_port, args.bind)
    ok = True
    for port in args.udp_ports:
        seen = ask_mapping(s, args.server, port, args.timeout)
        if seen is None:
            print("mapped %d none" % port)
            ok = False
        else:
            print("mapped %d %s" % (port, seen))
    return 0 if ok else 1


def tcp(args):
    try:
        with socket.create_connection((args.server, args.tcp_port), timeout=args.timeout) as c:
            line = c.makefile().readline().strip()
            print("tcp %s" % line)
            return 0 if line else 1
    except OSError as e:
        print("tcp none (%s)" % e)
        return 1


def punch(args):
    s = udp_socket(args.local_port)
    mine = ask_mapping(s, args.server, args.udp_port, args.timeout)
    if mine is None:
        print("punch none (no mapping from the reflector)")
        return 1
    if args.advertise:
        mine = args.advertise
    tmp = args.self + ".tmp"
    with open(tmp, "w") as f:
        f.write(mine)
    os.replace(tmp, args.self)
    deadline = time.monotonic() + args.timeout
    peer = None
    while time.monotonic() < deadline and peer is None:
        if os.path.exists(args.peer):
            with open(args.peer) as f:
                text = f.read().strip()
            if text:
                ip, port = text.rsplit(":", 1)
                peer = (ip, int(port))
        else:
            time.sleep(0.01)
    if peer is None:
        print("punch none (peer wrote no address)")
        return 1
    got = None
    end = deadline
    next_send = 0.0
    while time.monotonic() < end:
        now = time.monotonic()
        if now >= next_send:
            try:
                s.sendto(b"punch", peer)
            except OSError:
                pass
            next_send = now + PUNCH_INTERVAL_S
        ready, _, _ = select.select([s], [], [], max(0.0, min(next_send, end) - time.monotonic()))
        if ready:
            data, src = s.recvfrom(2048)
            if data == b"punch" and got is None:
                got = src
                end = min(deadline, time.monotonic() + PUNCH_LINGER_S)
    if got is None:
        print("punch none (mine=%s peer=%s:%d)" % (mine, peer[0], peer[1]))
        return 1
    print("punch direct from=%s:%d (mine=%s)" % (got[0], got[1], mine))
    return 0


def peer(args):
    s = udp_socket(args.port, args.bind)
    ip, port = args.to.rsplit(":", 1)
    to = (ip, int(port))
    start = time.monotonic()
    deadline = start + args.timeout
    heard = []
    answer = None
    next_send = start + args.send_after
    print("peer ready", flush=True)
    while time.monotonic() < deadline:
        now = time.monotonic()
        if answer is None and now >= next_send:
            try:
                s.sendto(b"probe", to)
            except OSError:
                pass
            next_send = now + 0.1
        wake = deadline if answer is not None else min(deadline, max(next_send, now))
        ready, _, _ = select.select([s], [], [], max(0.0, wake - time.monotonic()))
        if not ready:
            continue
        data, src = s.recvfrom(2048)
        if src == to and answer is None and not data.startswith(b"probe"):
            answer = data.decode(errors="replace")
            print("peer answer %s" % answer, flush=True)
        else:
            where = "%s:%d" % src
            if where not in heard:
                heard.append(where)
                print("peer from %s" % where, flush=True)
    print("peer heard %s answer %s" % (",".join(heard) or "nothing", answer or "none"))
    return 0 if answer is not None else 1


STUN_BINDING_REQUEST = 0x0001
STUN_BINDING_RESPONSE = 0x0101
STUN_XOR_MAPPED_ADDRESS = 0x0020
STUN_MAGIC = b"\x21\x12\xa4\x42"


def stun(args):
    s = udp_socket(args.port, args.bind)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("stun ready", flush=True)
    deadline = time.monotonic() + args.timeout
    answered = 0
    while answered < args.answers and time.monotonic() < deadline:
        ready, _, _ = select.select([s], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        try:
            data, (ip, port) = s.recvfrom(2048)
        except OSError:
            continue
        if len(data) < 20 or struct.unpack("!H", data[0:2])[0] != STUN_BINDING_REQUEST or data[4:8] != STUN_MAGIC:
            continue
        addr = bytes(a ^ b for a, b in zip(socket.inet_aton(ip), STUN_MAGIC))
        attr = struct.pack("!HHBBH", STUN_XOR_MAPPED_ADDRESS, 8, 0, 1, port ^ 0x2112) + addr
        s.sendto(struct.pack("!HH", STUN_BINDING_RESPONSE, len(attr)) + data[4:20] + attr, (ip, port))
        answered += 1
        print("stun answered %s:%d" % (ip, port), flush=True)
    return 0


def ports(text):
    return [int(p) for p in text.split(",") if p]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("reflect")
    r.add_argument("--bind", required=True)
    r.add_argument("--udp-ports", type=ports, required=True)
    r.add_argument("--tcp-port", type=int, default=0)
    m = sub.add_parser("map")
    m.add_argument("--server", required=True)
    m.add_argument("--udp-ports", type=ports, required=True)
    m.add_argument("--bind", default="0.0.0.0")
    m.add_argument("--local-port", type=int, default=0)
    m.add_argument("--timeout", type=float, default=3.0)
    t = sub.add_parser("tcp")
    t.add_argument("--server", required=True)
    t.add_argument("--tcp-port", type=int, required=True)
    t.add_argument("--timeout", type=float, default=3.0)
    u = sub.add_parser("punch")
    u.add_argument("--server", required=True)
    u.add_argument("--udp-port", type=int, required=True)
    u.add_argument("--self", required=True)
    u.add_argument("--peer", required=True)
    u.add_argument("--local-port", type=int, default=0)
    u.add_argument("--timeout", type=float, default=3.0)
    u.add_argument("--advertise", default="")
    pe = sub.add_parser("peer")
    pe.add_argument("--bind", required=True)
    pe.add_argument("--port", type=int, required=True)
    pe.add_argument("--to", required=True)
    pe.add_argument("--send-after", type=float, default=0.0)
    pe.add_argument("--timeout", type=float, default=3.0)
    st = sub.add_parser("stun")
    st.add_argument("--bind", required=True)
    st.add_argument("--port", type=int, default=3478)
    st.add_argument("--answers", type=int, default=1000)
    st.add_argument("--timeout", type=float, default=10.0)
    args = p.parse_args()
    return {"reflect": reflect, "map": mapping, "tcp": tcp, "punch": punch, "peer": peer, "stun": stun}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
