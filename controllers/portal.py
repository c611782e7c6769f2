"""Portal pages of the entities, groups and devices shared with the user.

Thin: ``ha.portal`` and ``ha.entity.share`` decide what the user may see and
do; here requests are parsed, lists sorted and paged, pages rendered. Unknown
or unshared records answer 404, records reached only by expired shares 403,
and neither page names anything the user was not given.
"""

from odoo import _, http
from odoo.exceptions import UserError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..models.common import ha_errors
from ..models.ha_api import HaApiError
from ..models.ha_portal import PortalAccessError, attribute_text
from ..models.ha_remote_call import ha_error_text

PER_PAGE = 20
TABS = ("entities", "groups", "devices")


def _name(record):
    return (record.display_name or "").lower()


class HaPortal(CustomerPortal):
    # -- /my home card ------------------------------------------------------------

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "ha_share_count" in counters:
            values["ha_share_count"] = request.env["ha.portal"]._share_count()
        return values

    # -- plumbing ---------------------------------------------------------------------

    def _error_page(self, reason):
        template, status = {
            "expired": ("odoo_ha_addon.portal_error_403", 403),
        }.get(reason, ("odoo_ha_addon.portal_error_404", 404))
        values = self._prepare_portal_layout_values()
        values["page_name"] = "ha"
        return request.render(template, values, status=status)

    def _page(self, template, values):
        layout = self._prepare_portal_layout_values()
        layout.update(values)
        return request.render(template, layout)

    @staticmethod
    def _json(call):
        """``{success, data}`` or ``{success: false, error, error_type}``; a
        refused or failed call changes nothing (its transaction rolls back)."""
        try:
            data = call()
            request.env.flush_all()
        except PortalAccessError as err:
            request.env.cr.rollback()
            error_type = "access_denied" if err.reason == "expired" else "not_found"
            message = (
                _("This share has expired.")
                if err.reason == "expired"
                else _("Not found.")
            )
            return {"success": False, "error": message, "error_type": error_type}
        except HaApiError as err:
            request.env.cr.rollback()
            return err.as_response()
        except ha_errors.HaError as err:
            request.env.cr.rollback()
            return {
                "success": False,
                "error": ha_error_text(request.env, err),
                "error_type": "call_failed",
            }
        except UserError as err:
            request.env.cr.rollback()
            return {"success": False, "error": str(err), "error_type": "call_failed"}
        return {"success": True, "data": data}

    # -- hub --------------------------------------------------------------------------

    @http.route("/my/ha", type="http", auth="user", website=True, sitemap=False)
    def portal_my_ha(self, **kw):
        return self._page(
            "odoo_ha_addon.portal_my_ha",
            {
                "page_name": "ha",
                "instances": request.env["ha.portal"]._shared_instances(),
            },
        )

    def _instance_lists(self, instance, tab, sortby, filterby):
        """The tab's rows ``[(record, permission)]``, sorted and filtered,
        with the searchbar's options."""
        Share = request.env["ha.entity.share"]
        if tab == "groups":
            rows = Share.get_shared_groups_for_user(instance=instance)
            sortings = {
                "name": (_("Name"), _name, False),
                "name_desc": (_("Name (Z-A)"), _name, True),
                "entity_count": (
                    _("Entities"),
                    lambda r: len(r.entity_ids.filtered("active")),
                    True,
                ),
            }
            filters = {}
        elif tab == "devices":
            rows = Share.get_shared_devices_for_user(instance=instance)
            sortings = {
                "name": (_("Name"), _name, False),
                "name_desc": (_("Name (Z-A)"), _name, True),
                "manufacturer": (
                    _("Manufacturer"),
                    lambda r: ((r.manufacturer or "").lower(), _name(r)),
                    False,
                ),
            }
            filters = {
                m: m
                for m in sorted({r.manufacturer for r, _p in rows if r.manufacturer})
            }
            if filterby in filters:
                rows = [(r, p) for r, p in rows if r.manufacturer == filterby]
        else:
            rows = Share.get_shared_entities_for_user(instance=instance)
            sortings = {
                "name": (_("Name"), _name, False),
                "name_desc": (_("Name (Z-A)"), _name, True),
                "last_changed": (
                    _("Last changed"),
                    lambda r: r.last_changed or r.create_date,
                    True,
                ),
                "domain": (_("Domain"), lambda r: (r.domain, _name(r)), False),
            }
            filters = {d: d for d in sorted({r.domain for r, _p in rows})}
            if filterby in filters:
                rows = [(r, p) for r, p in rows if r.domain == filterby]
        if sortby not in sortings:
            sortby = "name"
        _label, key, reverse = sortings[sortby]
        rows = sorted(rows, key=lambda row: key(row[0]), reverse=reverse)
        searchbar_sortings = {k: {"label": v[0]} for k, v in sortings.items()}
        searchbar_filters = {"all": {"label": _("All")}}
        searchbar_filters.update({k: {"label": v} for k, v in filters.items()})
        if filterby not in searchbar_filters:
            filterby = "all"
        return rows, sortby, filterby, searchbar_sortings, searchbar_filters

    @http.route(
        [
            "/my/ha/<int:instance_id>",
            "/my/ha/<int:instance_id>/page/<int:page>",
        ],
        type="http",
        auth="user",
        website=True,
        sitemap=False,
    )
    def portal_my_ha_instance(
        self, instance_id, page=1, tab="entities", sortby="name", filterby="all", **kw
    ):
        try:
            instance = request.env["ha.portal"]._instance(instance_id)
        except PortalAccessError as err:
            return self._error_page(err.reason)
        if tab not in TABS:
            tab = "entities"
        rows, sortby, filterby, sortings, filters = self._instance_lists(
            instance, tab, sortby, filterby
        )
        pager = portal_pager(
            url=f"/my/ha/{instance.id}",
            url_args={"tab": tab, "sortby": sortby, "filterby": filterby},
            total=len(rows),
            page=page,
            step=PER_PAGE,
        )
        offset = pager["offset"]
        rows = rows[offset : offset + PER_PAGE]
        if tab == "entities":  # their live state badges start from these
            Portal = request.env["ha.portal"]
            rows = [(r, p, Portal._entity_payload(r, p)) for r, p in rows]
        return self._page(
            "odoo_ha_addon.portal_my_ha_instance",
            {
                "page_name": "ha_instance",
                "instance": instance,
                "tab": tab,
                "rows": rows,
                "pager": pager,
                "sortby": sortby,
                "filterby": filterby,
                "searchbar_sortings": sortings,
                "searchbar_filters": filters,
                "default_url": f"/my/ha/{instance.id}",
            },
        )

    # -- records ----------------------------------------------------------------------

    @http.route(
        "/my/ha/<int:instance_id>/<any(entity,group,device):kind>/<int:record_id>",
        type="http",
        auth="user",
        website=True,
        sitemap=False,
    )
    def portal_record(self, instance_id, kind, record_id, **kw):
        Portal = request.env["ha.portal"]
        try:
            record, permission = Portal._resolve(kind, record_id, instance_id)
        except PortalAccessError as err:
            return self._error_page(err.reason)
        values = {
            "page_name": f"ha_{kind}",
            "instance": record.ha_instance_id,
            "record": record,
            "permission": permission,
            "state": Portal._state_payload(kind, record, permission),
            "attribute_text": attribute_text,
        }
        if kind == "entity":
            shared = [
                e.id
                for e, _p in request.env[
                    "ha.entity.share"
                ].get_shared_entities_for_user(instance=record.ha_instance_id)
            ]
            index = shared.index(record.id) if record.id in shared else -1
            values["prev_id"] = shared[index - 1] if index > 0 else False
            values["next_id"] = (
                shared[index + 1] if 0 <= index < len(shared) - 1 else False
            )
        return self._page(f"odoo_ha_addon.portal_{kind}_detail", values)

    @http.route(
        [
            "/my/ha/<int:instance_id>/<any(entity,group,device):kind>/<int:record_id>/state",
        ],
        type="json",
        auth="user",
    )
    def portal_state(self, instance_id, kind, record_id, **kw):
        return self._json(
            lambda: request.env["ha.portal"].state(kind, record_id, instance_id)
        )

    @http.route(
        "/my/ha/<int:instance_id>/entity/<int:entity_id>/service",
        type="json",
        auth="user",
    )
    def portal_service(
        self, instance_id, entity_id, domain=None, service=None, service_data=None
    ):
        return self._json(
            lambda: request.env["ha.portal"].call_service(
                entity_id, instance_id, domain, service, service_data
            )
        )

    # -- the original addon's addresses ----------------------------------------------

    @http.route(
        [
            "/portal/<any(entity,entity_group,device):kind>/<int:record_id>",
        ],
        type="http",
        auth="user",
        website=True,
        sitemap=False,
    )
    def portal_legacy(self, kind, record_id, **kw):
        kind = "group" if kind == "entity_group" else kind
        try:
            record, _permission = request.env["ha.portal"]._resolve(kind, record_id)
        except PortalAccessError:
            return request.redirect("/my/ha")
        return request.redirect(f"/my/ha/{record.ha_instance_id.id}/{kind}/{record.id}")
