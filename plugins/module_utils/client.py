# Copyright: vpsorg.cloud contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one client of the collection: modules, the inventory, the fleet and the event source use it.

It is composed of the pieces that each hold one concern, and adds nothing of its own:
- transport.py: HTTP, auth, retries and the wording of answers; every request goes through
- budget.py: the task's deadline, the shared pause after a 429, the pace and the concurrency;
- listing.py: the server list, complete or refused; servers.py: one server, changes settled by
  re-reading; waiting.py: waits, and what each poll reads.

Private to this collection (see README "Stability"): names here may change in any release.
"""

from __future__ import annotations

from ansible_collections.vpsorg.cloud.plugins.module_utils import listing, servers, waiting
from ansible_collections.vpsorg.cloud.plugins.module_utils.budget import Budget, run_all
from ansible_collections.vpsorg.cloud.plugins.module_utils.transport import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    Transport,
)

# Callers check for requests here, next to the client that needs it.
__all__ = ["HAS_REQUESTS", "REQUESTS_IMPORT_ERROR", "Budget", "VpsClient"]


class VpsClient:
    """The VPS.org API for one api_url and token, every request of the task under one Budget.

    on_partial: None (a short server list raises IncompleteListingError) or a function that is told
    the warning when a caller that asked for partial answers gets a short list.
    """

    def __init__(self, api_url, api_token, budget=None, page_concurrency=None, on_partial=None, **http):
        self.http = Transport(api_url, api_token, budget=budget, **http)
        self.budget = self.http.budget
        self.api_url = self.http.api_url
        self.page_concurrency = page_concurrency or listing.DEFAULT_PAGE_CONCURRENCY
        self.on_partial = on_partial

    @property
    def request_count(self):
        return self.budget.requests

    def log(self, message):
        self.http.log(message)

    def scrub(self, text):
        return self.http.scrub(text)

    def run_all(self, jobs, most=None):
        """Jobs [(key, job(client))] at the same time under this task's budget (budget.run_all)."""
        return run_all(self.budget, [(key, lambda job=job: job(self)) for key, job in jobs], most)

    # -- reading ---------------------------------------------------------------------------

    def list_servers(self, filters=None, page_size=None):
        return listing.list_servers(self.http, filters, page_size, self.on_partial, self.page_concurrency)

    def get_server(self, server_id):
        return servers.get_server(self.http, server_id)

    def get_server_or_none(self, server_id):
        return servers.get_server_or_none(self.http, server_id)

    # -- changing --------------------------------------------------------------------------

    def create_server(self, body, existing_ids):
        return servers.create_server(self.http, body, existing_ids)

    def update_server(self, server_id, changes):
        return servers.update_server(self.http, server_id, changes)

    def delete_server(self, server_id):
        servers.delete_server(self.http, server_id)

    def power(self, server_id, action, before=None):
        return servers.power(self.http, server_id, action, before)

    # -- waiting, until the task's deadline ------------------------------------------------

    def wait_for_status(self, server_id, targets, label=None):
        return waiting.wait_for_status(self.http, server_id, targets, label)

    def wait_until_gone(self, server_id, label=None):
        waiting.wait_until_gone(self.http, server_id, label)

    def wait_for_fleet(self, targets, **how):
        return waiting.wait_for_fleet(self.http, targets, **how)
