"""The SQL engine of the mirror: how Home Assistant data reaches Odoo's tables.

``ha.sync`` (an abstract model, transport-free) writes everything Home
Assistant reports: registries, states, history. Its methods live in four files:

* this one: the engine (load, diff, insert, update, link, archive, invalidate);
* ``ha_sync_registries.py``: registry lists (full syncs) and registry events;
* ``ha_sync_states.py``: the full state sync and live state events;
* ``ha_sync_history.py``: history rows (live and backfilled).

Where and why the mirror bypasses the ORM: every one of these writes is plain,
set-based SQL. A full sync carries thousands of rows on every reconnect and
live events arrive by the hundred per second; through the ORM each record would
cost queries, cache entries and every ``create``/``write`` override. Here one
query loads an instance's rows (:meth:`HaSync._ha_load`), one Python loop finds
the differences (:func:`diff_rows`, the only one), then one INSERT and one
UPDATE per table carry them; unchanged rows are not written. A batch of live
state events is one ``INSERT ... ON CONFLICT DO UPDATE`` (newest state wins).

What bypassing skips, on purpose: the ``create``/``write`` overrides of the
mirrored models (their pushes to Home Assistant must not echo HA's own changes
back), ORM computes and constraints. So:

* caches stay right: each entry point flushes pending ORM writes before its SQL
  (``env.flush_all()``) and invalidates the mirrored models' caches after it
  (:meth:`HaSync._ha_invalidate`);
* the one stored compute the mirror writes, ``ha.entity.display_area_id``, is
  set with the ORM's own rule (``ha_entity.display_area``): with the entity's
  links, and for the entities of a device whose area moved
  (:meth:`HaSync._ha_recompute_display_area`);
* anything else that must see the changes gets them through an explicit hook:
  the ``ha.realtime.update`` bus notifications sent at the end of each entry
  point, and the database triggers that keep the history rollup.
"""

import json
from collections import namedtuple
from datetime import datetime, timezone
from functools import lru_cache
from operator import itemgetter

from odoo import api, models
from odoo.tools import SQL

from .ha_entity import display_area

# The transaction's time as ``cr.now()`` has it, in the statement itself: the
# live path's writes save the query ``cr.now()`` makes once a transaction.
TX_NOW = SQL("(now() AT TIME ZONE 'UTC')")


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


@lru_cache(maxsize=64)
def _table_type(names):
    return namedtuple("Loaded", names)


def fetch_columns(cr, key):
    """The cursor's rows, read by name: one ``{key: value}`` dict per column.

    ``loaded.id[key]``, ``loaded.last_updated[key]``; ``loaded.id`` doubles as
    the ``{key: id}`` map. Column dicts rather than an object per row: a sync
    loads 10,000 entities several times, and one more object per row costs
    full garbage collections over Odoo's whole heap.
    """
    names = tuple(column.name for column in cr.description)
    rows = cr.fetchall()
    # map/itemgetter, not zip(*rows): that would build an iterator per row.
    keys = list(map(itemgetter(names.index(key)), rows))
    return _table_type(names)._make(
        dict(zip(keys, map(itemgetter(index), rows), strict=True))
        for index in range(len(names))
    )


def diff_rows(existing, rows, columns, newer=None):
    """What to write so that the table holds ``rows``: ``(to_insert, to_update)``.

    ``rows`` is ``{key: {column: value}}``, ``existing`` the loaded rows (see
    :meth:`HaSync._ha_load`). A key not loaded is to insert (``[(key,
    vals)]``); a loaded row whose ``columns`` differ is to update (``[(row id,
    vals)]``); the others are left alone. With ``newer`` (a column name), a row
    stored with a later value there than the new one is left alone too: an
    older state never overwrites a newer one.
    """
    ids = existing.id
    stored = [(column, getattr(existing, column)) for column in columns]
    stored_newer = getattr(existing, newer) if newer else None
    to_insert, to_update = [], []
    for key, vals in rows.items():
        row_id = ids.get(key)
        if row_id is None:
            to_insert.append((key, vals))
            continue
        if all(values[key] == vals.get(column) for column, values in stored):
            continue
        if stored_newer is not None:
            old, new = stored_newer[key], vals.get(newer)
            if old and new and old > new:
                continue
        to_update.append((row_id, vals))
    return to_insert, to_update


