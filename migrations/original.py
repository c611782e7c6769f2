"""Turn a database of the original ``odoo_ha_addon`` (18.0.7.x and before) into ours.

Both addons share the technical name, most model names, tables and columns, so
an upgrade keeps the records where they are; this module fixes what differs:
records of the original's user interface whose definitions no longer load, its
request-queue rows, and the few columns whose meaning changed. Every step is a
set-based SQL statement (a history of a million rows is upgraded in seconds) or
an ORM call on a handful of technical records. A database of this addon's own
earlier versions is left alone (``is_original``).
"""

import csv
import logging
from xml.etree import ElementTree

from odoo.modules.module import get_manifest
from odoo.tools import SQL, file_open, sql

from odoo.addons.odoo_ha_addon.models.ha_instance_identity import url_fingerprint

_logger = logging.getLogger(__name__)

MODULE = "odoo_ha_addon"

# The original's XML ids of records we keep under another name: the record (and
# its id, which users' favourites and home actions point to) is taken over.
RENAMED_XMLIDS = {
    "entity_action": ("ir.actions.act_window", "ha_entity_action"),
    "entity_history_action": ("ir.actions.act_window", "ha_entity_history_action"),
    "action_ha_instance": ("ir.actions.act_window", "ha_instance_action"),
    "ha_instance_dashboard_action": ("ir.actions.client", "ha_dashboard_action"),
}

# Records of these models that our data files do not define are removed before
# the data files load: the original's views reference fields that no longer
# exist (a settings view names ``ha_last_sync_date``), its crons and server
# actions call methods that are gone, its rules and ACLs grant what ours do not.
UI_MODELS = (
    "ir.cron",
    "ir.ui.menu",
    "ir.actions.act_window.view",
    "ir.actions.act_window",
    "ir.actions.client",
    "ir.actions.server",
    "ir.rule",
    "ir.model.access",
)

# Parameters of the original that nothing reads any more: the heartbeats its
# WebSocket threads wrote every 10 s and two tuning knobs.
STALE_PARAMS = (
    "odoo_ha_addon.ws_heartbeat_%",
    "odoo_ha_addon.ha_ws_heartbeat_interval",
    "odoo_ha_addon.ha_history_sync_max_workers",
)

# Columns of the original's request queue that ours does not have. Its rows
# are requests to a connection that no longer exists: they are dropped.
QUEUE_COLUMNS = (
    "request_id",
    "message_type",
    "is_subscription",
    "subscription_id",
    "events",
    "event_count",
    "error",
)

# Counts the original stored and ours computes on the fly: the stored values
# would never be updated again.
STALE_COUNT_COLUMNS = (
    ("ha_area", "entity_count"),
    ("ha_device", "tag_count"),
    ("ha_entity_group", "entity_count"),
    ("ha_entity_group", "tag_count"),
    ("ha_entity_tag", "entity_count"),
    ("ha_entity_group_tag", "group_count"),
    ("ha_device_tag", "device_count"),
)

# The original's wizards have ours' names and tables, not their columns: the
# rows are transient, the original's own columns and users table go (a stale
# column or relation would hold the original's constraints on our wizards).
WIZARD_COLUMNS = {
    "ha_entity_share_wizard": ("entity_id", "group_id", "device_id"),
    "ha_instance_clear_wizard": ("instance_name",),
}
WIZARD_RELATIONS = ("ha_entity_share_wizard_user_rel",)

# The original kept ``via_device_id`` as HA's device id string; ours is a link
# to the ``ha.device`` row. The string waits here between pre and post.
VIA_DEVICE_LEGACY = "via_device_ha_id_legacy"

# A state the original stored as -1.0 because it was not a number, unless the
# state really was -1.
NUMERIC_MINUS_ONE = r"^\s*-0*1(\.0*)?([eE][+-]?0+)?\s*$"


def is_original(cr):
    """Whether ``cr`` holds the original addon's schema (its request queue)."""
    return sql.column_exists(cr, "ha_ws_request_queue", "message_type")


def declared_xmlids():
    """The XML ids our data files define (short names, this module only)."""
    names = set()
    for path in get_manifest(MODULE)["data"]:
        with file_open(f"{MODULE}/{path}", "rb") as data:
            if path.endswith(".csv"):
                rows = csv.DictReader(data.read().decode("utf-8").splitlines())
                names.update(row["id"] for row in rows)
                continue
            root = ElementTree.parse(data).getroot()
        names.update(node.get("id") for node in root.iter() if node.get("id"))
    prefix = f"{MODULE}."
    ours = {
        name.removeprefix(prefix)
        for name in names
        if "." not in name or name.startswith(prefix)
    }
    # A cron's server action gets its XML id from the cron's.
    return ours | {f"{name}_ir_actions_server" for name in ours}


