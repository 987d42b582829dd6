"""``hatched serve`` as a real process: the README's first minutes, over real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HATCHED_")}
    env["HATCHED_DATA_DIR"] = str(tmp_path / "var")
    process = subprocess.Popen(
        [sys.executable, "-m", "interfaces.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/health", timeout=0.5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            raise AssertionError("server did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_register_key_and_me_over_real_http(server: str) -> None:
    registered = httpx.post(
        f"{server}/auth/register",
        json={"email": "first@example.com", "password": "correct horse", "company_name": "First"},
    )
    assert registered.status_code == 201
    token = registered.json()["token"]
    key = httpx.post(
        f"{server}/auth/api-keys",
        json={"mode": "test"},
        headers={"Authorization": f"Bearer {token}"},
    ).json()["key"]
    me = httpx.get(f"{server}/auth/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200 and me.json()["email"] == "first@example.com"

    camel = httpx.post(f"{server}/auth/register", json={"companyName": "x"})
    assert "property companyName should not exist" in camel.json()["error"]["message"]

    unknown = httpx.get(f"{server}/nope")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["requestId"] == unknown.headers["x-request-id"]


def test_data_goes_to_the_data_dir(server: str, tmp_path: Path) -> None:
    assert (tmp_path / "var" / "hatched.sqlite3").exists()
