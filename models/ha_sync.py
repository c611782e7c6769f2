"""Bulk mirror of Home Assistant registries into Odoo (transport-free).

The connection layer hands the payloads exactly as HA's WebSocket API returns
them (``config/*_registry/list``); everything here is set-based SQL: one query
loads an instance's rows, then one INSERT and one UPDATE per table carry the
differences, and unchanged rows are skipped. State and history methods are in
``ha_sync_states.py`` (same model).
"""

import json
import logging
from datetime import datetime, timezone

from odoo import api, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

LABEL_SPEC = [
    ("name", "varchar"),
    ("icon", "varchar"),
    ("ha_color", "varchar"),
    ("description", "text"),
]
AREA_SPEC = [
    ("name", "varchar"),
    ("floor_id", "varchar"),
    ("floor_name", "varchar"),
    ("icon", "varchar"),
    ("picture", "varchar"),
    ("aliases", "jsonb"),
]
DEVICE_SPEC = [
    ("name", "varchar"),
    ("name_by_user", "varchar"),
    ("manufacturer", "varchar"),
    ("model", "varchar"),
    ("model_id", "varchar"),
    ("sw_version", "varchar"),
    ("hw_version", "varchar"),
    ("serial_number", "varchar"),
    ("configuration_url", "varchar"),
    ("disabled_by", "varchar"),
    ("entry_type", "varchar"),
    ("primary_config_entry", "varchar"),
    ("identifiers", "jsonb"),
    ("connections", "jsonb"),
    ("config_entries", "jsonb"),
    ("area_id", "int4"),
    ("active", "bool"),
]
ENTITY_REGISTRY_SPEC = [
    ("area_id", "int4"),
    ("device_id", "int4"),
    ("follows_device_area", "bool"),
]
ENTITY_REGISTRY_INSERT_SPEC = [
    ("domain", "varchar"),
    ("name", "varchar"),
    ("active", "bool"),
    *ENTITY_REGISTRY_SPEC,
]


