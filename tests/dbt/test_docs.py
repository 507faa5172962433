"""`hotrod docs generate|serve`: an offline dbt docs page whose lineage graph renders.

The page is generated with the real command, checked for outside loads, served from a local
HTTP server and opened in headless Chromium with every host but 127.0.0.1 unresolvable. The
screenshot of the Tile 1 lineage (`+exposure:tile_1_sales_pulse`) must contain source (green),
model (blue) and exposure (orange) nodes. Chromium is required: `apt-get install -y chromium`
(Debian) or set HOTROD_CHROMIUM to a Chromium/Chrome binary.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import threading
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotrod.docs_site import DocsSite, external_loads, make_server, neutralise_external_loads
from warehouse.settings import DatabaseUrl

HOTROD = os.path.join(os.path.dirname(sys.executable), "hotrod")
TILE_1_LINEAGE = "#!/overview?g_v=1&g_i=%2Bexposure:tile_1_sales_pulse"
SOURCE_GREEN = (95, 184, 37)
MODEL_BLUE = (0, 148, 179)
EXPOSURE_ORANGE = (255, 105, 75)


def _default_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def test_external_loads_finds_scripts_styles_and_fonts_but_not_links():
    page = (
        '<a href="https://www.getdbt.com/">docs</a>'
        '<script src="https://cdn.example.com/x.js"></script>'
        '<link rel="stylesheet" href="//fonts.example.com/css">'
        "<style>@font-face{src:url(https://fonts.example.com/f.woff)}</style>"
    )
    found = external_loads(page)
    assert len(found) == 3
    assert not external_loads('<a href="https://www.getdbt.com/">docs</a><script>1</script>')


def test_neutralise_removes_the_analytics_script(tmp_path):
    page = tmp_path / "index.html"
    page.write_text('i.src="//d1fc8wv8zag5ca.cloudfront.net/2.9.0/sp.js";', encoding="utf-8")
    assert neutralise_external_loads(page) == 1
    assert external_loads(page.read_text(encoding="utf-8")) == []


@pytest.fixture(scope="module")
def site(module_db: DatabaseUrl, tmp_path_factory) -> DocsSite:
    """`hotrod docs generate` against a bootstrapped database, as `make docs` runs it."""
    target = tmp_path_factory.mktemp("docs-target")
    env = dict(os.environ, HOTROD_DATABASE_URL=module_db.url, DBT_LOG_PATH=str(target / "logs"))
    result = subprocess.run(
        [HOTROD, "docs", "generate", "--target-path", str(target)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        preexec_fn=_default_signals,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("static_index.html")
    return DocsSite(target)


def test_generated_page_is_self_contained_and_tracking_is_off(site):
    manifest = json.loads(site.manifest.read_text(encoding="utf-8"))
    assert manifest["metadata"]["send_anonymous_usage_stats"] is False
    html = site.page.read_text(encoding="utf-8")
    assert external_loads(html) == []
    # Manifest inlined: the page needs no other file; lineage runs source -> exposure.
    assert "exposure.hotrod.tile_1_sales_pulse" in html
    assert "source.hotrod.raw_shopify.orders" in html
    exposures = manifest["exposures"]
    assert {"tile_1_sales_pulse", "tile_2_inventory", "tile_3_fulfillment", "tile_4_cx"} <= {
        e["name"] for e in exposures.values()
    }
    parents = manifest["parent_map"]

    def ancestors(node: str) -> set[str]:
        seen: set[str] = set()
        stack = [node]
        while stack:
            for parent in parents.get(stack.pop(), []):
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return seen

    for exposure in exposures:
        assert any(a.startswith("source.") for a in ancestors(exposure)), exposure


@pytest.fixture(scope="module")
def served(site: DocsSite) -> Iterator[str]:
    server = make_server(site, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_server_serves_the_static_page_at_the_root(served, site):
    with urllib.request.urlopen(served, timeout=30) as response:  # noqa: S310 - loopback
        assert response.status == 200
        assert response.read() == site.page.read_bytes()


def _chromium() -> str:
    candidates = ("chromium", "chromium-browser", "google-chrome")
    binary = os.environ.get("HOTROD_CHROMIUM") or next(
        (found for found in map(shutil.which, candidates) if found), None
    )
    if not binary:
        pytest.fail(
            "headless Chromium is needed to check the docs page: `apt-get install -y chromium` "
            "(Debian/Ubuntu) or set HOTROD_CHROMIUM to a Chrome/Chromium binary"
        )
    return binary


def _run_chromium(url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess:
    command = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        # Offline proof: every host except the docs server fails to resolve.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        "--virtual-time-budget=20000",
        "--window-size=1200,800",
        *extra,
        url,
    ]
    return subprocess.run(
        command, capture_output=True, timeout=180, preexec_fn=_default_signals, check=False
    )


def _png_colours(data: bytes) -> dict[tuple[int, int, int], int]:
    """Pixel counts of an 8-bit RGB/RGBA non-interlaced PNG (Chromium's screenshots)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and interlace == 0 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw, stride = zlib.decompress(idat), width * channels
    previous, counts, offset = bytearray(stride), {}, 0
    for _ in range(height):
        kind, line = raw[offset], bytearray(raw[offset + 1 : offset + 1 + stride])
        offset += 1 + stride
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up, up_left = previous[x], previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
                line[x] = (line[x] + predictor) & 255
        for x in range(0, stride, channels):
            pixel = (line[x], line[x + 1], line[x + 2])
            counts[pixel] = counts.get(pixel, 0) + 1
        previous = line
    return counts


def test_lineage_graph_renders_offline_in_headless_chromium(served, tmp_path):
    url = served + TILE_1_LINEAGE
    dom = _run_chromium(url, tmp_path / "profile-dom", "--dump-dom")
    html = dom.stdout.decode("utf-8", "replace")
    assert "Lineage Graph" in html, dom.stderr[-1000:]
    assert 'data-id="layer2-node"' in html  # cytoscape's node layer was created

    shot = tmp_path / "lineage.png"
    result = _run_chromium(url, tmp_path / "profile-shot", f"--screenshot={shot}")
    assert shot.exists(), result.stderr[-1000:]
    colours = _png_colours(shot.read_bytes())
    for name, colour in (
        ("source", SOURCE_GREEN),
        ("model", MODEL_BLUE),
        ("exposure", EXPOSURE_ORANGE),
    ):
        # the graph is fitted to the window: the more models upstream of the tile, the smaller
        # each node (Tile 1's lone exposure is about 100 pixels since GA4 joined the graph)
        assert colours.get(colour, 0) > 40, f"no {name} nodes drawn in the lineage graph"
