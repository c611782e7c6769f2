"""``ha.entity``: one Home Assistant entity of one instance, mirrored in Odoo.

Everything the model does is here: its fields, the display-area rule, the
Odoo edits pushed to Home Assistant's entity registry (``write``), the full
sync started from Odoo (``fetch_states``) and the history backfill that
starts when recording is switched on.
"""

import json
import logging
from datetime import datetime, timedelta

from lxml import etree

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .common import ha_errors
from .ha_remote_call import ha_error_text

_logger = logging.getLogger(__name__)

# Fields mirrored to HA's entity registry (config/entity_registry/update).
PUSHED_FIELDS = {"name", "area_id", "follows_device_area", "label_ids"}
# What an HA User may write on an entity they see (record rules decide which);
# everything else is for managers.
USER_EDITABLE_FIELDS = {"properties"}

BACKFILL_PARAM = "odoo_ha_addon.history_backfill_days"
DEFAULT_BACKFILL_DAYS = 1
BACKFILL_BATCH = 100  # entity ids per history/history_during_period
BACKFILL_TIMEOUT = 60.0


def display_area(follows_device_area, own_area, device_area):
    """The area an entity is shown in: HA's rule, the only copy of it.

    An entity that follows its device shows the device's area when the device
    has one; otherwise (own area, or a device without area) its own area.
    Works on records (the ORM compute) and on ids (the bulk sync in
    ``ha.sync``), so both sides apply the same rule.
    """
    return device_area if follows_device_area and device_area else own_area


def _iso_utc(moment):
    return moment.isoformat() + "+00:00"


