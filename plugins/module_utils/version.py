# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection version sent in the User-Agent (kept equal to galaxy.yml by a unit test)."""

from __future__ import annotations

COLLECTION_VERSION = "1.0.0"
