"""``ha.instance``: which Home Assistant the mirrored data came from.

An instance's URL may be edited to lead to another Home Assistant; its
mirrored entities, history and registries would then mix two homes. The
instance keeps the identity of the Home Assistant its data came from
(``ha_instance_uuid``: HA's own ``uuid`` when its config gives one, else a
fingerprint of the URL) and that URL (``last_api_url``). The form warns when
the URL changed since, and a connection test tells whether it is still the
same Home Assistant.
"""

import hashlib
import re

from odoo import _, api, models

_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def url_fingerprint(url):
    """SHA-256 of the URL without scheme, case, trailing slash and control
    characters: ``http://HA.local:8123/`` and ``https://ha.local:8123`` are
    the same server; False for no URL."""
    if not url:
        return False
    text = _CONTROL_CHARS.sub("", url).strip().lower()
    text = text.split("://", 1)[-1].rstrip("/")
    return hashlib.sha256(text.encode()).hexdigest()


class HaInstance(models.Model):
    _inherit = "ha.instance"

    @api.depends("api_url", "last_api_url")
    def _compute_ha_identity_warning(self):
        for instance in self:
            instance.ha_identity_warning = bool(
                instance.last_api_url
            ) and url_fingerprint(instance.api_url) != url_fingerprint(
                instance.last_api_url
            )

    def _ha_stamp_identity(self, ha_uuid=None):
        """The current URL (and HA's uuid, if known) is where the data comes from."""
        for instance in self:
            instance.sudo().write(
                {
                    "ha_instance_uuid": ha_uuid or url_fingerprint(instance.api_url),
                    "last_api_url": instance.api_url,
                }
            )

    def _ha_check_identity(self, ha_uuid):
        """After a successful connection test: None when the URL leads to the
        Home Assistant the data came from (the identity is then confirmed or
        refined), else the warning to show."""
        self.ensure_one()
        if not self._ha_holds_mirrored_data():
            self._ha_stamp_identity(ha_uuid)
            return None
        stored = self.ha_instance_uuid
        url_based = not stored or stored == url_fingerprint(self.last_api_url)
        same_url = url_fingerprint(self.api_url) == url_fingerprint(self.last_api_url)
        if ha_uuid and (ha_uuid == stored or (url_based and same_url)):
            # HA's own word: the same server, whatever its URL looks like now.
            self._ha_stamp_identity(ha_uuid)
            return None
        if not ha_uuid and url_based and same_url:
            return None
        return _(
            "%(name)s now leads to another Home Assistant than the one its data "
            "came from (%(old_url)s). Its entities, history and registries would "
            "mix both: use Clear instance data before syncing, or set the URL "
            "back.",
            name=self.name,
            old_url=self.last_api_url or "?",
        )