# -- pre ---------------------------------------------------------------------------


def take_over_renamed_records(cr, declared):
    """Give the original's renamed records our XML ids; reset what ours omits."""
    for old, (model, new) in RENAMED_XMLIDS.items():
        if new not in declared:
            continue
        cr.execute(
            """
            UPDATE ir_model_data SET name = %s
             WHERE module = %s AND name = %s AND model = %s
               AND NOT EXISTS (SELECT 1 FROM ir_model_data
                                WHERE module = %s AND name = %s)
            """,
            (new, MODULE, old, model, MODULE, new),
        )
    # Our data files set what they need; what they leave out must not keep the
    # original's value (its default filters, views, paths).
    cr.execute(
        """
        UPDATE ir_act_window a
           SET context = '{}', domain = NULL, view_id = NULL,
               search_view_id = NULL, help = NULL, path = NULL, "limit" = 80,
               target = 'current', binding_model_id = NULL
          FROM ir_model_data d
         WHERE d.module = %s AND d.model = 'ir.actions.act_window'
           AND d.res_id = a.id AND d.name IN %s
        """,
        (MODULE, tuple(declared)),
    )
    cr.execute(
        """
        UPDATE ir_act_client a SET context = '{}', params_store = NULL, path = NULL,
               binding_model_id = NULL
          FROM ir_model_data d
         WHERE d.module = %s AND d.model = 'ir.actions.client'
           AND d.res_id = a.id AND d.name IN %s
        """,
        (MODULE, tuple(declared)),
    )


def remove_stale_ui(env, declared):
    """Delete the original's views (all), and its other UI records we don't define."""
    cr = env.cr
    # Every view: ours are loaded again from our files, and a stale one, even
    # under a name we reuse, would fail the validation of its parent's arch.
    cr.execute(
        "SELECT res_id FROM ir_model_data WHERE module = %s AND model = 'ir.ui.view'",
        (MODULE,),
    )
    views = env["ir.ui.view"].browse(r for (r,) in cr.fetchall()).exists()
    views.with_context(_force_unlink=True).unlink()
    removed = {"ir.ui.view": len(views)}
    for model in UI_MODELS:
        cr.execute(
            """
            SELECT res_id FROM ir_model_data
             WHERE module = %s AND model = %s AND name NOT IN %s
            """,
            (MODULE, model, tuple(declared)),
        )
        records = env[model].browse(r for (r,) in cr.fetchall()).exists()
        records.unlink()
        removed[model] = len(records)
    return removed


def drop_request_queue_rows(cr):
    """Drop the original's queued requests and the columns only it had."""
    cr.execute("DELETE FROM ha_ws_request_queue")
    for column in QUEUE_COLUMNS:
        cr.execute(
            SQL(
                "ALTER TABLE ha_ws_request_queue DROP COLUMN IF EXISTS %s",
                SQL.identifier(column),
            )
        )


def remove_stale_params(cr):
    cr.execute(
        "DELETE FROM ir_config_parameter WHERE key LIKE ANY (%s)",
        (list(STALE_PARAMS),),
    )
    return cr.rowcount


def set_aside_via_device(cr):
    """Keep the original's ``via_device_id`` string for post (a link there)."""
    cr.execute(
        """
        SELECT data_type FROM information_schema.columns
         WHERE table_name = 'ha_device' AND column_name = 'via_device_id'
        """
    )
    row = cr.fetchone()
    if row and row[0] == "character varying":
        cr.execute(
            SQL(
                "ALTER TABLE ha_device RENAME COLUMN via_device_id TO %s",
                SQL.identifier(VIA_DEVICE_LEGACY),
            )
        )


