"""Open the example study's report in a real headless browser and check what it shows.

Runs `binnenuit demo`, takes a screenshot of report.html with Debian's chromium
(`apt-get install chromium`), checks that the page is not blank (enough non-white
pixels, more than a handful of colours) and that the HTML refers to nothing outside
itself, and writes a small screenshot of the top of the report for the README
(docs/report.png). Exits 1 when a check fails, 2 when chromium is not installed.

Run from the repository root:  python scripts/check_report_in_browser.py
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> int:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("chromium is not installed (apt-get install chromium)")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "demo"
        subprocess.run([sys.executable, "-m", "psychometrics", "demo", "--out", str(out), "--quiet"],
                       check=True)
        report = out / "report.html"
        text = report.read_text(encoding="utf-8")
        external = re.findall(r'(?:src|href)\s*=\s*"((?:https?:)?//[^"]*)"', text)
        shot = Path(tmp) / "shot.png"
        subprocess.run([browser, *FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}",
                        "--window-size=1280,3200", f"--screenshot={shot}", report.as_uri()],
                       check=True, capture_output=True, timeout=120)
        image = np.asarray(Image.open(shot).convert("RGB"))
        ink = float(np.mean(image.min(axis=2) < 200))
        colours = len(np.unique(image.reshape(-1, 3)[::50], axis=0))
        print(f"report: {report.stat().st_size / 1e6:.1f} MB, {text.count('<svg')} inline figures, "
              f"{len(external)} external references")
        print(f"screenshot {image.shape[1]}x{image.shape[0]}: {100 * ink:.1f}% ink, "
              f"{colours} colours (sampled)")
        ok = ink > 0.02 and colours > 20 and not external
        top = Image.open(shot).convert("RGB").crop((0, 0, 1280, 1500)).resize((640, 750))
        target = ROOT / "docs" / "report.png"
        top.quantize(colors=64).save(target, optimize=True)
        print(f"wrote {target.relative_to(ROOT)} ({target.stat().st_size // 1024} KiB)")
    print("browser check:", "passed" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