# The outcome of HaSync._ha_upsert: ids ({key: id}, every row of the instance),
# created ({key: id} of new rows), updated ([id]), existing (as loaded before).
Upserted = namedtuple("Upserted", ["ids", "created", "updated", "existing"])


class HaSync(models.AbstractModel):
    _name = "ha.sync"
    _description = "Home Assistant Bulk Sync"

    @api.model
    def _ha_instance_id(self, instance):
        return instance.id if hasattr(instance, "id") else int(instance)

    # -- read ------------------------------------------------------------------

    @api.model
    def _ha_load(self, table, instance_id, key, columns, keys=None):
        """The instance's rows (or those whose key is in ``keys``): ``id``,
        ``key`` and ``columns``, each a ``{key: value}`` dict (see
        :func:`fetch_columns`)."""
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
        return fetch_columns(self.env.cr, key)

    @api.model
    def _ha_ids(self, table, instance_id, key, keys=None):
        """``{key: id}`` of the instance's rows (or of those in ``keys``)."""
        return self._ha_load(table, instance_id, key, [], keys=keys).id

    # -- write -----------------------------------------------------------------

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
        return [updated_id for (updated_id,) in cr.fetchall()]

    @api.model
    def _ha_upsert(self, table, instance_id, key, spec, rows):
        """Insert new and update changed rows of ``{key: {column: value}}``.

        Load, :func:`diff_rows` on the ``spec`` columns, insert, update;
        returns :data:`Upserted`.
        """
        existing = self._ha_load(table, instance_id, key, [c for c, _t in spec])
        to_insert, to_update = diff_rows(existing, rows, [c for c, _t in spec])
        ids = dict(existing.id)
        created = self._ha_insert(table, instance_id, key, spec, to_insert)
        ids.update(created)
        self._ha_update(table, spec, to_update)
        return Upserted(ids, created, [i for i, _vals in to_update], existing)

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
        current = set(cr.fetchall())  # {(owner id, target id)}, like ``pairs``
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
    def _ha_delete(self, table, ids):
        """Delete the rows ``ids``; returns them."""
        ids = list(ids)
        if ids:
            self.env.cr.execute(
                SQL("DELETE FROM %s WHERE id = ANY(%s)", SQL.identifier(table), ids)
            )
        return ids

    @api.model
    def _ha_archive(self, table, ids):
        """Archive the active rows among ``ids``; returns the ids archived."""
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
        return [archived_id for (archived_id,) in self.env.cr.fetchall()]

    @api.model
    def _ha_recompute_display_area(self, device_ids):
        """Entities of ``device_ids`` (devices whose area moved) shown where
        :func:`~.ha_entity.display_area` says; returns the number changed.

        Every other mirror write sets ``display_area_id`` with the links it
        writes, and a deleted area is cleared by its foreign keys.
        """
        if not device_ids:
            return 0
        self.env.cr.execute(
            SQL(
                """
                SELECT e.id, e.follows_device_area, e.area_id, e.display_area_id,
                       d.area_id
                  FROM ha_entity e
                  JOIN ha_device d ON d.id = e.device_id
                 WHERE e.device_id = ANY(%s)
                """,
                list(device_ids),
            )
        )
        changed = []
        for (
            entity_pk,
            follows,
            own_area,
            shown_area,
            device_area,
        ) in self.env.cr.fetchall():
            area = display_area(follows, own_area, device_area)
            if area != shown_area:
                changed.append((entity_pk, {"display_area_id": area}))
        return len(self._ha_update("ha_entity", [("display_area_id", "int4")], changed))

    # -- caches ----------------------------------------------------------------

    @api.model
    def _ha_invalidate(self):
        """Drop the ORM caches of every mirrored model: called after the SQL
        writes of each entry point, so that the ORM reads the new rows."""
        for model in (
            "ha.label",
            "ha.area",
            "ha.device",
            "ha.entity",
            "ha.entity.history",
        ):
            self.env[model].invalidate_model()
