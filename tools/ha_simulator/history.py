"""Recorder queries: history (WS compressed and REST) over the recorded rows."""

import time

from .core import NEED_ATTRIBUTE_DOMAINS, SIGNIFICANT_DOMAINS, iso


def query(
    home,
    entity_ids,
    start,
    end=None,
    include_start_time_state=True,
    significant_changes_only=True,
    minimal_response=False,
    no_attributes=False,
):
    """{entity_id: [(state, attrs, lc, lu), ...]} following HA's filters.

    Entities without rows are left out.  The start-time state, when asked
    for, is stamped with ``start``.
    """
    end = time.time() if end is None else end
    out = {}
    if start > time.time():
        return out
    for eid in entity_ids:
        rows = home.history.get(eid)
        if not rows:
            continue
        domain = eid.split(".", 1)[0]
        keep_attr_changes = (
            domain in SIGNIFICANT_DOMAINS or not significant_changes_only
        )
        result = []
        before = None
        for row in rows:
            lu = row[3]
            if lu < start:
                before = row
                continue
            if lu >= end:
                break
            if result and not keep_attr_changes and row[0] == result[-1][0]:
                continue
            if not result and before is None and not keep_attr_changes:
                pass
            result.append(row)
        if include_start_time_state and before is not None:
            if not result or result[0][3] > start:
                result.insert(0, (before[0], before[1], start, start))
        if minimal_response and domain not in NEED_ATTRIBUTE_DOMAINS:
            merged = result[:1]
            for row in result[1:]:
                if row[0] != merged[-1][0]:
                    merged.append(row)
            result = merged
        if result:
            out[eid] = result
    return out


def compressed(home, rows_by_entity, minimal_response, no_attributes):
    """The WS ``history/history_during_period`` result."""
    out = {}
    for eid, rows in rows_by_entity.items():
        domain = eid.split(".", 1)[0]
        keep_attrs = not no_attributes or domain in NEED_ATTRIBUTE_DOMAINS
        minimal = minimal_response and domain not in NEED_ATTRIBUTE_DOMAINS
        items = []
        for idx, (state, attrs, lc, lu) in enumerate(rows):
            if minimal and idx:
                items.append({"s": state, "lu": lc})
                continue
            item = {"s": state}
            if keep_attrs:
                item["a"] = attrs
            item["lu"] = lu
            if lc != lu:
                item["lc"] = lc
            items.append(item)
        out[eid] = items
    return out


def rest(home, rows_by_entity, minimal_response, no_attributes):
    """The REST ``/api/history/period`` result: a list of lists."""
    out = []
    for eid, rows in rows_by_entity.items():
        domain = eid.split(".", 1)[0]
        keep_attrs = not no_attributes or domain in NEED_ATTRIBUTE_DOMAINS
        minimal = minimal_response and domain not in NEED_ATTRIBUTE_DOMAINS
        items = []
        last = len(rows) - 1
        for idx, (state, attrs, lc, lu) in enumerate(rows):
            if minimal and 0 < idx < last:
                items.append({"state": state, "last_changed": iso(lc)})
                continue
            item = {"entity_id": eid, "state": state}
            item["attributes"] = attrs if keep_attrs else {}
            item["last_changed"] = iso(lc)
            item["last_updated"] = iso(lu)
            items.append(item)
        out.append(items)
    return out
