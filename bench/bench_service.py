#!/usr/bin/env python3
"""Load for bench/bench_service.sh, against a running 'taintline serve'.

  bench_service.py screen PORT SCREEN_PATH TRACE_PATH KEY SECONDS
      Keeps 6 traces in flight (none when TRACE_PATH is -) (4 abandoned 0.2 s after sending, 2 read
      to the end), and meanwhile sends screening requests one after the
      other on fresh connections; prints their count, p50, p99, max (ms)
      and how many got no answer within 10 s.
  bench_service.py idle PORT PID N
      Opens N idle connections, holds them 3 s; prints the server's RSS
      before and after (MiB) and how many connections were answered 503.
  bench_service.py bodies PORT PID N MIB
      N connections each send, without a key, POST /v1/tags with a body of
      MIB MiB less one byte; holds 3 s; prints the server's RSS before and
      its peak (VmHWM, MiB) and the statuses seen.
"""
import socket, sys, threading, time


def rss(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return -1.0


def request(port, path, key=None, timeout=10.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    hdr = f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    if key:
        hdr += f"Authorization: Bearer {key}\r\n"
    s.sendall((hdr + "\r\n").encode())
    return s


def read_all(s):
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            return data
        data += b


def screen(port, spath, tpath, key, seconds):
    stop = threading.Event()

    def tracer(abandon):
        while not stop.is_set():
            try:
                s = request(port, tpath, key, timeout=30)
                if abandon:
                    time.sleep(0.2)
                else:
                    read_all(s)
                s.close()
            except OSError:
                time.sleep(0.05)

    ts = [] if tpath == "-" else [threading.Thread(target=tracer, args=(i < 4,), daemon=True) for i in range(6)]
    for t in ts:
        t.start()
    # One second of screening, not measured: the traces get going, and a
    # server just started warms its caches (otherwise counted as "alone").
    warm = time.monotonic() + 1.0
    while time.monotonic() < warm:
        try:
            s = request(port, spath, key)
            read_all(s)
            s.close()
        except OSError:
            time.sleep(0.01)
    lat, lost = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.monotonic()
        try:
            s = request(port, spath, key)
            d = read_all(s)
            s.close()
            if not d.startswith(b"HTTP/1.1 200"):
                lost += 1
                continue
            lat.append((time.monotonic() - t0) * 1000.0)
        except OSError:
            lost += 1
    stop.set()
    lat.sort()
    if not lat:
        print(f"screen: 0 answered, {lost} without an answer")
        return
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print(f"screen: {len(lat)} answered, p50 {p(0.5):.2f} ms, p99 {p(0.99):.2f} ms, "
          f"max {lat[-1]:.2f} ms, {lost} without an answer")


def idle(port, pid, n):
    before = rss(pid)
    socks, refused = [], 0
    for _ in range(n):
        try:
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        except OSError:
            refused += 1
    time.sleep(3)
    after = rss(pid)
    answered = 0
    for s in socks:
        s.setblocking(False)
        try:
            if s.recv(64).startswith(b"HTTP/1.1 503"):
                answered += 1
        except OSError:
            pass
        s.close()
    print(f"idle: {len(socks)} connected ({refused} refused by TCP, {answered} answered 503); "
          f"server RSS {before:.1f} -> {after:.1f} MiB")


def bodies(port, pid, n, mib):
    before = rss(pid)
    size = mib * 1024 * 1024 - 1
    body = b"a" * size
    head = (f"POST /v1/tags HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n\r\n").encode()
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.setblocking(False)
        socks.append([s, head + body, 0])
    deadline = time.monotonic() + 30
    pending = list(socks)
    while pending and time.monotonic() < deadline:
        nxt = []
        for item in pending:
            s, data, off = item
            try:
                off += s.send(data[off:off + 262144])
            except BlockingIOError:
                pass
            except OSError:
                continue  # refused or reset: done with it
            item[2] = off
            if off < len(data):
                nxt.append(item)
        pending = nxt
        time.sleep(0.001)
    time.sleep(3)
    peak = rss(pid, "VmHWM")
    statuses = {}
    for s, _, _ in socks:
        s.settimeout(2)
        try:
            st = s.recv(64).split(b" ")[1].decode()
        except (OSError, IndexError):
            st = "none"
        statuses[st] = statuses.get(st, 0) + 1
        s.close()
    print(f"bodies: {n} x {mib} MiB without a key: server RSS {before:.1f} MiB, peak {peak:.1f} MiB; "
          f"answers {statuses}")


def medians():
    """Reads the 'round|label|screen: ...|screen: ...' lines of
    bench_service.sh BENCH_RUNS=N and prints each label's medians."""
    import re, statistics
    num = re.compile(r"(\d+) answered, p50 ([\d.]+) ms, p99 ([\d.]+) ms, max ([\d.]+) ms, (\d+) without")
    rows = {}
    for line in sys.stdin:
        parts = line.rstrip("\n").split("|")
        if len(parts) != 4 or parts[0] != "round":
            continue
        vals = []
        for part in parts[2:]:
            m = num.search(part)
            vals.append([float(x) for x in m.groups()] if m else None)
        rows.setdefault(parts[1], []).append(vals)
    for label, runs in rows.items():
        def med(phase, i):
            xs = [r[phase][i] for r in runs if r[phase]]
            return statistics.median(xs) if xs else float("nan")
        p99s = " ".join(f"{r[1][2]:.2f}" for r in runs if r[1])
        print(f"{label}: {len(runs)} rounds; alone p99 median {med(0, 2):.2f} ms; saturated: answered "
              f"median {med(1, 0):.0f}, p50 {med(1, 1):.2f} ms, p99 median {med(1, 2):.2f} ms "
              f"(each round: {p99s}), max median {med(1, 3):.1f} ms, unanswered median {med(1, 4):.0f}")


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "medians":
        medians()
        sys.exit(0)
    if mode == "screen":
        screen(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5] or None, float(sys.argv[6]))
    elif mode == "idle":
        idle(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "bodies":
        bodies(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