def prepare_history(cr):
    """History rows as ours expects them, in two passes over the table.

    Non-numeric states lose the original's -1 (ours stores no number); a row
    without ``last_updated`` takes its ``last_changed``; the instance comes from
    the entity when missing. Rows of one entity with the same ``last_updated``
    (the original stamped real-time rows with Odoo's clock) are kept apart by a
    microsecond each, so the unique (entity, last_updated) key can be added.
    """
    cr.execute(
        """
        UPDATE ha_entity_history h
           SET num_state = CASE WHEN h.num_state = -1
                                 AND coalesce(h.entity_state, '') !~ %s
                                THEN NULL ELSE h.num_state END,
               last_updated = coalesce(h.last_updated, h.last_changed,
                                       h.create_date, now() at time zone 'UTC'),
               ha_instance_id = coalesce(h.ha_instance_id, e.ha_instance_id)
          FROM ha_entity e
         WHERE e.id = h.entity_id
           AND ((h.num_state = -1 AND coalesce(h.entity_state, '') !~ %s)
                OR h.last_updated IS NULL OR h.ha_instance_id IS NULL)
        """,
        (NUMERIC_MINUS_ONE, NUMERIC_MINUS_ONE),
    )
    changed = cr.rowcount
    cr.execute(
        """
        UPDATE ha_entity_history h
           SET last_updated = h.last_updated + d.rank * interval '1 microsecond'
          FROM (SELECT id, row_number() OVER (PARTITION BY entity_id, last_updated
                                                  ORDER BY id) - 1 AS rank
                  FROM ha_entity_history) d
         WHERE d.id = h.id AND d.rank > 0
        """
    )
    return changed, cr.rowcount


def clear_original_wizards(cr):
    """Empty the wizards' tables; drop the original's columns and relations."""
    for table, stale in WIZARD_COLUMNS.items():
        if not sql.table_exists(cr, table):
            continue
        cr.execute(SQL("DELETE FROM %s", SQL.identifier(table)))
        for column in stale:
            cr.execute(
                SQL(
                    "ALTER TABLE %s DROP COLUMN IF EXISTS %s CASCADE",
                    SQL.identifier(table),
                    SQL.identifier(column),
                )
            )
    for relation in WIZARD_RELATIONS:
        cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(relation)))
    cr.execute("DELETE FROM ir_model_relation WHERE name IN %s", (WIZARD_RELATIONS,))


# -- post --------------------------------------------------------------------------


def link_via_devices(cr):
    """``via_device_id``: HA's device id string → the device of the same instance."""
    if not sql.column_exists(cr, "ha_device", VIA_DEVICE_LEGACY):
        return 0
    cr.execute(
        SQL(
            """
            UPDATE ha_device d SET via_device_id = v.id
              FROM ha_device v
             WHERE v.ha_instance_id = d.ha_instance_id AND v.device_id = d.%s
            """,
            SQL.identifier(VIA_DEVICE_LEGACY),
        )
    )
    linked = cr.rowcount
    cr.execute(
        SQL("ALTER TABLE ha_device DROP COLUMN %s", SQL.identifier(VIA_DEVICE_LEGACY))
    )
    return linked


def drop_stale_counts(env):
    dropped = []
    for table, column in STALE_COUNT_COLUMNS:
        model = next(
            (m for m in env.registry.values() if m._table == table and not m._abstract),
            None,
        )
        field = model and model._fields.get(column)
        if field and field.store:
            continue  # stored again by this version: its column is in use
        if sql.column_exists(env.cr, table, column):
            env.cr.execute(
                SQL(
                    "ALTER TABLE %s DROP COLUMN %s",
                    SQL.identifier(table),
                    SQL.identifier(column),
                )
            )
            dropped.append(f"{table}.{column}")
    return dropped


def fill_identities(cr):
    """Instances without an identity get it as ours stamps it: the URL's
    fingerprint, and the URL it was taken from when none is stored."""
    if not sql.column_exists(cr, "ha_instance", "ha_instance_uuid"):
        return 0
    cr.execute(
        """SELECT id, api_url FROM ha_instance
            WHERE ha_instance_uuid IS NULL AND coalesce(api_url, '') != ''"""
    )
    rows = cr.fetchall()
    for id_, url in rows:
        cr.execute(
            """UPDATE ha_instance SET ha_instance_uuid = %s,
                      last_api_url = coalesce(last_api_url, api_url)
                WHERE id = %s""",
            (url_fingerprint(url), id_),
        )
    return len(rows)


def fill_share_instances(cr):
    """Shares whose stored instance is missing take their target's."""
    if not sql.column_exists(cr, "ha_entity_share", "ha_instance_id"):
        return 0
    cr.execute(
        """
        UPDATE ha_entity_share s
           SET ha_instance_id = coalesce(e.ha_instance_id, g.ha_instance_id,
                                         d.ha_instance_id)
          FROM ha_entity_share t
          LEFT JOIN ha_entity e ON e.id = t.entity_id
          LEFT JOIN ha_entity_group g ON g.id = t.group_id
          LEFT JOIN ha_device d ON d.id = t.device_id
         WHERE t.id = s.id AND s.ha_instance_id IS NULL
        """
    )
    return cr.rowcount
