"""Make `ansible_collections.vpsorg.cloud` importable when pytest runs from the checkout."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve()
# Unit tests share the integration tests' version normalisation (compat.py).
sys.path.insert(0, str(HERE.parents[1] / "integration"))

# Under ansible-test (and in the mutation copy) the tree already sits in
# ansible_collections/vpsorg/cloud.
if not any(parent.name == "ansible_collections" for parent in HERE.parents):
    from harness import ensure_collection_link

    root = str(ensure_collection_link())
    if root not in sys.path:
        sys.path.insert(0, root)

    # Plugins resolve doc fragments such as vpsorg.cloud.api through Ansible's collection
    # loader, as they do under ansible-test units.
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

    _AnsibleCollectionFinder(paths=[root])._install()
