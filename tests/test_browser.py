"""Open a rendered report in headless Chromium through the DevTools protocol: no console
errors, no network requests, every figure decoded, and a screenshot of each language.

Skips when Chromium is absent; `.ci/run` installs Debian's `chromium` so CI runs it. The
websocket client is a few lines of stdlib so the test needs no extra package."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import time
import urllib.request
from urllib.parse import urlparse

import pytest

import runfakes
from intuitions.run import pipeline

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "",
                             shutil.which("chromium-browser") or "") if p and os.path.exists(p)), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")


class WebSocket:
    """Just enough RFC 6455 for CDP: masked text frames out, (fragmented) frames in."""

    def __init__(self, url: str, timeout: float = 30.0):
        u = urlparse(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {u.path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        self.f = self.sock.makefile("rb")
        status = self.f.readline()
        assert b" 101 " in status, status
        while self.f.readline() not in (b"\r\n", b""):
            pass

    def send(self, text: str) -> None:
        data = text.encode()
        n = len(data)
        head = bytearray([0x81])
        if n < 126:
            head.append(0x80 | n)
        elif n < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.sock.sendall(bytes(head) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self) -> str:
        parts = []
        while True:
            b0, b1 = self.f.read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self.f.read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self.f.read(8))[0]
            payload = self.f.read(n)
            if b0 & 0x0F == 0x8:
                raise ConnectionError("websocket closed")
            if b0 & 0x0F in (0x9, 0xA):  # ping / pong: nothing CDP needs
                continue
            parts.append(payload)
            if b0 & 0x80:
                return b"".join(parts).decode()

    def close(self) -> None:
        self.sock.close()


class Page:
    """One tab: send a CDP command, wait for its answer, keep every event on the way."""

    def __init__(self, ws: WebSocket):
        self.ws, self.next_id, self.events = ws, 0, []

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method: str, timeout: float = 30.0) -> dict:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for e in self.events:
                if e.get("method") == method:
                    return e
            self.events.append(json.loads(self.ws.recv()))
        raise TimeoutError(method)


@pytest.fixture
def chromium(tmp_path):
    profile = tmp_path / "profile"
    proc = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
         "--remote-debugging-port=0", "--window-size=1200,2000", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        end = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            if proc.poll() is not None or time.monotonic() > end:
                pytest.fail("chromium did not open its DevTools port")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _open_page(port: int) -> Page:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
        targets = json.load(r)
    url = next(t["webSocketDebuggerUrl"] for t in targets if t.get("type") == "page")
    page = Page(WebSocket(url))
    for domain in ("Page", "Runtime", "Log", "Network"):
        page.call(f"{domain}.enable")
    return page


def _problems(page: Page) -> list[str]:
    out = []
    for e in page.events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
            out.append(f"console {p['type']}: {p.get('args')}")
        elif m == "Runtime.exceptionThrown":
            out.append(f"exception: {p.get('exceptionDetails')}")
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            out.append(f"log: {p['entry'].get('text')}")
        elif m == "Network.loadingFailed":
            out.append(f"failed load: {p}")
    return out


def _requests(page: Page) -> list[str]:
    return [e["params"]["request"]["url"] for e in page.events if e.get("method") == "Network.requestWillBeSent"]


@pytest.fixture
def small_run(tmp_path, monkeypatch):
    runfakes.install(tmp_path, monkeypatch)
    run_dir = tmp_path / "run"
    pipeline.execute(runfakes.make_plan(), run_dir, progress=False)
    return run_dir


@pytest.mark.parametrize("name", ["report.html", "report.ko.html"])
def test_report_opens_cleanly_in_chromium(small_run, chromium, tmp_path, name):
    page = _open_page(chromium)
    page.call("Page.navigate", url=(small_run / name).as_uri())
    page.wait_for("Page.loadEventFired")
    n_png = len(list(small_run.glob("steps/*/*.png")))
    imgs = page.call("Runtime.evaluate", returnByValue=True, expression="""
        Array.from(document.images).map(i => ({src: i.src.slice(0, 22), ok: i.complete && i.naturalWidth > 0}))
    """)["result"]["value"]
    # fake_icl's two figures appear in both of its sections (2 and 6)
    assert len(imgs) == n_png + 2
    assert all(i["ok"] and i["src"] == "data:image/png;base64," for i in imgs), imgs
    sections = page.call("Runtime.evaluate", returnByValue=True,
                         expression="document.querySelectorAll('section[id^=i]').length")["result"]["value"]
    assert sections == 6
    # Only the page itself and its inline images: nothing fetched from anywhere.
    assert all(u.startswith(("file://", "data:")) for u in _requests(page)), _requests(page)
    assert _problems(page) == []
    shot = page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
    out = tmp_path / f"{name}.png"
    out.write_bytes(base64.b64decode(shot))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    page.ws.close()


def test_a_broken_image_would_be_caught(small_run, chromium):
    """The checks above can fail: a corrupt inline image, a console error and a fetch are seen."""
    html = (small_run / "report.html").read_text().replace("data:image/png;base64,", "data:image/png;base64,AAAA", 1)
    html = html.replace("</body>", '<script>console.error("boom")</script><img src="http://127.0.0.1:9/x.png"></body>')
    bad = small_run / "broken.html"
    bad.write_text(html)
    page = _open_page(chromium)
    page.call("Page.navigate", url=bad.as_uri())
    page.wait_for("Page.loadEventFired")
    oks = page.call("Runtime.evaluate", returnByValue=True,
                    expression="Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)",
                    )["result"]["value"]
    assert oks.count(False) == 2
    assert any("boom" in p for p in _problems(page))
    assert "http://127.0.0.1:9/x.png" in _requests(page)
    page.ws.close()
