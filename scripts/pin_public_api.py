"""Write the public API of `instruments` and `psychometrics` (names and call signatures)
to tests/reference/api/public_api.json, which tests/test_public_api.py holds the
packages to. Run it when a release adds public names or parameters on purpose, and
record the change in CHANGELOG.md.

    python scripts/pin_public_api.py
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from api_contract import public_api  # noqa: E402


def main() -> None:
    path = ROOT / "tests" / "reference" / "api" / "public_api.json"
    api = public_api()
    # Names deprecated but not yet removed stay pinned, so the test keeps checking
    # that they still work (with a warning) until the release that removes them.
    old = json.loads(path.read_text()) if path.exists() else {}
    for name, entry in old.items():
        package, attr = name.split(".", 1)
        if name not in api and attr in getattr(importlib.import_module(package), "_DEPRECATED", {}):
            api[name] = entry
    path.write_text(json.dumps(api, indent=1, sort_keys=True) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
