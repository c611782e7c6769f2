"""A rule's domains and a change's values, before any record is read.

Pure helpers of ``ha_sync_rules``: which conditions the mirror's values
decide, what an entity must satisfy for a rule to fire on it some day, and
how a change's values go into the record cache.
"""

from odoo.osv import expression

# The fields of ha.entity that the mirror's SQL writes.
MIRRORED_FIELDS = frozenset(
    {
        "name",
        "entity_state",
        "attributes",
        "last_changed",
        "last_updated",
        "ha_context_id",
        "state_value",
        "active",
    }
)
_NUMBERS = (int, float)


def known_vals(vals, name=None):
    """``vals`` (see ``_state_vals``) as a recorded change holds them: the
    name the mirror keeps when HA gives none, else no name (a rules round
    leaves the record's own)."""
    known = dict(vals)
    if not known["name"]:
        known.pop("name")
        if name:
            known["name"] = name
    return known


def cached(field, value, records):
    """``value`` of a mirrored field in the cache's format: JSON comes plain
    (from HA or the database), converting it would only copy it; the others
    convert without their record."""
    if field.type == "json":
        return value or None
    return field.convert_to_cache(value, records)


def relax(domain):
    """``domain`` with every condition on a mirrored field made true: what an
    entity satisfies, whatever HA reports, for ``domain`` to hold some day.

    Sound for ``&`` and ``|`` only: None when the domain negates (``!``).
    """
    relaxed = []
    for term in domain:
        if term == expression.NOT_OPERATOR:
            return None
        if isinstance(term, list | tuple) and len(term) == 3:
            field = str(term[0]).split(".", 1)[0]
            relaxed.append(
                expression.TRUE_LEAF if field in MIRRORED_FIELDS else tuple(term)
            )
        else:
            relaxed.append(term)
    return relaxed


def _compare(data, operator, value):
    """``data`` against ``value`` as ``filtered_domain`` compares a record's
    value; None when this does not say (another operator, another type)."""
    if operator in ("in", "not in"):
        values = set(value) if isinstance(value, list | tuple) else {value}
        found = bool(values) and data in values
        return found if operator == "in" else not found
    if operator == "=":
        return data == value
    if operator == "!=":
        return data != value
    if not isinstance(data, _NUMBERS) or not isinstance(value, _NUMBERS):
        return None
    if operator == "<":
        return data < value
    if operator == "<=":
        return data <= value
    if operator == ">":
        return data > value
    if operator == ">=":
        return data >= value
    return None


def _leaf(term, vals):
    """Whether condition ``term`` holds on a change's ``vals``: True, False,
    or None when only the record can tell. Decided: the numeric state (a
    float field, 0.0 for none) and a non-empty text state compared to
    non-empty texts; what ``filtered_domain`` would find."""
    if term == expression.TRUE_LEAF:
        return True
    if term == expression.FALSE_LEAF:
        return False
    if not isinstance(term, list | tuple) or len(term) != 3:
        return None
    name, operator, value = term
    values = value if isinstance(value, list | tuple) else [value]
    if name == "state_value" and name in vals:
        if any(isinstance(v, bool) or not isinstance(v, _NUMBERS) for v in values):
            return None
        return _compare(float(vals[name] or 0.0), operator, value)
    if name == "entity_state" and operator in ("=", "!=", "in", "not in"):
        data = vals.get(name)
        if not data or not isinstance(data, str):
            return None
        if not values or not all(v and isinstance(v, str) for v in values):
            return None
        return _compare(data, operator, value)
    return None


def may_hold(domain, vals):
    """False when ``domain`` (normalized: ``expression.normalize_domain``)
    surely fails on a change's ``vals`` (the conditions they decide, see
    :func:`_leaf`), True otherwise: a change no rule may fire on is left
    out before any record is read."""
    if not domain:
        return True
    terms = iter(domain)

    def walk():
        term = next(terms)
        if term == expression.NOT_OPERATOR:
            held = walk()
            return None if held is None else not held
        if term in (expression.AND_OPERATOR, expression.OR_OPERATOR):
            left, right = walk(), walk()
            if term == expression.AND_OPERATOR:
                if left is False or right is False:
                    return False
                return True if left and right else None
            if left is True or right is True:
                return True
            return False if left is False and right is False else None
        return _leaf(term, vals)

    return walk() is not False


def _names(code):
    yield from code.co_names
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            yield from _names(const)


def literal(text):
    """Whether a rule's filter text is a literal (it names nothing: no
    ``uid``, ``time``, ``context_today``...): it evaluates to the same domain
    every time, so it can be evaluated once, not for every pass."""
    try:
        return not text or not any(_names(compile(text, "<domain>", "eval")))
    except SyntaxError:
        return False  # safe_eval says what is wrong, where it is evaluated


def may_fire(filters, change):
    """Whether some rule of ``filters`` (see :func:`candidates`) may fire on
    ``change``, by its own values."""
    _pk, old, new = change
    return any(
        may_hold(before, old) and may_hold(after, new)
        for _rule_id, before, after in filters
    )


def candidates(filters, changes):
    """``[(rule id, ha.entity id, old, new)]``: for each of ``changes``
    (``[(ha.entity id, old vals, new vals)]``), in their order, each rule of
    ``filters`` (``[(rule id, before, after)]``, normalized domains or None)
    whose "before" filter its old values may hold and whose "after" filter
    its new values may hold (see :func:`may_hold`)."""
    return [
        (rule_id, pk, old, new)
        for pk, old, new in changes
        for rule_id, before, after in filters
        if may_hold(before, old) and may_hold(after, new)
    ]
