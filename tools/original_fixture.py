"""A database as the original ``odoo_ha_addon`` (manifest 18.0.7.0) leaves it.

Nothing of the original is used: the fixture is written from what is known of
its schema (tables, columns, XML ids, the records its data files create, the
values its code stores). It starts from a fresh install of this addon, takes
away what the original does not have (our views, menus, actions, cron, rules,
columns), puts in what it has (its columns and tables, its user interface
records, including the settings view naming ``ha_last_sync_date``), stamps the
module row 18.0.7.0 and seeds records as the original stores them.

    python -m tools.original_fixture check --odoo-bin ... --addons-path ... --db NAME
        builds it, runs ``odoo-bin -u odoo_ha_addon`` twice and checks the result
        (what ``./dev tier install`` runs);
    python -m tools.original_fixture build --db NAME [--history N]
        converts an installed database only.
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time

import psycopg2

MODULE = "odoo_ha_addon"
ORIGINAL_VERSION = "18.0.7.0"

# The original's tables and columns (type; "!" = NOT NULL), besides id and the
# four magic columns. i integer, v varchar, t text, j jsonb, b boolean,
# ts timestamp, f double precision.
ORIGINAL_COLUMNS = {
    "ha_instance": "sequence:i name:v! api_url:v! api_token:v! ha_instance_uuid:v "
    "last_api_url:v entity_properties_definition:j group_properties_definition:j "
    "device_properties_definition:j description:t active:b last_sync_date:ts",
    "ha_area": "ha_instance_id:i! entity_count:i area_id:v name:v! picture:v icon:v "
    "floor_id:v aliases:j",
    "ha_label": "ha_instance_id:i! color:i label_id:v name:v! icon:v ha_color:v "
    "description:t created_at:f modified_at:f",
    "ha_device": "ha_instance_id:i! tag_count:i area_id:i access_token:v device_id:v! "
    "name:v name_by_user:v manufacturer:v model:v model_id:v hw_version:v "
    "sw_version:v serial_number:v configuration_url:v entry_type:v disabled_by:v "
    "via_device_id:v primary_config_entry:v config_entries:j connections:j "
    "identifiers:j properties:j created_at:f modified_at:f",
    "ha_entity": "ha_instance_id:i! area_id:i display_area_id:i device_id:i "
    "access_token:v entity_id:v! domain:v! name:v entity_state:v attributes:j "
    "properties:j note:t enable_record:b follows_device_area:b last_changed:ts",
    "ha_entity_history": "ha_instance_id:i entity_id:i! domain:v! entity_state:v "
    "attributes:j last_changed:ts last_updated:ts num_state:f",
    "ha_entity_group": "ha_instance_id:i! color:i sequence:i entity_count:i "
    "tag_count:i access_token:v name:v! properties:j description:t note:t active:b",
    "ha_entity_tag": "ha_instance_id:i! color:i sequence:i entity_count:i name:v! "
    "description:t active:b",
    "ha_entity_group_tag": "ha_instance_id:i! color:i sequence:i group_count:i "
    "name:v! description:t active:b",
    "ha_device_tag": "ha_instance_id:i! color:i sequence:i device_count:i name:v! "
    "description:t active:b",
    "ha_entity_share": "entity_id:i group_id:i device_id:i user_id:i! "
    "ha_instance_id:i permission:v! display_name:v notification_sent:b "
    "expiry_date:ts",
    "ha_entity_share_wizard": "entity_id:i group_id:i device_id:i permission:v! "
    "expiry_date:ts",
    "ha_instance_clear_wizard": "instance_id:i! instance_name:v",
    "ha_ws_request_queue": "ha_instance_id:i subscription_id:i event_count:i "
    "request_id:v! message_type:v! state:v! payload:t events:t result:t error:t "
    "is_subscription:b",
}
TYPES = {
    "i": "integer",
    "v": "varchar",
    "t": "text",
    "j": "jsonb",
    "b": "boolean",
    "ts": "timestamp",
    "f": "double precision",
}
STALE_KEYS = tuple(
    f"odoo_ha_addon.{key}"
    for key in (
        "ha_ws_heartbeat_interval",
        "ha_history_sync_max_workers",
        "ha_api_url",
        "ha_api_token",
    )
)
MAGIC = ("id", "create_uid", "create_date", "write_uid", "write_date")
# Tables of ours the original does not have (our share wizard's relations).
OURS_ONLY_TABLES = (
    "ha_entity_history_minute",
    "ha_entity_ha_entity_share_wizard_rel",
    "ha_entity_group_ha_entity_share_wizard_rel",
    "ha_device_ha_entity_share_wizard_rel",
    "ha_entity_share_wizard_res_users_rel",
)
# The original's share wizard keeps its users in a table of its own.
ORIGINAL_WIZARD_USERS = "ha_entity_share_wizard_user_rel"
# The original's names of the share constraints ours also has (ours: theirs).
SHARE_CONSTRAINTS = {
    "one_target": "entity_group_device_exclusive",
    "entity_user_unique": "unique_entity_user",
    "group_user_unique": "unique_group_user",
    "device_user_unique": "unique_device_user",
}
OURS_ONLY_FUNCTIONS = (
    "ha_entity_history_minute_add",
    "ha_entity_history_minute_remove",
)
# The original's models (ir.model rows), added when a fresh install of ours
# lacks them.
ORIGINAL_ONLY_MODELS = {
    "ha.entity.share": ("Entity Share", False),
    "ha.entity.share.wizard": ("Share Entity Wizard", True),
    "ha.instance.clear.wizard": ("Clear Instance Data Wizard", True),
    "ha.current.instance.filter.mixin": ("Current Instance Filter Mixin", False),
}
# The records counted before and after the upgrade.
COUNTED = (
    "ha_instance",
    "ha_area",
    "ha_label",
    "ha_device",
    "ha_entity",
    "ha_entity_history",
    "ha_entity_group",
    "ha_entity_tag",
    "ha_entity_group_tag",
    "ha_device_tag",
    "ha_entity_group_entity_rel",
    "ha_entity_group_user_rel",
    "ha_entity_group_tag_rel",
    "ha_entity_tag_rel",
    "ha_device_tag_rel",
    "ha_entity_label_rel",
    "ha_device_label_rel",
    "ha_area_label_rel",
    "ha_entity_share",
)
UI_MODELS = {
    "ir.ui.view": "ir_ui_view",
    "ir.ui.menu": "ir_ui_menu",
    "ir.actions.act_window": "ir_act_window",
    "ir.actions.client": "ir_act_client",
    "ir.cron": "ir_cron",
    "ir.actions.server": "ir_act_server",
    "ir.rule": "ir_rule",
    "ir.model.access": "ir_model_access",
}

# The settings view the original leaves behind: it names settings fields our
# res.config.settings does not have, which aborted a plain upgrade.
SETTINGS_ARCH = """<xpath expr="//form" position="inside">
  <app string="WOOW HA" name="odoo_ha_addon">
    <block title="WOOW HA Configuration" name="ha_block">
      <setting string="Instance"><field name="ha_instance_id"/></setting>
      <setting string="Status"><field name="ha_websocket_status"/>
        <field name="ha_entity_count"/><field name="ha_last_sync_date"/></setting>
      <setting string="Connection"><field name="ha_api_url"/>
        <field name="ha_ws_url"/><field name="ha_api_token" password="True"/>
        <field name="ha_ws_heartbeat_interval"/>
        <field name="ha_history_sync_max_workers"/></setting>
    </block>
  </app>
