"""`make screenshots`: every main page at 1280 and 375 px, light and dark, into
screenshots/ (ignored by git) with an index.html to look at them in one place.

Runs the app in the sandbox on a fresh SQLite database in a temporary folder, drives
Debian's Chromium (CHROMIUM_PATH overrides /usr/bin/chromium) and needs nothing else.
"""

from __future__ import annotations

import html
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser_support import DESKTOP, PHONE, chromium, new_page, serving  # noqa: E402
from tests.helpers import BASE_CONFIG  # noqa: E402
from tests.tour import build_tour  # noqa: E402

OUT = ROOT / "screenshots"


def main() -> int:
    from app import create_app
    from app.extensions import db

    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/screens.db"
        migrated = create_app({**BASE_CONFIG, "DATABASE_URL": url, "AUTO_MIGRATE": "1"})
        with migrated.app_context():
            db.engine.dispose()
        with serving(url, STATUS_CHECK_INTERVAL_SECONDS=1) as base_url, chromium() as browser:
            visitor, customer = new_page(browser, base_url), new_page(browser, base_url)
            stops = build_tour(visitor, customer)
            shots = []
            for stop in stops:
                page = visitor if stop.visitor else customer
                page.goto(stop.url)
                for scheme in ("light", "dark"):
                    page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
                    for size in (DESKTOP, PHONE):
                        page.set_viewport_size(size)
                        name = f"{stop.name}-{size['width']}-{scheme}.png"
                        page.screenshot(path=str(OUT / name), full_page=True)
                        shots.append((stop.name, name))
                        print(name)
    _index(shots)
    print(f"{len(shots)} screenshots in {OUT}/ (open index.html)")
    return 0


def _index(shots: list[tuple[str, str]]) -> None:
    rows = []
    for page in dict.fromkeys(name for name, _ in shots):
        cells = "".join(
            f'<figure><a href="{f}"><img src="{f}" alt="{html.escape(f)}" loading="lazy"></a>'
            f"<figcaption>{html.escape(f)}</figcaption></figure>"
            for p, f in shots
            if p == page
        )
        rows.append(f"<h2>{html.escape(page)}</h2><div class=row>{cells}</div>")
    (OUT / "index.html").write_text(
        "<!doctype html><meta charset=utf-8><title>Demo Bank screenshots</title>"
        "<style>body{font:14px system-ui;margin:24px}.row{display:flex;gap:16px;"
        "align-items:flex-start;overflow-x:auto}figure{margin:0}img{max-height:480px;"
        "border:1px solid #ccc}</style><h1>Demo Bank screenshots</h1>" + "".join(rows)
    )


if __name__ == "__main__":
    raise SystemExit(main())
