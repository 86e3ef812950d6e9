# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one client of the collection: modules, the inventory, the fleet and the event source use it.

Each layer lives in its own file: transport (HTTP, auth, retries, answer checks), listing
(pagination), servers (the resource, settling lost answers) and waiting.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

from ansible_collections.vpsorg.cloud.plugins.module_utils.listing import Listing
from ansible_collections.vpsorg.cloud.plugins.module_utils.servers import ServerResource

# HAS_REQUESTS and REQUESTS_IMPORT_ERROR are re-exported for base_module.
from ansible_collections.vpsorg.cloud.plugins.module_utils.transport import (  # noqa: F401 pylint: disable=unused-import
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    Transport,
)
from ansible_collections.vpsorg.cloud.plugins.module_utils.waiting import ServerWaiter


class VpsClient(ServerWaiter, ServerResource, Listing, Transport):
    """The VPS.org API for one api_url and token."""
