"""Start the real app in uvicorn subprocesses for browser, multi-worker and restart tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx

from app.config import ROOT

SECRET = "live-server-secret-" + "y" * 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """One uvicorn process (optionally with several workers) on a free port.

    `base_url` is what the app believes its public address is (used for the Origin check and
    join links); by default the server's own address.
    """

    def __init__(
        self,
        *,
        database_url: str,
        log_dir: Path,
        broadcast_url: str = "memory://",
        workers: int = 1,
        port: int | None = None,
        base_url: str | None = None,
        extra_env: dict[str, str] | None = None,
        factory: str = "app.main:create_app",
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"uvicorn-{self.port}.log"
        self.env = {
            **os.environ,
            "TABLECLOTH_MODE": "production",
            "TABLECLOTH_SECRET_KEY": SECRET,
            "TABLECLOTH_DATABASE_URL": database_url,
            "TABLECLOTH_BROADCAST_URL": broadcast_url,
            "TABLECLOTH_BASE_URL": base_url or self.url,
            "TABLECLOTH_MEDIA_DIR": str(log_dir / "media"),
            "TABLECLOTH_LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
        self.workers = workers
        self.factory = factory  # the app uvicorn serves (bench/_counted.py counts statements)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> LiveServer:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                self.factory,
                "--factory",
                "--loop",
                "app.serving:new_event_loop",
                "--http",
                "app.serving:HeaderTimeout",
                "--ws",
                "app.serving:SpreadPings",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                "--no-access-log",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"uvicorn did not start: {self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
