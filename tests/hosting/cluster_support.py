"""A hosted luma-mcp as it runs in production, on loopback: PostgreSQL (the caller's), the emulators over
HTTP (a subprocess), N replicas (`luma-mcp --transport streamable-http` subprocesses sharing the database,
the output and data folders and the OAuth issuer), and HAProxy in front, running the shipped
deploy/haproxy.cfg rendered with this cluster's ports. The IdP (auth_support) serves from a thread here.

Used by the load test, the balancer tests and bench/hosting_scale.py.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from conftest import loopback

from .auth_support import Idp, rsa_key

REPO = Path(__file__).resolve().parents[2]
HAPROXY_EXAMPLE = REPO / "deploy" / "haproxy.cfg"
EMULATOR_HOST = Path(__file__).with_name("emulator_host.py")
LUMA_KEY = "luma-api-hosting-test-key"
METADATA_PATH = "/.well-known/oauth-protected-resource/mcp"
# Machine-readable request lines: accept time (epoch.ms), total time (ms), backend, server, status,
# termination state, method, path.
LOG_FORMAT = "%Ts.%ms %Ta %b %s %ST %ts %HM %HP"
START_SECONDS = 60.0


class NoBalancer(Exception):
    """Why HAProxy cannot be had; the tests skip with it."""


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.access("/usr/sbin/haproxy", os.X_OK) else None)
    if found is None:
        raise NoBalancer("no haproxy: install Debian's `haproxy` package (apt-get install haproxy)")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Service:
    """A subprocess whose stdout and stderr go to one log file (appended to across restarts)."""

    name: str
    command: list[str]
    log: Path
    env: dict[str, str] | None = None
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(self.command, env=self.env, stdout=sink, stderr=subprocess.STDOUT)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no cleanup, no goodbye, as a crash or the OOM killer ends a process."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.text().splitlines()[-lines:])


async def wait_until(check: Callable[[], Awaitable[bool]], what: str, service: Service | None = None) -> None:
    deadline = time.monotonic() + START_SECONDS
    while not await check():
        if service is not None and not service.alive():
            raise AssertionError(f"{service.name} exited while {what}:\n{service.tail()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out {what}" + (f":\n{service.tail()}" if service else ""))
        await anyio.sleep(0.1)


async def answers(url: str, headers: dict[str, str] | None = None) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2) as http:
            return (await http.get(url, headers=headers)).status_code == 200
    except httpx.HTTPError:
        return False


def render_haproxy(template: str, *, listen: int, servers: list[tuple[str, int]], public_host: str) -> str:
    """The example config with this cluster's addresses, run in the foreground and logging to stdout;
    every other line (timeouts, retries, the stick table, health checks) as shipped. Fails loudly when
    the example no longer has a line this relies on, rather than testing something else."""
    rendered: list[str] = []
    found: set[str] = set()
    for raw in template.splitlines():
        line = raw.strip()
        indent = raw[: len(raw) - len(raw.lstrip())]
        if line.startswith(("chroot ", "stats socket ", "user ", "group ")) or line == "daemon":
            continue
        if line.startswith("log /"):
            rendered.append(f"{indent}log stdout format raw local0")
            found.add("log")
        elif line == "option httplog":
            rendered.append(f'{indent}log-format "{LOG_FORMAT}"')
            found.add("httplog")
        elif line.startswith("bind "):
            rendered.append(f"{indent}bind 127.0.0.1:{listen}")
            found.add("bind")
        elif line.startswith("http-check send ") and " hdr Host " in line:
            rendered.append(indent + re.sub(r"hdr Host \S+", f"hdr Host {public_host}", line))
            found.add("check")
        elif line.startswith("server "):
            if "server" not in found:
                rendered += [f"{indent}server {name} 127.0.0.1:{port}" for name, port in servers]
            found.add("server")
        else:
            rendered.append(raw)
    missing = {"log", "httplog", "bind", "check", "server"} - found
    assert not missing, f"{HAPROXY_EXAMPLE} lost the lines the tests render: {sorted(missing)}"
    return "\n".join(rendered) + "\n"


@dataclass(frozen=True)
class Logged:
    """One request as the balancer logged it when it ended."""

    at: float  # accepted, epoch seconds
    active_ms: int
    server: str
    status: int
    termination: str
    method: str
    path: str

    @property
    def ended(self) -> float:
        return self.at + max(self.active_ms, 0) / 1000


def balancer_log(text: str) -> list[Logged]:
    entries = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) != 8 or not re.fullmatch(r"\d+\.\d{3}", parts[0]):
            continue  # a server state change, an alert: not a request
        at, active, _, server, status, termination, method, path = parts
        entries.append(Logged(float(at), int(active), server, int(status), termination, method, path))
    return entries


@dataclass
class Cluster:
    idp: Idp
    url: str  # the balancer's MCP endpoint: the public URL, the tokens' audience
    emulator_url: str
    replicas: list[Service]
    ports: list[int]
    balancer: Service
    emulator: Service
    output_dir: Path
    data_dir: Path
    database_url: str
    kills: list[tuple[str, float]] = field(default_factory=list)

    def token(self, user: str, **changes: Any) -> str:
        claims: dict[str, Any] = {"sub": user, "aud": self.url, "exp": int(time.time()) + 3600, **changes}
        return self.idp.token(**claims)

    def owner(self, user: str) -> str:
        """The owner the server records for `user`'s rows (identity.current_user)."""
        return f"{self.idp.issuer}|{user}"

    async def kill(self, index: int) -> float:
        replica = self.replicas[index]
        replica.kill()
        killed_at = time.time()
        self.kills.append((replica.name, killed_at))
        return killed_at

    async def restart(self, index: int) -> None:
        self.replicas[index].start()
        await replica_ready(self.replicas[index], self.ports[index])

    def logged(self) -> list[Logged]:
        return balancer_log(self.balancer.text())

    async def emulator_requests(self) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(timeout=30) as http:
            response = await http.get(f"{self.emulator_url}/_emulator/requests")
        response.raise_for_status()
        requests: list[dict[str, Any]] = response.json()["requests"]
        return requests

    def logs(self) -> str:
        services = [*self.replicas, self.balancer]
        return "\n".join(f"--- {service.name}\n{service.tail()}" for service in services)