def parse_ha_time(value):
    """HA time (ISO string with offset, or epoch seconds) → naive UTC datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, timezone.utc).replace(tzinfo=None)
    moment = value
    if not isinstance(moment, datetime):
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _text(value):
    return None if value is None else str(value)


def _sql_value(value, pg_type):
    if pg_type == "jsonb":
        return None if value is None else json.dumps(value)
    return value


def _unnest(columns):
    """``unnest(%s::t1[], %s::t2[], ...)`` from ``[(values, pg_type), ...]``."""
    return SQL(
        "unnest(%s)",
        SQL(", ").join(
            SQL("%s::%s[]", [_sql_value(v, pg_type) for v in values], SQL(pg_type))
            for values, pg_type in columns
        ),
    )


def _unnest_pairs(pairs):
    """``unnest`` of two int4 columns from ``{(a, b), ...}``."""
    pairs = list(pairs)
    return _unnest([([a for a, _b in pairs], "int4"), ([b for _a, b in pairs], "int4")])


def _label_pairs(ids, labels, label_ids):
    """``{(record id, label id)}`` from ``{key: [HA label ids]}``; unknown
    records or labels are skipped."""
    return {
        (ids[key], label_ids[label])
        for key, names in labels.items()
        if key in ids
        for label in names
        if label in label_ids
    }


class HaSync(models.AbstractModel):
    _name = "ha.sync"
    _description = "Home Assistant Bulk Sync"

    # -- SQL helpers ----------------------------------------------------------------

    @api.model
    def _ha_instance_id(self, instance):
        return instance.id if hasattr(instance, "id") else int(instance)

    @api.model
    def _ha_load(self, table, instance_id, key, columns, keys=None):
        """``{key: (id, key, *columns)}`` of every row of the instance (or of
        the rows whose key is in ``keys``)."""
        self.env.cr.execute(
            SQL(
                "SELECT id, %s%s FROM %s WHERE ha_instance_id = %s%s",
                SQL.identifier(key),
                SQL("").join(SQL(", %s", SQL.identifier(c)) for c in columns),
                SQL.identifier(table),
                instance_id,
                SQL(" AND %s = ANY(%s)", SQL.identifier(key), list(keys))
                if keys is not None
                else SQL(),
            )
        )
        return {row[1]: row for row in self.env.cr.fetchall()}

    @api.model
    def _ha_insert(self, table, instance_id, key, spec, rows):
        """Insert ``[(key, {column: value})]``; returns ``{key: id}`` of new rows."""
        if not rows:
            return {}
        cr = self.env.cr
        now = cr.now()
        columns = [([k for k, _vals in rows], "varchar")]
        columns += [([vals.get(c) for _k, vals in rows], t) for c, t in spec]
        cr.execute(
            SQL(
                """
                INSERT INTO %(table)s (ha_instance_id, %(key)s, %(cols)s,
                                       create_uid, create_date, write_uid, write_date)
                SELECT %(instance)s, v.*, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM %(unnest)s AS v
                ON CONFLICT DO NOTHING
                RETURNING %(key)s, id
                """,
                table=SQL.identifier(table),
                key=SQL.identifier(key),
                cols=SQL(", ").join(SQL.identifier(c) for c, _t in spec),
                instance=instance_id,
                uid=self.env.uid,
                now=now,
                unnest=_unnest(columns),
            )
        )
        return dict(cr.fetchall())

    @api.model
    def _ha_update(self, table, spec, rows, guard=None):
        """Update ``[(id, {column: value})]``; returns the ids really updated.

        ``guard`` is an extra SQL condition on ``t`` (the row) and ``v`` (the new
        values), e.g. the ``last_updated`` ordering guard.
        """
        if not rows:
            return []
        cr = self.env.cr
        columns = [([i for i, _vals in rows], "int4")]
        columns += [([vals.get(c) for _i, vals in rows], t) for c, t in spec]
        names = SQL(", ").join(SQL.identifier(n) for n in ["id", *[c for c, _ in spec]])
        assign = SQL(", ").join(
            SQL("%s = v.%s", SQL.identifier(c), SQL.identifier(c)) for c, _t in spec
        )
        cr.execute(
            SQL(
                """
                UPDATE %(table)s AS t
                   SET %(assign)s, write_uid = %(uid)s, write_date = %(now)s
                  FROM %(unnest)s AS v(%(names)s)
                 WHERE t.id = v.id %(guard)s
             RETURNING t.id
                """,
                table=SQL.identifier(table),
                assign=assign,
                uid=self.env.uid,
                now=cr.now(),
                unnest=_unnest(columns),
                names=names,
                guard=SQL("AND (%s)", guard) if guard else SQL(""),
            )
        )
        return [row[0] for row in cr.fetchall()]

    @api.model
    def _ha_upsert(self, table, instance_id, key, spec, rows):
        """Insert new and update changed rows of ``{key: {column: value}}``.

        Returns ``(ids, created, updated, existing)``: ``{key: id}`` for every
        row of the instance, keys created, keys updated, and the loaded rows.
        """
        columns = [c for c, _t in spec]
        existing = self._ha_load(table, instance_id, key, columns)
        to_insert, to_update = [], []
        for k, vals in rows.items():
            row = existing.get(k)
            if row is None:
                to_insert.append((k, vals))
            elif any(row[i + 2] != vals.get(c) for i, c in enumerate(columns)):
                to_update.append((row[0], vals))
        ids = {k: row[0] for k, row in existing.items()}
        created = self._ha_insert(table, instance_id, key, spec, to_insert)
        ids.update(created)
        self._ha_update(table, spec, to_update)
        id_to_key = {row[0]: k for k, row in existing.items()}
        updated = {id_to_key[i] for i, _vals in to_update}
        return ids, set(created), updated, existing

    @api.model
    def _ha_sync_m2m(self, relation, owner_col, target_col, owner_ids, pairs):
        """Make the links of ``owner_ids`` in ``relation`` exactly ``pairs``."""
        if not owner_ids:
            return 0
        cr = self.env.cr
        rel, owner, target = map(SQL.identifier, (relation, owner_col, target_col))
        cr.execute(
            SQL(
                "SELECT %s, %s FROM %s WHERE %s = ANY(%s)",
                owner,
                target,
                rel,
                owner,
                list(owner_ids),
            )
        )
        current = set(cr.fetchall())
        to_delete, to_add = current - pairs, pairs - current
        if to_delete:
            cr.execute(
                SQL(
                    "DELETE FROM %s WHERE (%s, %s) IN (SELECT * FROM %s)",
                    rel,
                    owner,
                    target,
                    _unnest_pairs(to_delete),
                )
            )
        if to_add:
            cr.execute(
                SQL(
                    "INSERT INTO %s (%s, %s) SELECT * FROM %s ON CONFLICT DO NOTHING",
                    rel,
                    owner,
                    target,
                    _unnest_pairs(to_add),
                )
            )
        return len(to_delete) + len(to_add)

    @api.model
    def _ha_delete_missing(self, table, instance_id, existing, keep):
        """Delete rows of the instance whose key is not in ``keep``."""
        gone = [row[0] for k, row in existing.items() if k not in keep]
        if gone:
            self.env.cr.execute(
                SQL("DELETE FROM %s WHERE id = ANY(%s)", SQL.identifier(table), gone)
            )
        return gone

    @api.model
    def _ha_stats_deleting_missing(
        self, table, instance_id, existing, rows, created, updated, complete
    ):
        """Counts of an upsert of ``rows``; with ``complete``, the instance's rows
        missing from ``rows`` are deleted too."""
        deleted = []
        if complete:
            deleted = self._ha_delete_missing(table, instance_id, existing, rows)
        return {
            "created": len(created),
            "updated": len(updated),
            "deleted": len(deleted),
        }

    @api.model
    def _ha_archive(self, table, ids):
        if not ids:
            return []
        self.env.cr.execute(
            SQL(
                """
                UPDATE %s SET active = false, write_uid = %s, write_date = %s
                 WHERE id = ANY(%s) AND active
             RETURNING id
                """,
                SQL.identifier(table),
                self.env.uid,
                self.env.cr.now(),
                list(ids),
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _ha_recompute_display_area(self, instance_id):
        """SQL twin of ``ha.entity._compute_display_area_id`` for one instance."""
        self.env.cr.execute(
            SQL(
                """
                UPDATE ha_entity e SET display_area_id = x.area
                  FROM (SELECT e2.id,
                               CASE WHEN e2.follows_device_area
                                         AND d.area_id IS NOT NULL
                                    THEN d.area_id ELSE e2.area_id END AS area
                          FROM ha_entity e2
                     LEFT JOIN ha_device d ON d.id = e2.device_id
                         WHERE e2.ha_instance_id = %s) x
                 WHERE x.id = e.id AND e.display_area_id IS DISTINCT FROM x.area
                """,
                instance_id,
            )
        )
        return self.env.cr.rowcount

    @api.model
    def _ha_invalidate(self):
        for model in (
            "ha.label",
            "ha.area",
            "ha.device",
            "ha.entity",
            "ha.entity.history",
        ):
            self.env[model].invalidate_model()

    # -- registries -------------------------------------------------------------------

    @api.model
    def _ha_sync_registries(
        self,
        instance,
        floors=None,
        areas=None,
        labels=None,
        devices=None,
        entity_registry=None,
        complete=True,
        notify=True,
    ):
        """Mirror HA's registries (``config/*_registry/list`` results).

        A list left to None is not synced. With ``complete`` (full lists),
        labels and areas missing from HA are deleted and devices archived; with
        ``complete=False`` (single entries from registry events) nothing is
        removed. Returns counts per kind.
        """
        instance_id = self._ha_instance_id(instance)
        self.env.flush_all()
        stats = {}
        floor_names = {
            f["floor_id"]: f.get("name") for f in floors or [] if f.get("floor_id")
        }
        if labels is not None:
            stats["labels"] = self._ha_sync_labels(instance_id, labels, complete)
        label_ids = {
            k: row[0]
            for k, row in self._ha_load("ha_label", instance_id, "label_id", []).items()
        }
        if areas is not None:
            if floors is None:
                floor_names = self._ha_known_floor_names(instance_id)
            stats["areas"] = self._ha_sync_areas(
                instance_id, areas, label_ids, floor_names, complete
            )
        area_ids = {
            k: row[0]
            for k, row in self._ha_load("ha_area", instance_id, "area_id", []).items()
        }
        if devices is not None:
            stats["devices"] = self._ha_sync_devices(
                instance_id, devices, area_ids, label_ids, complete
            )
        if entity_registry is not None:
            device_ids = {
                k: row[0]
                for k, row in self._ha_load(
                    "ha_device", instance_id, "device_id", []
                ).items()
            }
            stats["entities"] = self._ha_sync_entity_registry(
                instance_id, entity_registry, area_ids, device_ids, label_ids
            )
        self._ha_recompute_display_area(instance_id)
        self._ha_invalidate()
        if notify:
            notifier = self.env["ha.realtime.update"]
            if areas is not None or labels is not None:
                notifier.notify_area_registry_update(instance_id, "sync")
            if devices is not None or entity_registry is not None:
                notifier.notify_device_registry_update(instance_id, "sync")
        return stats

    @api.model
    def _ha_known_floor_names(self, instance_id):
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT floor_id, floor_name FROM ha_area"
                " WHERE ha_instance_id = %s AND floor_id IS NOT NULL",
                instance_id,
            )
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _ha_sync_labels(self, instance_id, labels, complete):
        rows = {}
        for label in labels:
            if not label.get("label_id"):
                continue
            rows[label["label_id"]] = {
                "name": _text(label.get("name")) or label["label_id"],
                "icon": _text(label.get("icon")),
                "ha_color": _text(label.get("color")),
                "description": _text(label.get("description")),
            }
        ids, created, updated, existing = self._ha_upsert(
            "ha_label", instance_id, "label_id", LABEL_SPEC, rows
        )
        return self._ha_stats_deleting_missing(
            "ha_label", instance_id, existing, rows, created, updated, complete
        )

    @api.model
    def _ha_sync_areas(self, instance_id, areas, label_ids, floor_names, complete):
        rows, labels = {}, {}
        for area in areas:
            key = area.get("area_id")
            if not key:
                continue
            floor = area.get("floor_id")
            rows[key] = {
                "name": _text(area.get("name")) or key,
                "floor_id": _text(floor),
                "floor_name": _text(floor_names.get(floor)) if floor else None,
                "icon": _text(area.get("icon")),
                "picture": _text(area.get("picture")),
                "aliases": list(area.get("aliases") or []),
            }
            labels[key] = area.get("labels") or []
        ids, created, updated, existing = self._ha_upsert(
            "ha_area", instance_id, "area_id", AREA_SPEC, rows
        )
        pairs = _label_pairs(ids, labels, label_ids)
        self._ha_sync_m2m(
            "ha_area_label_rel", "area_id", "label_id", [ids[k] for k in rows], pairs
        )
        return self._ha_stats_deleting_missing(
            "ha_area", instance_id, existing, rows, created, updated, complete
        )

    @api.model
    def _ha_sync_devices(self, instance_id, devices, area_ids, label_ids, complete):
        rows, labels, via = {}, {}, {}
        for device in devices:
            key = device.get("id") or device.get("device_id")
            if not key:
                continue
            vals = {c: _text(device.get(c)) for c, t in DEVICE_SPEC if t == "varchar"}
            vals.update(
                identifiers=device.get("identifiers"),
                connections=device.get("connections"),
                config_entries=device.get("config_entries"),
                area_id=area_ids.get(device.get("area_id")),
                active=True,
            )
            rows[key] = vals
            labels[key] = device.get("labels") or []
            via[key] = device.get("via_device_id")
        ids, created, updated, existing = self._ha_upsert(
            "ha_device", instance_id, "device_id", DEVICE_SPEC, rows
        )
        # Second pass: a device may point at a device created in this same sync.
        via_rows = self._ha_load(
            "ha_device", instance_id, "device_id", ["via_device_id"]
        )
        via_updates = [
            (ids[key], {"via_device_id": ids.get(parent)})
            for key, parent in via.items()
            if via_rows[key][2] != ids.get(parent)
        ]
        self._ha_update("ha_device", [("via_device_id", "int4")], via_updates)
        pairs = _label_pairs(ids, labels, label_ids)
        self._ha_sync_m2m(
            "ha_device_label_rel",
            "device_id",
            "label_id",
            [ids[k] for k in rows],
            pairs,
        )
        archived = []
        if complete:
            archived = self._ha_archive(
                "ha_device", [row[0] for k, row in existing.items() if k not in rows]
            )
        return {
            "created": len(created),
            "updated": len(updated) + len(via_updates),
            "archived": len(archived),
        }

    @api.model
    def _ha_entity_links(self, instance_id, entries, area_ids, device_ids):
        """Entity registry entries → ``(links, labels, extra)`` per entity_id.

        ``links``: area_id, device_id, follows_device_area and display_area_id
        (same rule as ``_ha_recompute_display_area``); ``labels``: HA label
        ids; ``extra``: domain, name and active for rows still to create.
        """
        rows, labels, extra = {}, {}, {}
        for entry in entries:
            key = entry.get("entity_id")
            if not key or "." not in key:
                continue
            own_area = entry.get("area_id")
            rows[key] = {
                "area_id": area_ids.get(own_area),
                "device_id": device_ids.get(entry.get("device_id")),
                "follows_device_area": not own_area,
            }
            labels[key] = entry.get("labels") or []
            extra[key] = {
                "domain": key.split(".", 1)[0],
                "name": _text(entry.get("name") or entry.get("original_name")),
                # A disabled entity has no state: it shows up archived.
                "active": not entry.get("disabled_by"),
            }
        # display_area_id is written with the links, so that
        # _ha_recompute_display_area finds nothing left to do: one write per
        # entity row instead of two.
        self.env.cr.execute(
            SQL(
                "SELECT id, area_id FROM ha_device WHERE ha_instance_id = %s",
                instance_id,
            )
        )
        device_area = dict(self.env.cr.fetchall())
        for vals in rows.values():
            follows = vals["follows_device_area"] and device_area.get(vals["device_id"])
            vals["display_area_id"] = follows or vals["area_id"]
        return rows, labels, extra

    @api.model
    def _ha_sync_entity_registry(
        self, instance_id, entries, area_ids, device_ids, label_ids
    ):
        """Links of entities (area, device, labels); unknown entries are created.

        An entity with no own area follows its device's area (HA's rule).
        Entries missing from the list are left alone: states decide archiving.
        """
        rows, labels, extra = self._ha_entity_links(
            instance_id, entries, area_ids, device_ids
        )
        spec = [*ENTITY_REGISTRY_SPEC, ("display_area_id", "int4")]
        columns = [c for c, _t in spec]
        existing = self._ha_load("ha_entity", instance_id, "entity_id", columns)
        to_insert, to_update = [], []
        for key, vals in rows.items():
            row = existing.get(key)
            if row is None:
                to_insert.append((key, dict(vals, **extra[key])))
            elif any(row[i + 2] != vals[c] for i, c in enumerate(columns)):
                to_update.append((row[0], vals))
        ids = {k: row[0] for k, row in existing.items()}
        created = self._ha_insert(
            "ha_entity",
            instance_id,
            "entity_id",
            [*ENTITY_REGISTRY_INSERT_SPEC, ("display_area_id", "int4")],
            to_insert,
        )
        ids.update(created)
        self._ha_update("ha_entity", spec, to_update)
        pairs = _label_pairs(ids, labels, label_ids)
        self._ha_sync_m2m(
            "ha_entity_label_rel",
            "entity_id",
            "label_id",
            [ids[k] for k in rows if k in ids],
            pairs,
        )
        return {"created": len(created), "updated": len(to_update)}
