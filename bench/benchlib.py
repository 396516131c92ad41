"""Helpers shared by the Python benchmark drivers (bench/*_compare, bench/soak): where the
repository and the shared folder are, loopback ports, starting and waiting for servers,
reading a process's CPU and memory from /proc, a server's /metrics, and Prometheus's HTTP
API. Python 3 stdlib only.

The drivers set sys.dont_write_bytecode before importing this, so no __pycache__ appears
in the source tree.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("ANDON_SHARED_DIR", os.path.join(REPO, "..", "shared"))
ANDON = os.path.join(REPO, "build", "andon")
TARGETS_PY = os.path.join(SHARED, "bench", "targets.py")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def require_andon():
    """Path of the built andon binary; exits when it is missing."""
    if not os.access(ANDON, os.X_OK):
        sys.exit("build first: make build")
    return ANDON


def ensure_prometheus():
    """Installs Debian's prometheus package (server and promtool) when it is missing."""
    if not shutil.which("prometheus") or not shutil.which("promtool"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "prometheus"], check=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_range(count, first=19100, last=60000, stride=97):
    """The first base port b >= first such that b..b+count-1 are all free on loopback."""
    for base in range(first, last - count, stride):
        if all(port_is_free(base + i) for i in range(count)):
            return base
    sys.exit(f"no {count} consecutive free loopback ports")


def wait_ready(port, proc, what, timeout=120):
    """Waits until GET /-/ready on the loopback port answers 200; exits when proc dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{what} exited early with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"{what} not ready after {timeout} s")


def loadavg():
    """The 1, 5 and 15 minute load averages, as /proc/loadavg prints them."""
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def proc_status_kib(pid, field):
    """A "<field>: <n> kB" line of /proc/<pid>/status (VmRSS, VmHWM, ...), in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return float("nan")


def peak_rss_mib(pid):
    return proc_status_kib(pid, "VmHWM") / 1024


def rss_mib(pid):
    return proc_status_kib(pid, "VmRSS") / 1024


def cpu_seconds(pid):
    """utime + stime of the process (all its threads), in seconds, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()  # the command name may hold spaces
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 and 15 of stat(5)


def context_switches(pid):
    """Voluntary + involuntary context switches of the process's live threads, summed over
    /proc/<pid>/task/*/status (threads that have exited no longer count)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    key, _, value = line.partition(":")
                    if key in ("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"):
                        total += int(value)
        except FileNotFoundError:
            pass  # the thread exited meanwhile
    return total


def http_get(port, path, timeout=60):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return r.read()


def query(port, expr, at=None):
    """An instant query through /api/v1/query; returns data.result, exits on an error."""
    params = {"query": expr}
    if at is not None:
        params["time"] = f"{at:.3f}"
    body = json.loads(http_get(port, "/api/v1/query?" + urllib.parse.urlencode(params)))
    if body.get("status") != "success":
        sys.exit(f"query {expr!r} on :{port} failed: {body}")
    return body["data"]["result"]


def metric_sums(port):
    """{name: the sum over every series of that name} of the /metrics text of the server
    on port."""
    sums = {}
    for line in http_get(port, "/metrics").decode().splitlines():
        if not line or line.startswith("#"):
            continue
        if "}" in line:
            name, value = line[:line.index("{")], line[line.rindex("}") + 1:].split()[0]
        else:
            name, value = line.split()[:2]
        sums[name] = sums.get(name, 0.0) + float(value)
    return sums


def metric_value(port, name):
    """The sum over every series named `name` in the /metrics text of the server on port."""
    sums = metric_sums(port)
    if name not in sums:
        sys.exit(f"{name} not found in /metrics on :{port}")
    return sums[name]


def dir_bytes(path):
    """(sum of file sizes, bytes allocated on disk) of every file under path."""
    size = alloc = 0
    for root, _, files in os.walk(path):
        for name in files:
            st = os.lstat(os.path.join(root, name))
            size += st.st_size
            alloc += st.st_blocks * 512
    return size, alloc