class HaEntity(models.Model):
    """The Odoo mirror of one Home Assistant entity of one instance.

    Rows are written in bulk by ``ha.sync`` (full syncs and live events); an
    entity that disappears from Home Assistant is archived, never deleted, so its
    history and group memberships survive. A manager's edit of the name, area
    or labels is pushed to Home Assistant before the transaction commits.
    """

    _name = "ha.entity"
    _inherit = ["ha.current.instance.mixin", "mail.thread", "mail.activity.mixin"]
    _description = "Home Assistant Entity"
    _order = "domain, name, id"
    _rec_names_search = ["name", "entity_id"]

    entity_id = fields.Char(
        string="Entity ID", required=True, readonly=True, index=True, copy=False
    )
    domain = fields.Char(required=True, readonly=True, index=True)
    # Editable by managers: a new name is HA's registry name (empty restores
    # the integration's name).
    name = fields.Char(help="friendly_name reported by Home Assistant")
    entity_state = fields.Char(string="State", readonly=True)
    attributes = fields.Json(readonly=True)
    attributes_str = fields.Text(
        string="Attributes (JSON)",
        compute="_compute_attributes_str",
        inverse="_inverse_attributes_str",
        help="The state attributes as Home Assistant sent them; a manager's edit "
        "stays in Odoo until Home Assistant sends the next state.",
    )
    history_count = fields.Integer(compute="_compute_history_count")
    tag_count = fields.Integer(compute="_compute_tag_count")
    last_changed = fields.Datetime(readonly=True, help="Home Assistant's time")
    last_updated = fields.Datetime(readonly=True, help="Home Assistant's time")
    state_value = fields.Float(
        string="Numeric State",
        readonly=True,
        help="The state as a number, when it is one (0 otherwise): for "
        "comparisons in filters and automation rules.",
    )
    # Matches a control of Odoo's to the state change it caused (control log).
    ha_context_id = fields.Char(
        string="Context ID",
        readonly=True,
        copy=False,
        help="Home Assistant's context id of the last state change.",
    )
    ha_instance_id = fields.Many2one(
        "ha.instance", string="Instance", required=True, ondelete="cascade", index=True
    )
    area_id = fields.Many2one(
        "ha.area",
        string="Area",
        ondelete="set null",
        index=True,
        domain="[('ha_instance_id', '=', ha_instance_id)]",
    )
    device_id = fields.Many2one(
        "ha.device",
        string="Device",
        ondelete="set null",
        index=True,
        domain="[('ha_instance_id', '=', ha_instance_id)]",
    )
    follows_device_area = fields.Boolean(
        default=True, help="The entity has no own area and shows its device's area."
    )
    display_area_id = fields.Many2one(
        "ha.area",
        string="Effective Area",
        compute="_compute_display_area_id",
        store=True,
        index=True,
        ondelete="set null",
    )
    label_ids = fields.Many2many(
        "ha.label",
        "ha_entity_label_rel",
        "entity_id",
        "label_id",
        string="Labels",
        domain="[('ha_instance_id', '=', ha_instance_id)]",
    )
    group_ids = fields.Many2many(
        "ha.entity.group",
        "ha_entity_group_entity_rel",
        "entity_id",
        "group_id",
        string="Groups",
        domain="[('ha_instance_id', '=', ha_instance_id)]",
        tracking=True,
    )
    tag_ids = fields.Many2many(
        "ha.entity.tag",
        "ha_entity_tag_rel",
        "entity_id",
        "tag_id",
        string="Tags",
        domain="[('ha_instance_id', '=', ha_instance_id)]",
        tracking=True,
    )
    history_ids = fields.One2many("ha.entity.history", "entity_id", string="History")
    share_ids = fields.One2many(
        "ha.entity.share",
        "entity_id",
        string="Shares",
        groups="odoo_ha_addon.group_ha_manager",
    )
    enable_record = fields.Boolean(
        string="Record History",
        help="Keep the state history of this entity in Odoo.",
        tracking=True,
    )
    note = fields.Text()
    properties = fields.Properties(
        definition="ha_instance_id.entity_properties_definition"
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "entity_instance_unique",
            "unique(ha_instance_id, entity_id)",
            "An entity exists only once per instance.",
        ),
    ]

    @api.depends("area_id", "device_id.area_id", "follows_device_area")
    def _compute_display_area_id(self):
        for entity in self:
            entity.display_area_id = display_area(
                entity.follows_device_area, entity.area_id, entity.device_id.area_id
            )

    @api.depends("name", "entity_id")
    def _compute_display_name(self):
        for entity in self:
            entity.display_name = entity.name or entity.entity_id

    @api.depends("attributes")
    def _compute_attributes_str(self):
        for entity in self:
            entity.attributes_str = json.dumps(
                entity.attributes or {}, indent=2, sort_keys=True, ensure_ascii=False
            )

    def _inverse_attributes_str(self):
        # HA users never get here: write() refuses them every field but the
        # custom properties (_ha_check_user_fields).
        for entity in self:
            try:
                attributes = json.loads(entity.attributes_str or "{}")
            except ValueError as err:
                raise UserError(
                    _("The attributes must be valid JSON: %(error)s", error=err)
                ) from err
            if not isinstance(attributes, dict):
                raise UserError(_("The attributes must be a JSON object."))
            entity.attributes = attributes

    @api.depends("history_ids")
    def _compute_history_count(self):
        groups = self.env["ha.entity.history"]._read_group(
            [("entity_id", "in", self._origin.ids)], ["entity_id"], ["__count"]
        )
        counts = {entity.id: count for entity, count in groups}
        for entity in self:
            entity.history_count = counts.get(entity._origin.id, 0)

    @api.depends("tag_ids")
    def _compute_tag_count(self):
        for entity in self:
            entity.tag_count = len(entity.tag_ids)

    @api.constrains("ha_instance_id", "area_id", "device_id", "label_ids")
    def _check_instance_consistency(self):
        for entity in self:
            linked = entity.area_id.ha_instance_id | entity.device_id.ha_instance_id
            linked |= entity.label_ids.ha_instance_id
            if linked - entity.ha_instance_id:
                raise ValidationError(
                    _(
                        "Entity %(entity)s may only be linked to areas, devices and "
                        "labels of its own instance.",
                        entity=entity.entity_id,
                    )
                )

    @api.constrains("ha_instance_id", "group_ids", "tag_ids")
    def _check_group_instance(self):
        for entity in self:
            linked = entity.group_ids.ha_instance_id | entity.tag_ids.ha_instance_id
            if linked - entity.ha_instance_id:
                raise ValidationError(
                    _(
                        "Entity %(entity)s may only belong to groups and tags of its "
                        "own instance.",
                        entity=entity.entity_id,
                    )
                )

    # -- CRUD ------------------------------------------------------------------

    def write(self, vals):
        """Push registry edits to Home Assistant; backfill newly recorded ones.

        Edits of :data:`PUSHED_FIELDS` go to HA's entity registry after the
        ORM write (constraints checked) and before the commit: if HA refuses,
        the UserError rolls the Odoo change back. Entities whose recording is
        switched on get their recent history from HA (``ha_no_backfill`` in
        the context skips that).
        """
        self._ha_check_user_fields(vals)
        remote = self.env["ha.remote.call"]
        push = remote._ha_push_enabled() and bool(PUSHED_FIELDS & set(vals))
        if push:
            vals = dict(vals)
            # HA's rule: an entity with an own area does not follow its device.
            if vals.get("follows_device_area"):
                vals["area_id"] = False
            elif "area_id" in vals:
                vals["follows_device_area"] = not vals["area_id"]
        newly_recorded = self.browse()
        if vals.get("enable_record"):
            newly_recorded = self.filtered(lambda e: not e.enable_record)
        result = super().write(vals)
        if push:
            for entity in self:
                remote._ha_call(entity.ha_instance_id, entity._ha_registry_update(vals))
        if newly_recorded and not self.env.context.get("ha_no_backfill"):
            newly_recorded._ha_backfill_history()
        return result

    @api.model
    def _ha_user_limited(self):
        """True for an HA User who is no manager: they may write only
        :data:`USER_EDITABLE_FIELDS` (their ACL grants write for that)."""
        return not self.env["ha.api"]._ha_is_manager()

    def _ha_check_user_fields(self, vals):
        forbidden = set(vals) - USER_EDITABLE_FIELDS
        if forbidden and self._ha_user_limited():
            raise AccessError(
                _(
                    "Only Home Assistant managers may change %(fields)s of an "
                    "entity; you may edit its custom properties.",
                    fields=", ".join(
                        sorted(
                            self._fields[f]._description_string(self.env)
                            for f in forbidden
                            if f in self._fields
                        )
                    ),
                )
            )

    @api.model
    def get_view(self, view_id=None, view_type="form", **options):
        # The form of an HA User shows every field read-only but the ones
        # they may write (the view cache is shared by all users: per call).
        result = super().get_view(view_id, view_type, **options)
        if view_type == "form" and self._ha_user_limited():
            arch = etree.fromstring(result["arch"])
            for node in arch.iter("field"):
                inside_subview = any(
                    parent.tag == "field" for parent in node.iterancestors()
                )
                if not inside_subview and node.get("name") not in USER_EDITABLE_FIELDS:
                    node.set("readonly", "True")
            result = dict(result, arch=etree.tostring(arch, encoding="unicode"))
        return result

    # -- controls from server actions -----------------------------------------

    def ha_call_service(self, service, data=None):
        """Call ``<domain>.<service>`` with ``data`` on these entities (for the
        code of server actions and automation rules).

        Goes through the controls' own path (rights, allow-list, limits,
        control log). Run by a rule, it acts as the user who last saved the
        rule and is logged as that rule's; elsewhere as the current user.
        Returns the answers, one per instance.
        """
        rule = self.env["base.automation"].browse(
            self.env.context.get("ha_automation_id") or []
        )
        user = rule.sudo().write_uid if rule else self.env.user
        api = self.env["ha.api"].with_user(user)
        answers = []
        for instance in self.ha_instance_id:
            entities = self.filtered(lambda e, i=instance: e.ha_instance_id == i)
            for domain in sorted(set(entities.mapped("domain"))):
                targets = entities.filtered(lambda e, d=domain: e.domain == d)
                answers.append(
                    api.call_service(
                        instance.id,
                        domain,
                        service,
                        dict(data or {}, entity_id=targets.mapped("entity_id")),
                        origin="rule" if rule else "backend",
                    )
                )
        return answers

    # -- Odoo -> Home Assistant registry edits ---------------------------------

    def _ha_registry_update(self, vals):
        """The ``config/entity_registry/update`` command for changed ``vals``.

        Only the fields really written are sent: a labels-only update leaves
        HA's area alone (sending ``area_id: null`` would clear it).
        """
        self.ensure_one()
        payload = {"type": "config/entity_registry/update", "entity_id": self.entity_id}
        if "name" in vals:
            payload["name"] = self.name or None
        if "area_id" in vals or "follows_device_area" in vals:
            area = self.browse() if self.follows_device_area else self.area_id
            if area and not area.area_id:
                raise UserError(
                    _("Area %(area)s is not known to Home Assistant.", area=area.name)
                )
            payload["area_id"] = area.area_id or None
        if "label_ids" in vals:
            payload["labels"] = self.label_ids._ha_label_ids()
        return payload

    # -- full sync started from Odoo -------------------------------------------

    @api.model
    def fetch_states(self):
        """Full sync of every active instance (managers and the system only).

        Through the connection (registries and states) when an Odoo process
        holds it, else REST ``/api/states`` (states only). An instance that
        fails does not stop the others: each gets its own savepoint and an
        entry ``{instance_id, name, success, mode, error}`` in the result.
        """
        user = self.env.user
        if not (
            self.env.su
            or user.has_group("odoo_ha_addon.group_ha_manager")
            or user.has_group("base.group_system")
        ):
            raise AccessError(
                _("Only Home Assistant managers may run a full synchronisation.")
            )
        # sudo: every active instance is synced, with its (manager-only) token.
        instances = self.env["ha.instance"].sudo().search([])
        results = []
        for instance in instances:
            entry = {"instance_id": instance.id, "name": instance.name}
            try:
                with self.env.cr.savepoint():
                    entry["mode"] = instance._ha_fetch_full_sync()
                entry["success"] = True
            except (UserError, ha_errors.HaError, ValueError) as err:
                message = (
                    err.args[0]
                    if isinstance(err, UserError)
                    else ha_error_text(self.env, err)
                    if isinstance(err, ha_errors.HaError)
                    else str(err)
                )
                _logger.warning(
                    "HA instance %s (%s): full sync failed: %s",
                    instance.id,
                    instance.name,
                    message,
                )
                entry.update(
                    success=False,
                    error=_(
                        "Full synchronisation of %(instance)s failed: %(error)s",
                        instance=instance.name,
                        error=message,
                    ),
                )
            results.append(entry)
        return results

    # -- history backfill (recording switched on) ------------------------------

    @api.model
    def _ha_backfill_days(self):
        # sudo: a technical parameter, read for the user who switches recording on
        value = (
            self.env["ir.config_parameter"].sudo().get_param(BACKFILL_PARAM, "") or ""
        ).strip()
        try:
            return int(value) if value else DEFAULT_BACKFILL_DAYS
        except ValueError:
            _logger.warning("Ignoring invalid %s=%r", BACKFILL_PARAM, value)
            return DEFAULT_BACKFILL_DAYS

    def _ha_backfill_history(self, days=None):
        """Store the last ``days`` of HA history of these entities.

        ``history/history_during_period`` per instance (batches of ids), stored
        by ``ha.sync._ha_store_history`` (duplicates skipped). Runs in the
        caller's transaction, never commits; HA errors raise a UserError. An
        instance no Odoo process is connected to is skipped (logged): recording
        then starts with the next live state. Returns the rows inserted.
        """
        days = self._ha_backfill_days() if days is None else days
        if days <= 0 or not self:
            return 0
        remote = self.env["ha.remote.call"]
        # Whole seconds: HA stamps the start-time state with exactly this start.
        end = datetime.utcnow().replace(microsecond=0)
        start = end - timedelta(days=days)
        inserted = 0
        for instance in self.ha_instance_id:
            entities = self.filtered(lambda e, i=instance: e.ha_instance_id == i)
            if not remote._ha_reachable(instance):
                _logger.info(
                    "HA instance %s not connected: no history backfill for %s "
                    "entities",
                    instance.id,
                    len(entities),
                )
                continue
            keys = entities.mapped("entity_id")
            for offset in range(0, len(keys), BACKFILL_BATCH):
                payload = {
                    "type": "history/history_during_period",
                    "start_time": _iso_utc(start),
                    "end_time": _iso_utc(end),
                    "entity_ids": keys[offset : offset + BACKFILL_BATCH],
                    "include_start_time_state": True,
                    "significant_changes_only": False,
                    "minimal_response": False,
                    "no_attributes": False,
                }
                rows = remote._ha_call(instance, payload, BACKFILL_TIMEOUT)
                if not isinstance(rows, dict):
                    raise UserError(
                        _("Home Assistant sent an unexpected history answer.")
                    )
                inserted += self.env["ha.sync"]._ha_store_history(
                    instance, rows, window_start=start
                )
        return inserted