@asynccontextmanager
async def cluster(
    folder: Path, database_url: str, *, replicas: int = 3, job_seconds: float = 3.0, env: dict[str, str] | None = None
) -> AsyncIterator[Cluster]:
    """Everything started and ready; everything stopped on exit (the database is the caller's)."""
    haproxy = haproxy_binary()
    idp = Idp([rsa_key("hosting-1")])
    services: list[Service] = []
    async with loopback(idp.app()) as issuer:
        idp.issuer = issuer
        try:
            emulator = await _start_emulator(folder, job_seconds, services)
            emulator_url = emulator.text().split("listening on ", 1)[1].split()[0]
            listen = free_port()
            public = f"http://127.0.0.1:{listen}/mcp"
            shared = {
                "LUMA_MCP_DATABASE_URL": database_url,
                "LUMA_MCP_AUTH_ISSUER": issuer,
                "LUMA_MCP_AUTH_AUDIENCE": public,
                "LUMA_AGENTS_API_KEY": LUMA_KEY,
                "LUMA_BASE_URL": f"{emulator_url}/v1",
                "LUMA_MCP_OUTPUT_DIR": str(folder / "out"),
                "LUMA_MCP_DATA_DIR": str(folder / "data"),
                **(env or {}),
            }
            ports = [free_port() for _ in range(replicas)]
            started = [_replica(folder, f"r{n + 1}", port, shared) for n, port in enumerate(ports)]
            services += started
            for replica in started:
                replica.start()
            for replica, port in zip(started, ports, strict=True):
                await replica_ready(replica, port)
            names = [replica.name for replica in started]
            balancer = await _start_balancer(folder, haproxy, listen, list(zip(names, ports, strict=True)))
            services.append(balancer)
            out, data = folder / "out", folder / "data"
            yield Cluster(idp, public, emulator_url, started, ports, balancer, emulator, out, data, database_url)
        finally:
            for service in reversed(services):
                service.stop()


async def replica_ready(replica: Service, port: int) -> None:
    url = f"http://127.0.0.1:{port}{METADATA_PATH}"
    await wait_until(lambda: answers(url), f"starting {replica.name}", replica)


def _replica(folder: Path, name: str, port: int, shared: dict[str, str]) -> Service:
    env = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    command = [
        sys.executable, "-m", "luma_mcp", "--transport", "streamable-http", "--host", "127.0.0.1",
        "--port", str(port), "--log-level", "WARNING",
    ]  # fmt: skip
    return Service(name, command, folder / f"{name}.log", {**env, **shared})


async def _start_emulator(folder: Path, job_seconds: float, services: list[Service]) -> Service:
    command = [sys.executable, str(EMULATOR_HOST), "--port", "0", "--job-seconds", str(job_seconds)]
    emulator = Service("emulator", command, folder / "emulator.log")
    emulator.start()
    services.append(emulator)

    async def listening() -> bool:
        return "listening on http://" in emulator.text()

    await wait_until(listening, "starting the emulator", emulator)
    return emulator


async def _start_balancer(folder: Path, haproxy: str, listen: int, servers: list[tuple[str, int]]) -> Service:
    config = folder / "haproxy.cfg"
    template = HAPROXY_EXAMPLE.read_text()
    config.write_text(render_haproxy(template, listen=listen, servers=servers, public_host=f"127.0.0.1:{listen}"))
    check = await anyio.run_process([haproxy, "-c", "-f", str(config)], check=False)
    assert check.returncode == 0, f"haproxy refused the rendered example:\n{(check.stdout + check.stderr).decode()}"
    balancer = Service("haproxy", [haproxy, "-db", "-f", str(config)], folder / "haproxy.log")
    balancer.start()
    await wait_until(lambda: answers(f"http://127.0.0.1:{listen}{METADATA_PATH}"), "starting haproxy", balancer)
    return balancer


@asynccontextmanager
async def connect(
    url: str, token: str, *, mode: str = "auto", statuses: list[int] | None = None, read_seconds: float = 120
) -> AsyncIterator[Client]:
    """An MCP client as a remote user has one: its bearer token on every request. `statuses` collects
    the HTTP status of every response it gets. mode "legacy": 2025-11-25 (a session); "auto": 2026-07-28."""

    async def seen(response: httpx2.Response) -> None:
        if statuses is not None:
            statuses.append(response.status_code)

    headers = {"Authorization": f"Bearer {token}"}
    timeout = httpx2.Timeout(30, read=read_seconds)
    async with (
        httpx2.AsyncClient(headers=headers, timeout=timeout, event_hooks={"response": [seen]}) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode) as client,
    ):
        yield client
