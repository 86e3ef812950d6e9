"""Make `ansible_collections.vpsorg.cloud` importable when pytest runs from the checkout."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ROOT = Path(os.environ.get("VPS_COLLECTIONS_ROOT", "/tmp/vpsorg-cloud-collections"))


def _link_collection():
    parent = ROOT / "ansible_collections" / "vpsorg"
    parent.mkdir(parents=True, exist_ok=True)
    link = parent / "cloud"
    if not (link.is_symlink() and link.resolve() == REPO):
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(REPO)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


if not any(Path(p).name == "ansible_collections" for p in Path(__file__).resolve().parents):
    _link_collection()
