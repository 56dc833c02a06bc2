"""How many API requests per second the Plivo sandbox sustains.

    .venv/bin/python -m bench.sandbox_rate --seconds 10 --processes 2 --threads 8

Starts the sandbox as its own process (callbacks off, no limits), then client
processes with threads, each thread with its own real plivo SDK client
(`--client sdk`) or a bare keep-alive `http.client` connection (`--client
raw`, to see the sandbox's own ceiling rather than the SDK's), creating calls
as fast as they can. Prints the rate and one JSON line.
"""

import argparse
import base64
import contextlib
import http.client
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import plivo
import requests

from portal.sandbox.testing import point_client_at

AUTH_ID, TOKEN = "MAXXXXXXXXXXXXXXXXXX", "bench-token"


class _RawClient:
    """Just enough of the SDK's two calls over one keep-alive connection."""

    def __init__(self, base_url: str):
        host, port = base_url.rsplit("//", 1)[1].split(":")
        self.conn = http.client.HTTPConnection(host, int(port))
        token = base64.b64encode(f"{AUTH_ID}:{TOKEN}".encode()).decode()
        self.headers = {"Authorization": "Basic " + token,
                        "Content-Type": "application/json"}  # fmt: skip
        self.calls = self.messages = self

    def _post(self, resource: str, body: dict) -> None:
        path = f"/v1/Account/{AUTH_ID}/{resource}/"
        self.conn.request("POST", path, json.dumps(body), self.headers)
        response = self.conn.getresponse()
        response.read()
        if response.status >= 300:
            raise RuntimeError(response.status)

    def create(
        self, from_=None, to_=None, answer_url=None, src=None, dst=None, text=None
    ):
        if dst:
            self._post("Message", {"src": src, "dst": dst, "text": text})
        else:
            self._post("Call", {"from": from_, "to": to_, "answer_url": answer_url})


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its direct children (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(child) for child in children]
    for one in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _worker(base_url, seconds, threads, kind, raw, out) -> None:
    counts = [0] * threads
    errors = [0] * threads
    kinds: dict[str, int] = {}
    started = time.monotonic()
    stop_at = started + seconds

    def loop(index: int) -> None:
        if raw:
            client = _RawClient(base_url)
        else:
            client = point_client_at(plivo.RestClient(AUTH_ID, TOKEN), base_url)
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            to = f"+1253555{n % 10000:04d}".replace("94", "95")
            try:
                if kind == "call":
                    client.calls.create(
                        from_="+12535550100", to_=to, answer_url="http://127.0.0.1:9/a"
                    )
                else:
                    client.messages.create(src="+12535550100", dst=to, text="Hi")
                counts[index] += 1
            except (
                plivo.exceptions.PlivoRestError,
                requests.RequestException,
                RuntimeError,
                OSError,
            ) as error:
                errors[index] += 1
                kinds[type(error).__name__] = kinds.get(type(error).__name__, 0) + 1

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if kinds:
        print("client errors:", kinds, flush=True)
    out.put((sum(counts), sum(errors), time.monotonic() - started))


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--port", type=int, default=5077)
    parser.add_argument("--kind", choices=["call", "sms"], default="call")
    parser.add_argument("--callbacks", action="store_true")
    parser.add_argument("--client", choices=["sdk", "raw"], default="sdk")
    parser.add_argument(
        "--server", choices=["gunicorn", "werkzeug"], default="gunicorn"
    )
    return parser.parse_args()


def _start_sandbox(args, base_url: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "scripts.plivo_sandbox", "--port", str(args.port),
               "--calls-per-second", "0", "--messages-per-second", "0", "--api-limit", "0",
               "--server", args.server]  # fmt: skip
    if not args.callbacks:
        command.append("--no-callbacks")
    env = {"PLIVO_AUTH_ID": AUTH_ID, "PLIVO_AUTH_TOKEN": TOKEN, "PATH": ""}
    sandbox = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60  # imports are slow on a busy machine
    while time.monotonic() < deadline and sandbox.poll() is None:
        try:
            requests.get(base_url + "/healthz", timeout=1)
            return sandbox
        except requests.ConnectionError:
            time.sleep(0.2)
    sandbox.terminate()
    raise RuntimeError("the sandbox did not start")


def _drive(args, base_url: str, pid: int):
    """Run the client processes; returns their results, wall time and CPU used."""
    out = multiprocessing.Queue()
    raw = args.client == "raw"
    started = time.monotonic()
    cpu_before = _cpu_seconds(pid)
    procs = [
        multiprocessing.Process(
            target=_worker,
            args=(base_url, args.seconds, args.threads, args.kind, raw, out),
        )
        for _ in range(args.processes)
    ]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    return results, time.monotonic() - started, _cpu_seconds(pid) - cpu_before


def _report(args, results, elapsed: float, cpu: float, stats: dict) -> None:
    done = sum(r[0] for r in results)
    failed = sum(r[1] for r in results)
    rate = sum(r[0] / r[2] for r in results)
    served = stats["api_requests"]
    cpu_ms = 1000 * cpu / served if served else 0.0
    peak = stats["max_calls_created_in_1s" if args.kind == "call"
                 else "max_messages_created_in_1s"]  # fmt: skip
    print(
        f"{args.kind} creates: {done} in {elapsed:.1f}s ({rate:.0f}/s), errors {failed}"
    )
    print(f"sandbox CPU per request: {cpu_ms:.2f} ms")
    print(f"sandbox busiest second: {peak}")
    summary = {
        "kind": args.kind,
        "client": args.client,
        "server": args.server,
        "requests_per_second": round(rate),
        "errors": failed,
        "sandbox_cpu_ms_per_request": round(cpu_ms, 3),
        "processes": args.processes,
        "threads": args.threads,
        "peak_in_1s": peak,
    }
    print(json.dumps(summary))


def main() -> None:
    args = _parse_args()
    base_url = f"http://127.0.0.1:{args.port}"
    sandbox = _start_sandbox(args, base_url)
    try:
        results, elapsed, cpu = _drive(args, base_url, sandbox.pid)
        stats = requests.get(base_url + "/sandbox/stats", timeout=5).json()
    finally:
        sandbox.terminate()
        sandbox.wait()
    _report(args, results, elapsed, cpu, stats)


if __name__ == "__main__":
    main()