</xpath>"""
# Views on our models naming fields that are gone (share_ids, websocket_status
# as the original computed it), and others of models that are gone.
ORIGINAL_VIEWS = (
    # xml id, model, type, inherits (xml id), arch
    (
        "odoo_ha_addon_settings_view",
        "res.config.settings",
        "form",
        "base.res_config_settings_view_form",
        SETTINGS_ARCH,
    ),
    (
        "ha_entity_view_form",
        "ha.entity",
        "form",
        None,
        '<form><sheet><field name="name"/><field name="share_ids"/>'
        '<field name="properties"/></sheet><chatter/></form>',
    ),
    (
        "ha_entity_view_list",
        "ha.entity",
        "list",
        None,
        '<list><field name="name"/><field name="entity_id"/></list>',
    ),
    (
        "ha_entity_history_view_hahistory",
        "ha.entity.history",
        "hahistory",
        None,
        '<hahistory domain="sensor" limit="50000" max_points_per_entity="200"/>',
    ),
    (
        "view_ha_instance_form",
        "ha.instance",
        "form",
        None,
        '<form><field name="name"/><field name="ha_instance_uuid"/></form>',
    ),
    (
        "view_ha_instance_form_modal",
        "ha.instance",
        "form",
        None,
        '<form><field name="name"/><field name="api_url"/></form>',
    ),
    (
        "view_ha_instance_clear_wizard_form",
        "ha.instance.clear.wizard",
        "form",
        None,
        '<form><field name="instance_name"/></form>',
    ),
    (
        "view_ha_entity_share_wizard_form",
        "ha.entity.share.wizard",
        "form",
        None,
        '<form><field name="permission"/></form>',
    ),
    (
        "portal_my_ha",
        None,
        "qweb",
        None,
        '<t t-name="odoo_ha_addon.portal_my_ha"><div>HA</div></t>',
    ),
)
# act_window: xml id, model, view_mode, context, binding model
ORIGINAL_ACT_WINDOWS = (
    (
        "entity_action",
        "ha.entity",
        "list,form,kanban",
        "{'search_default_available': 1}",
        None,
    ),
    (
        "entity_history_action",
        "ha.entity.history",
        "hahistory,list,form",
        "{'search_default_available': 1, 'search_default_filter_today': 1}",
        None,
    ),
    ("action_ha_instance", "ha.instance", "list,form,kanban", "{}", None),
    ("ha_area_action", "ha.area", "list,form", "{}", None),
    (
        "ha_settings_action",
        "res.config.settings",
        "form",
        "{'module': 'odoo_ha_addon', 'search_default_module': 'odoo_ha_addon'}",
        None,
    ),
    ("ha_entity_view_tags_action", "ha.entity.tag", "list,form", "{}", None),
    (
        "action_ha_entity_share_wizard",
        "ha.entity.share.wizard",
        "form",
        "{'default_entity_id': active_id}",
        "ha.entity",
    ),
)
ORIGINAL_CLIENT_ACTIONS = (
    ("ha_instance_dashboard_action", "odoo_ha_addon.ha_instance_dashboard"),
    ("area_dashboard_action", "odoo_ha_addon.ha_area_dashboard"),
    ("ha_info_dashboard", "odoo_ha_addon.ha_info_dashboard"),
)
# menu xml id, parent xml id, action xml id (act_window / client)
ORIGINAL_MENUS = (
    ("menu_root", None, None),
    (
        "dashboard_top_menu",
        "menu_root",
        "ir.actions.client:ha_instance_dashboard_action",
    ),
    ("model_top_menu", "menu_root", None),
    ("model_entity_menu", "model_top_menu", "ir.actions.act_window:entity_action"),
    (
        "model_entity_history_menu",
        "model_top_menu",
        "ir.actions.act_window:entity_history_action",
    ),
    ("configuration_top_menu", "menu_root", None),
    (
        "menu_ha_instance",
        "configuration_top_menu",
        "ir.actions.act_window:action_ha_instance",
    ),
    (
        "ha_settings_menu",
        "configuration_top_menu",
        "ir.actions.act_window:ha_settings_action",
    ),
)
# cron xml id, model, code, interval number, interval type
ORIGINAL_CRONS = (
    ("ir_cron_fetch_states_action", "ha.entity", "model.fetch_states()", 1, "minutes"),
    (
        "ir_cron_fetch_enable_entity_history_action",
        "ha.entity.history",
        "model.fetch_and_store_history()",
        1,
        "minutes",
    ),
    (
        "cron_websocket_service_monitor",
        "ha.entity",
        "model._cron_ensure_websocket_service()",
        1,
        "minutes",
    ),
    (
        "cron_check_expiring_shares",
        "ha.entity.share",
        "model._cron_check_expiring_shares()",
        1,
        "days",
    ),
    (
        "cron_cleanup_expired_shares",
        "ha.entity.share",
        "model._cron_cleanup_expired_shares()",
        7,
        "days",
    ),
)
# rule xml id, model, domain, group xml id
ORIGINAL_RULES = (
    (
        "ha_entity_user_rule",
        "ha.entity",
        "[('id', 'in', user.ha_entity_group_ids.entity_ids.ids)]",
        "group_ha_user",
    ),
    ("ha_entity_manager_rule", "ha.entity", "[(1, '=', 1)]", "group_ha_manager"),
    (
        "ha_instance_user_rule",
        "ha.instance",
        "[('id', 'in', user.ha_entity_group_ids.ha_instance_id.ids)]",
        "group_ha_user",
    ),
)
# access xml id, model, group xml id (None: every user), perms r w c u
ORIGINAL_ACCESS = (
    ("access_ha_ws_request_queue", "ha.ws.request.queue", None, (1, 1, 1, 1)),
    (
        "access_ha_entity_share_portal",
        "ha.entity.share",
        "base.group_portal",
        (1, 0, 0, 0),
    ),
    ("access_ha_entity_group", "ha.entity.group", "group_ha_user", (1, 1, 1, 1)),
    (
        "access_ha_instance_clear_wizard_manager",
        "ha.instance.clear.wizard",
        "group_ha_manager",
        (1, 1, 1, 1),
    ),
)


def columns(spec):
    for item in spec.split():
        name, kind = item.split(":")
        yield name, TYPES[kind.rstrip("!")], kind.endswith("!")


class Fixture:
    def __init__(self, cr):
        self.cr = cr

    def one(self, query, params=()):
        self.cr.execute(query, params)
        row = self.cr.fetchone()
        return row[0] if row else None

    def ref(self, xmlid):
        module, name = xmlid.split(".") if "." in xmlid else (MODULE, xmlid)
        return self.one(
            "SELECT res_id FROM ir_model_data WHERE module = %s AND name = %s",
            (module, name),
        )

    def model_id(self, model):
        return self.one("SELECT id FROM ir_model WHERE model = %s", (model,))

    def xmlid(self, name, model, res_id):
        self.cr.execute(
            """INSERT INTO ir_model_data (module, name, model, res_id, noupdate)
               VALUES (%s, %s, %s, %s, false)""",
            (MODULE, name, model, res_id),
        )

    def insert(self, table, values):
        keys = ", ".join(f'"{key}"' for key in values)
        marks = ", ".join(["%s"] * len(values))
        self.cr.execute(
            f"INSERT INTO {table} ({keys}) VALUES ({marks}) RETURNING id",  # noqa: S608
            list(values.values()),
        )
        return self.cr.fetchone()[0]

    # -- user interface -----------------------------------------------------------

    def remove_our_ui(self):
        """Our UI records and their XML ids go: the original had its own."""
        for model, table in UI_MODELS.items():
            self.cr.execute(
                "SELECT res_id FROM ir_model_data WHERE module = %s AND model = %s",
                (MODULE, model),
            )
            ids = [r for (r,) in self.cr.fetchall()]
            if model == "ir.ui.view":
                while ids:  # children first (inherit_id is ON DELETE RESTRICT)
                    self.cr.execute(
                        """DELETE FROM ir_ui_view WHERE id = ANY(%s) AND id NOT IN
                           (SELECT inherit_id FROM ir_ui_view
                             WHERE inherit_id IS NOT NULL) RETURNING id""",
                        (ids,),
                    )
                    gone = {r for (r,) in self.cr.fetchall()}
                    ids = [i for i in ids if i not in gone]
            elif model == "ir.cron":
                self.cr.execute(
                    """DELETE FROM ir_cron WHERE id = ANY(%s)
                       RETURNING ir_actions_server_id""",
                    (ids,),
                )
                servers = [r for (r,) in self.cr.fetchall()]
                self.cr.execute(
                    "DELETE FROM ir_act_server WHERE id = ANY(%s)", (servers,)
                )
            else:
                self.cr.execute(
                    f"DELETE FROM {table} WHERE id = ANY(%s)",  # noqa: S608
                    (ids,),
                )
            self.cr.execute(
                "DELETE FROM ir_model_data WHERE module = %s AND model = %s",
                (MODULE, model),
            )

    def add_original_ui(self):
        for name, model, kind, parent, arch in ORIGINAL_VIEWS:
            view = self.insert(
                "ir_ui_view",
                {
                    "name": f"{MODULE}.{name}",
                    "key": f"{MODULE}.{name}" if kind == "qweb" else None,
                    "model": model,
                    "type": kind,
                    "inherit_id": self.ref(parent) if parent else None,
                    "mode": "extension" if parent else "primary",
                    "arch_db": json.dumps({"en_US": arch}),
                    "arch_fs": f"{MODULE}/views/{name}.xml",
                    "priority": 16,
                    "active": True,
                },
            )
            self.xmlid(name, "ir.ui.view", view)
        for name, model, modes, context, binding in ORIGINAL_ACT_WINDOWS:
            action = self.insert(
                "ir_act_window",
                {
                    "name": json.dumps({"en_US": name.replace("_", " ").title()}),
                    "type": "ir.actions.act_window",
                    "res_model": model,
                    "view_mode": modes,
                    "context": context,
                    "target": "current",
                    "limit": 80,
                    "binding_type": "action",
                    "binding_model_id": self.model_id(binding) if binding else None,
                },
            )
            self.xmlid(name, "ir.actions.act_window", action)
            if name == "entity_history_action":
                view = self.insert(
                    "ir_act_window_view",
                    {
                        "act_window_id": action,
                        "view_id": self.ref("ha_entity_history_view_hahistory"),
                        "view_mode": "hahistory",
                        "sequence": 1,
                    },
                )
                self.xmlid(
                    "entity_history_action_view_hahistory",
                    "ir.actions.act_window.view",
                    view,
                )
        for name, tag in ORIGINAL_CLIENT_ACTIONS:
            action = self.insert(
                "ir_act_client",
                {
                    "name": json.dumps({"en_US": name.replace("_", " ").title()}),
                    "type": "ir.actions.client",
                    "tag": tag,
                    "target": "current",
                    "context": "{}",
                    "binding_type": "action",
                },
            )
            self.xmlid(name, "ir.actions.client", action)
        for name, parent, action in ORIGINAL_MENUS:
            menu = self.insert(
                "ir_ui_menu",
                {
                    "name": json.dumps({"en_US": name.replace("_", " ").title()}),
                    "parent_id": self.ref(parent) if parent else None,
                    "action": (
                        f"{action.split(':')[0]},{self.ref(action.split(':')[1])}"
                        if action
                        else None
                    ),
                    "sequence": 10,
                    "active": True,
                },
            )
            self.xmlid(name, "ir.ui.menu", menu)
            if parent is None:
                self.cr.execute(
                    "INSERT INTO ir_ui_menu_group_rel (menu_id, gid) VALUES (%s, %s)",
                    (menu, self.ref("base.group_user")),
                )
        self.cr.execute(
            "UPDATE ir_ui_menu SET parent_path = NULL WHERE parent_path IS NULL"
        )
        self._fix_menu_paths()
        root = self.ref("base.user_root")
        for name, model, code, number, unit in ORIGINAL_CRONS:
            server = self.insert(
                "ir_act_server",
                {
                    "name": json.dumps({"en_US": name}),
                    "type": "ir.actions.server",
                    "model_id": self.model_id(model),
                    "model_name": model,
                    "state": "code",
                    "code": code,
                    "usage": "ir_cron",
                    "binding_type": "action",
                    "activity_user_type": "specific",
                    "update_path": None,
                },
            )
            self.xmlid(f"{name}_ir_actions_server", "ir.actions.server", server)
            cron = self.insert(
                "ir_cron",
                {
                    "ir_actions_server_id": server,
                    "cron_name": name,
                    "user_id": root,
                    "active": True,
                    "interval_number": number,
                    "interval_type": unit,
                    "nextcall": "2026-01-01 00:00:00",
                    "priority": 5,
                    "failure_count": 0,
                },
            )
            self.xmlid(name, "ir.cron", cron)
        server = self.insert(
            "ir_act_server",
            {
                "name": json.dumps({"en_US": "Restart WebSocket"}),
                "type": "ir.actions.server",
                "model_id": self.model_id("ha.instance"),
                "model_name": "ha.instance",
                "binding_model_id": self.model_id("ha.instance"),
                "binding_type": "action",
                "state": "code",
                "code": "records.action_restart_websocket()",
                "usage": "ir_actions_server",
                "activity_user_type": "specific",
            },
        )
        self.xmlid("action_server_restart_websocket", "ir.actions.server", server)
        for name, model, domain, group in ORIGINAL_RULES:
            rule = self.insert(
                "ir_rule",
                {
                    "name": name,
                    "model_id": self.model_id(model),
                    "domain_force": domain,
                    "active": True,
                    "perm_read": True,
                    "perm_write": False,
                    "perm_create": False,
                    "perm_unlink": False,
                },
            )
            self.cr.execute(
                "INSERT INTO rule_group_rel (rule_group_id, group_id) VALUES (%s, %s)",
                (rule, self.ref(group)),
            )
            self.xmlid(name, "ir.rule", rule)
        for name, model, group, perms in ORIGINAL_ACCESS:
            access = self.insert(
                "ir_model_access",
                {
                    "name": name,
                    "model_id": self.model_id(model),
                    "group_id": self.ref(group) if group else None,
                    "active": True,
                    "perm_read": bool(perms[0]),
                    "perm_write": bool(perms[1]),
                    "perm_create": bool(perms[2]),
                    "perm_unlink": bool(perms[3]),
                },
            )
            self.xmlid(name, "ir.model.access", access)

    def _fix_menu_paths(self):
        self.cr.execute(
            """
            WITH RECURSIVE tree(id, path) AS (
                SELECT id, id::text || '/' FROM ir_ui_menu WHERE parent_id IS NULL
                UNION ALL
                SELECT m.id, t.path || m.id || '/'
                  FROM ir_ui_menu m JOIN tree t ON m.parent_id = t.id)
            UPDATE ir_ui_menu m SET parent_path = t.path FROM tree t
             WHERE t.id = m.id AND m.parent_path IS DISTINCT FROM t.path
            """
        )

    # -- schema -------------------------------------------------------------------

    def original_schema(self):
        for table in OURS_ONLY_TABLES:
            self.cr.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
        for function in OURS_ONLY_FUNCTIONS:  # with their triggers
            self.cr.execute(f"DROP FUNCTION IF EXISTS {function}() CASCADE")
        self.cr.execute(
            "ALTER TABLE ha_entity_history "
            "DROP CONSTRAINT IF EXISTS ha_entity_history_entity_last_updated_unique"
        )
        for table, spec in ORIGINAL_COLUMNS.items():
            wanted = {name: (kind, required) for name, kind, required in columns(spec)}
            self.cr.execute(
                """SELECT column_name, data_type FROM information_schema.columns
                    WHERE table_schema = 'public' AND table_name = %s""",
                (table,),
            )
            present = dict(self.cr.fetchall())
            if not present:
                cols = ", ".join(
                    f"{name} {kind}{' NOT NULL' if required else ''}"
                    for name, (kind, required) in wanted.items()
                )
                self.cr.execute(
                    f"CREATE TABLE {table} (id serial PRIMARY KEY, create_uid "
                    f"integer, create_date timestamp, write_uid integer, write_date "
                    f"timestamp, {cols})"
                )
                continue
            for name, kind in present.items():
                if name in MAGIC:
                    continue
                if (
                    name not in wanted
                    or (kind != wanted[name][0] and kind != "character varying")
                    or (kind == "character varying" and wanted[name][0] != "varchar")
                ):
                    self.cr.execute(f"ALTER TABLE {table} DROP COLUMN {name} CASCADE")
            for name, (kind, required) in wanted.items():
                self.cr.execute(
                    f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {name} {kind}"
                )
                self.cr.execute(
                    f"ALTER TABLE {table} ALTER COLUMN {name} "
                    f"{'SET' if required else 'DROP'} NOT NULL"
                )
        self.cr.execute(
            f"""CREATE TABLE {ORIGINAL_WIZARD_USERS} (
                    wizard_id integer NOT NULL
                        REFERENCES ha_entity_share_wizard (id) ON DELETE CASCADE,
                    user_id integer NOT NULL
                        REFERENCES res_users (id) ON DELETE CASCADE,
                    PRIMARY KEY (wizard_id, user_id))"""
        )
        for ours, theirs in SHARE_CONSTRAINTS.items():
            self.cr.execute(
                f"ALTER TABLE ha_entity_share RENAME CONSTRAINT "
                f"ha_entity_share_{ours} TO ha_entity_share_{theirs}"
            )
            self.cr.execute(
                "UPDATE ir_model_constraint SET name = %s WHERE name = %s",
                (f"ha_entity_share_{theirs}", f"ha_entity_share_{ours}"),
            )
            self.cr.execute(
                "UPDATE ir_model_data SET name = %s WHERE module = %s AND name = %s",
                (
                    f"constraint_ha_entity_share_{theirs}",
                    MODULE,
                    f"constraint_ha_entity_share_{ours}",
                ),
            )
        for model, (label, transient) in ORIGINAL_ONLY_MODELS.items():
            if self.model_id(model):
                continue
            model_id = self.insert(
                "ir_model",
                {
                    "model": model,
                    "name": json.dumps({"en_US": label}),
                    "state": "base",
                    "transient": transient,
                    "order": "id",
                },
            )
            self.xmlid("model_" + model.replace(".", "_"), "ir.model", model_id)
        self.cr.execute(
            "UPDATE ir_module_module SET latest_version = %s WHERE name = %s",
            (ORIGINAL_VERSION, MODULE),
        )

    # -- records ------------------------------------------------------------------

    def seed(self, history_rows=2000, instances=2):
        admin = self.ref("base.user_admin")
        users = [admin]
        for login in ("ha_fixture_user", "ha_fixture_portal"):
            partner = self.insert("res_partner", {"name": login, "active": True})
            users.append(
                self.insert(
                    "res_users",
                    {
                        "login": login,
                        "partner_id": partner,
                        "active": True,
                        "company_id": 1,
                        "notification_type": "email",
                    },
                )
            )
        self.cr.execute(
            "INSERT INTO res_groups_users_rel (gid, uid) VALUES (%s, %s), (%s, %s)",
            (
                self.ref("group_ha_user"),
                users[1],
                self.ref("base.group_portal"),
                users[2],
            ),
        )
        entity_ids = []
        for n in range(instances):
            url = f"http://ha-{n}.example.org:8123"
            instance = self.insert(
                "ha_instance",
                {
                    "name": f"Home {n}",
                    "sequence": 10 + n,
                    "api_url": url,
                    "api_token": f"token-{n}",
                    "active": n == 0,
                    "description": f"The fixture's home {n}",
                    "ha_instance_uuid": None if n else "f" * 64,
                    "last_api_url": url,
                    "entity_properties_definition": json.dumps(
                        [{"name": "room_size", "type": "integer", "string": "Size"}]
                    ),
                    "group_properties_definition": json.dumps(
                        [{"name": "k", "type": "char", "string": "Key"}]
                    ),
                    "device_properties_definition": json.dumps(
                        [{"name": "k", "type": "integer", "string": "Rank"}]
                    ),
                    "last_sync_date": "2026-06-20 10:00:00",
                },
            )
            labels = [
                self.insert(
                    "ha_label",
                    {
                        "ha_instance_id": instance,
                        "label_id": f"label_{i}",
                        "name": f"Label {i}",
                        "ha_color": "red",
                        "created_at": 1.7e9,
                    },
                )
                for i in range(2)
            ]
            areas = [
                self.insert(
                    "ha_area",
                    {
                        "ha_instance_id": instance,
                        "area_id": f"area_{i}",
                        "name": f"Area {i}",
                        "floor_id": "ground",
                        "entity_count": 3,
                        "aliases": json.dumps(["alias"]),
                    },
                )
                for i in range(3)
            ]
            for area in areas:
                self.cr.execute(
                    "INSERT INTO ha_area_label_rel (area_id, label_id) VALUES (%s, %s)",
                    (area, labels[0]),
                )
            devices = []
            for i in range(3):
                devices.append(
                    self.insert(
                        "ha_device",
                        {
                            "ha_instance_id": instance,
                            "device_id": f"dev{n}{i}",
                            "name": f"Device {i}",
                            "manufacturer": "Acme",
                            "area_id": areas[i],
                            "via_device_id": f"dev{n}0" if i else None,
                            "identifiers": json.dumps([["acme", str(i)]]),
                            "properties": json.dumps({"k": i}),
                            "tag_count": 1,
                            "created_at": 1.7e9,
                        },
                    )
                )
                self.cr.execute(
                    "INSERT INTO ha_device_label_rel (device_id, label_id) "
                    "VALUES (%s, %s)",
                    (devices[-1], labels[1]),
                )
            device_tag = self.insert(
                "ha_device_tag",
                {"ha_instance_id": instance, "name": "Critical", "active": True},
            )
            self.cr.execute(
                "INSERT INTO ha_device_tag_rel (device_id, tag_id) VALUES (%s, %s)",
                (devices[0], device_tag),
            )
            entity_tag = self.insert(
                "ha_entity_tag",
                {"ha_instance_id": instance, "name": "Lights", "active": True},
            )
            group_tag = self.insert(
                "ha_entity_group_tag",
                {"ha_instance_id": instance, "name": "Floor", "active": True},
            )
            group = self.insert(
                "ha_entity_group",
                {
                    "ha_instance_id": instance,
                    "name": f"Living {n}",
                    "active": True,
                    "sequence": 10,
                    "note": "Group note",
                    "properties": json.dumps({"k": "v"}),
                },
            )
            self.cr.execute(
                "INSERT INTO ha_entity_group_user_rel (group_id, user_id) "
                "VALUES (%s, %s)",
                (group, users[1]),
            )
            self.cr.execute(
                "INSERT INTO ha_entity_group_tag_rel (group_id, tag_id) "
                "VALUES (%s, %s)",
                (group, group_tag),
            )
            domains = ("sensor", "light", "switch", "binary_sensor", "climate")
            for i in range(10):
                domain = domains[i % len(domains)]
                entity = self.insert(
                    "ha_entity",
                    {
                        "ha_instance_id": instance,
                        "entity_id": f"{domain}.thing_{i}",
                        "domain": domain,
                        "name": f"Thing {i}",
                        "entity_state": "21.5" if domain == "sensor" else "on",
                        "attributes": json.dumps({"friendly_name": f"Thing {i}"}),
                        "area_id": areas[i % 3],
                        "display_area_id": areas[i % 3],
                        "device_id": devices[i % 3],
                        "follows_device_area": i % 2 == 0,
                        "enable_record": domain in ("sensor", "light"),
                        "note": f"Note {i}",
                        "properties": json.dumps({"room_size": i}),
                        "last_changed": "2026-06-20 09:00:00",
                    },
                )
                entity_ids.append((entity, instance, domain))
                self.cr.execute(
                    "INSERT INTO ha_entity_group_entity_rel (group_id, entity_id) "
                    "VALUES (%s, %s)",
                    (group, entity),
                )
                self.cr.execute(
                    "INSERT INTO ha_entity_label_rel (entity_id, label_id) "
                    "VALUES (%s, %s)",
                    (entity, labels[i % 2]),
                )
                if i % 3 == 0:
                    self.cr.execute(
                        "INSERT INTO ha_entity_tag_rel (entity_id, tag_id) "
                        "VALUES (%s, %s)",
                        (entity, entity_tag),
                    )
            first = entity_ids[-10][0]
            for target, value, user, permission in (
                ("entity_id", first, users[2], "view"),
                ("group_id", group, users[2], "control"),
                ("device_id", devices[0], users[1], "control"),
            ):
                self.insert(
                    "ha_entity_share",
                    {
                        target: value,
                        "user_id": user,
                        "permission": permission,
                        "expiry_date": "2099-01-01 00:00:00",
                        "notification_sent": False,
                        "ha_instance_id": instance if target != "device_id" else None,
                    },
                )
            # Wizards a user opened and left: transient rows of the original.
            wizard = self.insert(
                "ha_entity_share_wizard",
                {"entity_id": first, "permission": "control"},
            )
            self.cr.execute(
                f"INSERT INTO {ORIGINAL_WIZARD_USERS} (wizard_id, user_id) "
                "VALUES (%s, %s)",
                (wizard, users[1]),
            )
            self.insert(
                "ha_instance_clear_wizard",
                {"instance_id": instance, "instance_name": f"Home {n}"},
            )
            self.cr.execute(
                """INSERT INTO ha_ws_request_queue
                       (ha_instance_id, request_id, message_type, state, payload)
                   VALUES (%s, 'r1', 'get_states', 'pending', '{}'),
                          (%s, 'r2', 'call_service', 'timeout', '{}')""",
                (instance, instance),
            )
            self.cr.execute(
                "INSERT INTO ir_config_parameter (key, value) VALUES (%s, %s)",
                (
                    f"odoo_ha_addon.ws_heartbeat_{self.cr.connection.info.dbname}"
                    f"_instance_{instance}",
                    "2026-06-20T10:00:00",
                ),
            )
        self.cr.execute(
            "UPDATE res_users SET current_ha_instance_id = %s WHERE id = ANY(%s)",
            (entity_ids[0][1], users[:2]),
        )
        self.cr.execute(
            """INSERT INTO ir_config_parameter (key, value) VALUES
               ('odoo_ha_addon.ha_ws_heartbeat_interval', '10'),
               ('odoo_ha_addon.ha_history_sync_max_workers', '5'),
               ('odoo_ha_addon.ha_api_url', 'http://ha-0.example.org:8123/'),
               ('odoo_ha_addon.ha_api_token', 'token-0')"""
        )
        self.history(history_rows, entity_ids)
        # Chatter of the original's mail.thread models (ha.entity, group, device).
        for model, table in (
            ("ha.entity", "ha_entity"),
            ("ha.entity.group", "ha_entity_group"),
            ("ha.device", "ha_device"),
        ):
            self.cr.execute(
                f"""INSERT INTO mail_message (model, res_id, body, message_type,
                                              author_id, date)
                    SELECT %s, id, '<p>Seen</p>',
                           'comment', %s, now() at time zone 'UTC'
                      FROM {table}""",  # noqa: S608
                (model, self.ref("base.partner_admin")),
            )
        self.cr.execute(
            "INSERT INTO ir_filters (name, model_id, domain, context, sort, "
            "user_id, action_id, active) VALUES ('Mine', 'ha.entity', '[]', '{}', "
            "'[]', %s, %s, true)",
            (admin, self.ref("entity_action")),
        )

    def history(self, rows, entities):
        """``rows`` history rows as the original stores them.

        One row a minute per recorded entity; non-numeric states carry -1, as do
        some real "-1" readings; every 50th row repeats its predecessor's
        ``last_updated`` (the original's Odoo-clock stamps), a few miss it.
        """
        recorded = [e for e in entities if e[2] in ("sensor", "light")]
        self.cr.execute(
            """
            WITH e AS (SELECT row_number() OVER () - 1 AS k, id, instance, domain
                         FROM unnest(%s::int[], %s::int[], %s::varchar[])
                              AS t(id, instance, domain))
            INSERT INTO ha_entity_history
                   (entity_id, ha_instance_id, domain, entity_state, num_state,
                    attributes, last_changed, last_updated, create_date, write_date)
            SELECT e.id, e.instance, e.domain, s.state, s.num,
                   '{"unit_of_measurement": "°C"}'::jsonb, t.stamp,
                   CASE WHEN g %% 997 = 0 THEN NULL
                        WHEN g %% 50 = 0 THEN t.stamp - interval '1 minute'
                        ELSE t.stamp END,
                   t.stamp, t.stamp
              FROM generate_series(0, %s - 1) g
              JOIN e ON e.k = g %% %s
             CROSS JOIN LATERAL (SELECT timestamp '2026-06-20 10:00:00'
                                        - (g / %s) * interval '1 minute' AS stamp) t
             CROSS JOIN LATERAL (
                 SELECT CASE WHEN e.domain = 'sensor' AND g %% 7 = 3 THEN '-1'
                             WHEN e.domain = 'sensor' THEN ((g %% 300) / 10.0)::text
                             WHEN g %% 5 = 0 THEN 'unavailable'
                             WHEN g %% 2 = 0 THEN 'on' ELSE 'off' END AS state,
                        CASE WHEN e.domain = 'sensor' AND g %% 7 = 3 THEN -1.0
                             WHEN e.domain = 'sensor' THEN (g %% 300) / 10.0
                             ELSE -1.0 END AS num) s
            """,
            (
                [e[0] for e in recorded],
                [e[1] for e in recorded],
                [e[2] for e in recorded],
                rows,
                len(recorded),
                len(recorded),
            ),
        )


def connect(db):
    return psycopg2.connect(dbname=db)


def build(db, history_rows=2000):
    with connect(db) as conn, conn.cursor() as cr:
        fixture = Fixture(cr)
        fixture.remove_our_ui()
        fixture.original_schema()
        fixture.add_original_ui()
        fixture.seed(history_rows)
    conn.close()


def counts(db):
    with connect(db) as conn, conn.cursor() as cr:
        result = {}
        for table in COUNTED:
            cr.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
            result[table] = cr.fetchone()[0]
        cr.execute("SELECT count(*) FROM res_users WHERE current_ha_instance_id > 0")
        result["res_users.current_ha_instance_id"] = cr.fetchone()[0]
    conn.close()
    return result


def run_odoo(odoo_bin, db, addons_path, http_port, log, *extra):
    """``odoo-bin ... --stop-after-init``: (exit code, seconds)."""
    if os.path.exists(log):  # odoo-bin appends to its log file
        os.remove(log)
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            odoo_bin,
            "-d",
            db,
            f"--addons-path={addons_path}",
            "--stop-after-init",
            f"--http-port={http_port}",
            "--log-level=info",
            f"--logfile={log}",
            *extra,
        ],
        check=False,
    )
    return result.returncode, time.monotonic() - started


def run_shell(odoo_bin, db, addons_path, script, log):
    """``odoo-bin shell`` on ``db`` with ``script`` on stdin; its stdout."""
    if os.path.exists(log):
        os.remove(log)
    result = subprocess.run(
        [
            sys.executable,
            odoo_bin,
            "shell",
            "-d",
            db,
            f"--addons-path={addons_path}",
            "--no-http",
            f"--logfile={log}",
            "--log-level=warn",
        ],
        input=script,
        text=True,
        capture_output=True,
        check=False,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    if result.returncode:
        raise SystemExit(f"odoo shell failed ({log}):\n{result.stderr[-3000:]}")
    return result.stdout


# Run in ``odoo-bin shell`` with our code on the upgraded database: every share
# as its user sees it through the share and portal models, our share wizard
# opened and used, the properties read back; all rolled back. Prints one line
# ``ORM {json}``.
ORM_CHECK = r"""
import json
from odoo.addons.odoo_ha_addon.models.ha_entity_share import PERMISSION_RANK
from odoo.addons.odoo_ha_addon.models.ha_portal import PortalAccessError
Share = env["ha.entity.share"]
out = {"shares": Share.search_count([]), "working": 0, "broken": []}
for share in Share.search([]):
    target = share._target()
    kind = "entity" if share.entity_id else "group" if share.group_id else "device"
    mine = Share.with_user(share.user_id)
    access = mine._access(target.sudo())
    try:
        state = env["ha.portal"].with_user(share.user_id).state(
            kind, target.id, target.ha_instance_id.id)["id"] == target.id
    except PortalAccessError as error:
        state = error.reason
    listed = {
        "entity": lambda: share.entity_id.id in dict(
            (e.id, p) for e, p in mine.get_shared_entities_for_user()),
        "group": lambda: share.group_id in dict(mine.get_shared_groups_for_user()),
        "device": lambda: share.device_id in dict(mine.get_shared_devices_for_user()),
    }[kind]()
    works = (
        share.ha_instance_id == target.ha_instance_id and listed and state is True
        and PERMISSION_RANK.get(access, 0) >= PERMISSION_RANK[share.permission]
    )
    if works:
        out["working"] += 1
    else:
        out["broken"].append([share.id, kind, access, state, listed])
Wizard = env["ha.entity.share.wizard"]
out["wizard_form"] = bool(Wizard.get_views([(False, "form")])["views"]["form"]["arch"])
entity = env["ha.entity"].search([], limit=1)
user = env["res.users"].create({"name": "Upgrade check", "login": "upgrade_check"})
wizard = Wizard.with_context(active_model="ha.entity", active_ids=entity.ids).create(
    {"user_ids": [(6, 0, user.ids)], "permission": "control"})
out["wizard_targets"] = wizard.entity_ids.ids == entity.ids
wizard.action_share()
out["wizard_shares"] = Share.search_count([("user_id", "=", user.id)])
out["wizard_share_works"] = Share.with_user(user)._access(entity.sudo()) == "control"
out["properties"] = {
    model: sum(1 for row in env[model].search_read([], ["properties"])
               if any(p.get("value") is not None and p.get("value") is not False
                      for p in row["properties"]))
    for model in ("ha.entity", "ha.entity.group", "ha.device")
}
env.cr.rollback()
print("ORM " + json.dumps(out))
"""


def orm_check(odoo_bin, db, addons_path, log):
    """The result of ORM_CHECK on ``db`` (a dict)."""
    out = run_shell(odoo_bin, db, addons_path, ORM_CHECK, log)
    line = next((x for x in out.splitlines() if x.startswith("ORM ")), None)
    if line is None:
        raise SystemExit(f"the ORM check printed nothing ({log}):\n{out[-2000:]}")
    return json.loads(line[4:])


def properties_set(db):
    """How many entities, groups and devices hold a property value (SQL)."""
    with connect(db) as conn, conn.cursor() as cr:
        result = {}
        for model, table in (
            ("ha.entity", "ha_entity"),
            ("ha.entity.group", "ha_entity_group"),
            ("ha.device", "ha_device"),
        ):
            cr.execute(
                f"SELECT count(*) FROM {table} "  # noqa: S608
                "WHERE properties IS NOT NULL AND properties != '{}'::jsonb"
            )
            result[model] = cr.fetchone()[0]
    conn.close()
    return result


# Values compared before and after the upgrade, as SQL rows.
KEPT = {
    "instances": "SELECT id, name, api_url, api_token, sequence, description, "
    "active, last_api_url FROM ha_instance ORDER BY id",
    "properties definitions": "SELECT id, entity_properties_definition, "
    "group_properties_definition, device_properties_definition FROM ha_instance "
    "ORDER BY id",
    "entity properties and notes": "SELECT id, entity_id, properties, note, "
    "enable_record, area_id, device_id FROM ha_entity ORDER BY id",
    "group properties, notes and users": "SELECT g.id, g.name, g.properties, g.note, "
    "array_agg(r.user_id ORDER BY r.user_id) FROM ha_entity_group g "
    "JOIN ha_entity_group_user_rel r ON r.group_id = g.id GROUP BY g.id ORDER BY g.id",
    "device properties": "SELECT id, device_id, properties FROM ha_device ORDER BY id",
    "shares": "SELECT id, entity_id, group_id, device_id, user_id, permission, "
    "expiry_date, notification_sent FROM ha_entity_share ORDER BY id",
    "chatter": "SELECT model, res_id, body FROM mail_message "
    "WHERE model LIKE 'ha.%' ORDER BY id",
    "history times": "SELECT min(last_changed), max(last_changed), "
    "count(DISTINCT last_changed) FROM ha_entity_history",
}


def snapshot(db):
    with connect(db) as conn, conn.cursor() as cr:
        result = {}
        for key, query in KEPT.items():
            cr.execute(query)
            result[key] = cr.fetchall()
    conn.close()
    return result


def instance_fingerprint(url):
    """SHA-256 of the lower-cased URL without scheme and trailing slash."""
    url = url.strip().rstrip("/").lower().split("://", 1)[1]
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


# -- check -------------------------------------------------------------------------


class Check:
    def __init__(self, args):
        self.args = args
        self.passed = 0
        self.failed = []

    def expect(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed.append(what)
            print(f"FAIL: {what}")

    def odoo(self, log, *extra):
        a = self.args
        return run_odoo(a.odoo_bin, a.db, a.addons_path, a.http_port, log, *extra)

    def sql(self, query, params=()):
        with connect(self.args.db) as conn, conn.cursor() as cr:
            cr.execute(query, params)
            rows = cr.fetchall()
        conn.close()
        return rows

    def run(self):
        a = self.args
        os.makedirs(a.logdir, exist_ok=True)
        subprocess.run(["dropdb", "--if-exists", a.db], check=True)
        if a.template:  # a database with the addon freshly installed
            subprocess.run(["createdb", "-T", a.template, a.db], check=True)
        else:
            rc, _ = self.odoo(
                f"{a.logdir}/migrate-install.log",
                "-i",
                f"base,web,bus,mail,portal,{MODULE}",
                "--without-demo=all",
            )
            if rc:
                sys.exit(
                    f"installing the addon failed, see {a.logdir}/migrate-install.log"
                )
        build(a.db, a.history)
        before = counts(a.db)
        kept = snapshot(a.db)
        with_values = properties_set(a.db)
        entity_action = self.sql(
            "SELECT res_id FROM ir_model_data WHERE module = %s "
            "AND name = 'entity_action'",
            (MODULE,),
        )[0][0]
        log = f"{a.logdir}/migrate-upgrade.log"
        rc, seconds = self.odoo(log, "-u", MODULE)
        self.expect(rc == 0, f"odoo-bin -u exits 0 (see {log})")
        if rc:
            warnings_in(log)
            return False
        print(f"upgrade of {before['ha_entity_history']} history rows: {seconds:.1f} s")
        self.expect(not warnings_in(log), "no warning or error from the addon")
        after = counts(a.db)
        for table, n in before.items():
            self.expect(
                after.get(table) == n, f"{table}: {n} before, {after.get(table)} after"
            )
        self.check_details(entity_action)
        self.check_kept(kept)
        self.check_shares()
        self.check_orm(before, with_values)
        log2 = f"{a.logdir}/migrate-upgrade-again.log"
        rc, _ = self.odoo(log2, "-u", MODULE)
        self.expect(rc == 0, "a second -u exits 0")
        self.expect(not warnings_in(log2), "no warning in the second -u")
        self.expect(
            "Upgrading from the original" not in open(log2).read(),
            "the second -u runs no migration",
        )
        self.expect(counts(a.db) == after, "the second -u changes no count")
        print(
            f"migrate from the original: {self.passed} checks passed, "
            f"{len(self.failed)} failed"
        )
        return not self.failed

    def check_kept(self, kept):
        """Values the upgrade must carry over as they are (SQL level)."""
        now = snapshot(self.args.db)
        for key, rows in kept.items():
            self.expect(now[key] == rows, f"{key} kept as is")
        instances = self.sql("SELECT api_url, ha_instance_uuid FROM ha_instance")
        self.expect(
            all(
                uuid
                == (
                    "f" * 64
                    if url.startswith("http://ha-0")
                    else instance_fingerprint(url)
                )
                for url, uuid in instances
            ),
            "a stored fingerprint is kept, a missing one computed",
        )
        self.expect(
            not self.sql("SELECT id FROM ha_entity_share WHERE ha_instance_id IS NULL"),
            "every share has its instance",
        )

    def check_shares(self):
        """The share constraints are ours; the original's wizard leftovers gone."""
        sql = self.sql
        found = {
            name.removeprefix("ha_entity_share_"): definition
            for name, definition in sql(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'ha_entity_share'::regclass AND contype IN "
                "('u', 'c')"
            )
        }
        self.expect(
            sorted(found) == sorted(SHARE_CONSTRAINTS)
            and all(
                found[f"{target}_user_unique"] == f"UNIQUE ({target}_id, user_id)"
                for target in ("entity", "group", "device")
            ),
            f"the share constraints are ours, each once: {found}",
        )
        self.expect(
            sql("SELECT to_regclass(%s)", (ORIGINAL_WIZARD_USERS,)) == [(None,)]
            and not sql(
                "SELECT name FROM ir_model_relation WHERE name = %s",
                (ORIGINAL_WIZARD_USERS,),
            ),
            "the original's share wizard users table is gone",
        )
        self.expect(
            not sql(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE (table_name = 'ha_entity_share_wizard' AND column_name IN "
                "('entity_id', 'group_id', 'device_id')) OR (table_name = "
                "'ha_instance_clear_wizard' AND column_name = 'instance_name')"
            ),
            "the original's wizard columns are gone",
        )

    def check_orm(self, before, with_values):
        """Shares, our share wizard and properties through our models."""
        a = self.args
        log = f"{a.logdir}/migrate-orm-check.log"
        orm = orm_check(a.odoo_bin, a.db, a.addons_path, log)
        print(
            f"shares through the model: {orm['shares']} ({orm['working']} working "
            f"for their user), properties read: {orm['properties']}"
        )
        self.expect(
            orm["shares"] == before["ha_entity_share"] == orm["working"],
            f"every share counted and working for its user: {orm}",
        )
        self.expect(
            orm["wizard_form"]
            and orm["wizard_targets"]
            and orm["wizard_shares"] == 1
            and orm["wizard_share_works"],
            "our share wizard opens, targets the entity and shares it",
        )
        self.expect(
            orm["properties"] == with_values,
            f"properties read back: {orm['properties']}, stored {with_values}",
        )

    def check_details(self, entity_action):
        sql = self.sql
        self.expect(
            sql(
                "SELECT latest_version, state FROM ir_module_module WHERE name = %s",
                (MODULE,),
            )[0]
            == ("18.0.8.0.0", "installed"),
            "module row at 18.0.8.0.0, installed",
        )
        self.expect(
            sql(
                "SELECT res_id FROM ir_model_data WHERE module = %s "
                "AND name = 'ha_entity_action'",
                (MODULE,),
            )
            == [(entity_action,)],
            "entity_action kept its id as ha_entity_action",
        )
        self.expect(
            sql(
                "SELECT count(*) FROM ir_filters WHERE action_id = %s", (entity_action,)
            )[0][0]
            == 1,
            "the user's favourite on the entity action is kept",
        )
        self.expect(
            sql("SELECT context FROM ir_act_window WHERE id = %s", (entity_action,))[0][
                0
            ]
            != "{'search_default_available': 1}",
            "the taken-over action lost the original's context",
        )
        stale = (
            [name for name, *_ in ORIGINAL_VIEWS]
            + [name for name, *_ in ORIGINAL_CRONS]
            + [
                "menu_root",
                "area_dashboard_action",
                "ha_info_dashboard",
                "action_server_restart_websocket",
                "access_ha_ws_request_queue",
                "ha_entity_user_rule",
                "action_ha_entity_share_wizard",
                "entity_history_action_view_hahistory",
            ]
        )
        left = sql(
            "SELECT name FROM ir_model_data WHERE module = %s AND name = ANY(%s) "
            "AND name NOT IN ('ha_entity_view_form', 'ha_entity_view_list', "
            "'ha_entity_history_view_hahistory', 'portal_my_ha')",
            (MODULE, stale),
        )
        self.expect(not left, f"the original's UI records are gone: {left}")
        # Names we reuse hold our records, not the original's.
        self.expect(
            not sql(
                "SELECT id FROM ir_ui_view WHERE arch_db->>'en_US' = ANY(%s)",
                ([arch for *_, arch in ORIGINAL_VIEWS],),
            ),
            "no view of the original is left under a name we reuse",
        )
        self.expect(
            not sql(
                "SELECT id FROM ir_ui_view WHERE arch_db::text LIKE "
                "'%%ha_last_sync_date%%'"
            ),
            "no view names ha_last_sync_date",
        )
        self.expect(
            not sql(
                "SELECT id FROM ir_cron WHERE cron_name LIKE 'ir_cron_fetch%%' "
                "OR cron_name LIKE 'cron_%%'"
            ),
            "the original's crons are gone",
        )
        self.expect(
            not sql(
                "SELECT key FROM ir_config_parameter WHERE key LIKE "
                "'odoo_ha_addon.ws_heartbeat_%%' OR key IN %s",
                (STALE_KEYS,),
            ),
            "heartbeats, knobs and single-instance parameters are gone",
        )
        self.expect(
            sql("SELECT sum(n) FROM ha_entity_history_minute")
            == sql("SELECT count(*) FROM ha_entity_history"),
            "the per-minute rollup counts every history row",
        )
        # Ours has a clear wizard of the same name: the table is then ours.
        self.expect(
            sql("SELECT to_regclass('ha_instance_clear_wizard')") == [(None,)]
            or sql("SELECT 1 FROM ir_model WHERE model = 'ha.instance.clear.wizard'"),
            "the original's clear wizard table is gone or ours",
        )
        self.expect(
            sql("SELECT count(*) FROM ha_ws_request_queue")[0][0] == 0,
            "the request queue is empty",
        )
        self.expect(
            sql("SELECT api_token FROM ha_instance WHERE api_url LIKE 'http://ha-0%%'")
            == [("token-0",)],
            "the instance keeps its token",
        )
        self.expect(
            sql("SELECT count(*) FROM ha_device WHERE via_device_id IS NOT NULL")[0][0]
            == 4
            and not sql(
                "SELECT d.id FROM ha_device d JOIN ha_device v "
                "ON v.id = d.via_device_id "
                "WHERE v.ha_instance_id != d.ha_instance_id"
            ),
            "via devices are links within their instance",
        )
        self.expect(
            sql(
                "SELECT count(*) FROM ha_entity_history WHERE num_state = -1 "
                "AND entity_state != '-1'"
            )[0][0]
            == 0
            and sql("SELECT count(*) FROM ha_entity_history WHERE num_state = -1")[0][0]
            > 0,
            "non-numeric -1 became NULL, real -1 readings are kept",
        )
        self.expect(
            sql(
                "SELECT count(*) FROM ha_entity_history WHERE last_updated IS NULL "
                "OR ha_instance_id IS NULL"
            )[0][0]
            == 0,
            "every history row has its time and instance",
        )
        self.expect(
            sql(
                "SELECT count(*) FROM ha_entity_history WHERE last_changed != "
                "create_date"
            )[0][0]
            == 0,
            "history last_changed (Odoo clock) kept as is",
        )
        self.expect(
            sql(
                "SELECT count(*) FROM res_users WHERE current_ha_instance_id IS NOT "
                "NULL"
            )[0][0]
            == 2,
            "the users' current instance is kept",
        )
        self.expect(
            sql("SELECT count(*) FROM ha_entity WHERE note LIKE 'Note %%'")[0][0] == 20
            and sql("SELECT count(*) FROM ha_entity_group WHERE note IS NOT NULL")[0][0]
            == 2,
            "notes are kept",
        )
        self.expect(
            not sql(
                "SELECT 1 FROM information_schema.columns WHERE "
                "table_name = 'ha_area' AND column_name = 'entity_count'"
            ),
            "the original's stored counts are gone",
        )
        root = sql(
            "SELECT res_id FROM ir_model_data WHERE module = %s "
            "AND name = 'menu_ha_root'",
            (MODULE,),
        )[0][0]
        self.expect(
            [
                g
                for (g,) in sql(
                    "SELECT d.name FROM ir_ui_menu_group_rel r JOIN "
                    "ir_model_data d ON d.model = 'res.groups' AND "
                    "d.res_id = r.gid WHERE r.menu_id = %s",
                    (root,),
                )
            ]
            == ["group_ha_user"],
            "our root menu is reserved to HA users",
        )


def warnings_in(log):
    """Warnings/errors logged by the addon or naming it (as tier install checks)."""
    found = []
    pattern = re.compile(r" (WARNING|ERROR|CRITICAL) ")
    with open(log, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if pattern.search(line) and MODULE in line:
                found.append(line.rstrip())
    for line in found:
        print(f"  {line}")
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("build", "check"))
    parser.add_argument("--db", required=True)
    parser.add_argument("--history", type=int, default=2000)
    parser.add_argument("--odoo-bin")
    parser.add_argument("--addons-path")
    parser.add_argument("--http-port", default="8169")
    parser.add_argument("--logdir", default=".")
    parser.add_argument("--template", help="copy this installed database")
    args = parser.parse_args(argv)
    if args.command == "build":
        build(args.db, args.history)
        print(json.dumps(counts(args.db)))
        return 0
    return 0 if Check(args).run() else 1


if __name__ == "__main__":
    sys.exit(main())
