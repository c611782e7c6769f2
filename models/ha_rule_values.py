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
    name the mirror keeps when HA gives none, else no name (the rules
    leave the record's own)."""
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


_COMPARISONS = {
    "=": lambda data, value: data == value,
    "!=": lambda data, value: data != value,
    "<": lambda data, value: data < value,
    "<=": lambda data, value: data <= value,
    ">": lambda data, value: data > value,
    ">=": lambda data, value: data >= value,
}


def _comparison(operator, value):
    """``data -> bool``: ``data`` against ``value`` as ``filtered_domain``
    compares a record's value; None for another operator."""
    if operator in ("in", "not in"):
        values = frozenset(value if isinstance(value, list | tuple) else [value])
        if operator == "in":
            return lambda data: data in values
        return lambda data: data not in values
    compare = _COMPARISONS.get(operator)
    if operator not in ("=", "!=") and (
        isinstance(value, bool) or not isinstance(value, _NUMBERS)
    ):
        return None  # an order against a list, say: the record tells
    return compare and (lambda data: compare(data, value))


def _leaf(term):
    """Condition ``term`` as a test of a change's values (see
    :func:`predicate`). Decided: the numeric state (a float field, 0.0 for
    none) against numbers, and a non-empty text state against non-empty
    texts; what ``filtered_domain`` would find."""
    if term == expression.TRUE_LEAF:
        return True
    if term == expression.FALSE_LEAF:
        return False
    if not isinstance(term, list | tuple) or len(term) != 3:
        return None
    name, operator, value = term
    values = value if isinstance(value, list | tuple) else [value]
    if name == "state_value":
        if any(isinstance(v, bool) or not isinstance(v, _NUMBERS) for v in values):
            return None
        compare = _comparison(operator, value)
        return compare and (
            lambda vals: compare(float(vals[name] or 0.0)) if name in vals else None
        )
    if name == "entity_state" and operator in ("=", "!=", "in", "not in"):
        if not values or not all(v and isinstance(v, str) for v in values):
            return None
        compare = _comparison(operator, value)

        def text_leaf(vals):
            data = vals.get(name)
            return compare(data) if data and isinstance(data, str) else None

        return text_leaf
    return None


def _not(test):
    if not callable(test):
        return None if test is None else not test
    return lambda vals: None if (held := test(vals)) is None else not held


def _join(left, right, decisive):
    """``left`` AND ``right`` (``decisive``: False) or ``left`` OR ``right``
    (``decisive``: True), in three-valued logic: one decisive answer
    decides, two neutral ones (the other boolean) give a neutral one, any
    other pair is None."""
    neutral = not decisive
    if left is decisive or right is decisive:
        return decisive
    if left is neutral or right is neutral:
        return right if left is neutral else left
    if left is None and right is None:
        return None
    if left is None or right is None:
        known = left or right
        return lambda vals: decisive if known(vals) is decisive else None

    def joined(vals):
        first = left(vals)
        if first is decisive:
            return decisive
        second = right(vals)
        if second is decisive:
            return decisive
        return neutral if first is neutral and second is neutral else None

    return joined


def predicate(domain):
    """``domain`` (normalized: ``expression.normalize_domain``) as a test of
    a change's values, its terms looked at once: a function of the values
    that returns True, False, or None when only the record can tell; or
    that answer itself when the values cannot change it. See :func:`holds`."""
    if not domain:
        return True
    terms = iter(domain)

    def walk():
        term = next(terms)
        if term == expression.NOT_OPERATOR:
            return _not(walk())
        if term in (expression.AND_OPERATOR, expression.OR_OPERATOR):
            left, right = walk(), walk()
            return _join(left, right, term == expression.OR_OPERATOR)
        return _leaf(term)

    return walk()


def holds(test, vals):
    """False when ``test`` (see :func:`predicate`) says its domain surely
    fails on a change's ``vals``, True otherwise: a change no rule may fire
    on is left out before any record is read."""
    return (test(vals) if callable(test) else test) is not False


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


def value_tests(rule_id, before, after):
    """A rule's "before" and "after" filters (normalized domains, or None)
    as ``(rule id, before test, after test)`` (see :func:`predicate`)."""
    return rule_id, predicate(before), predicate(after)


def candidates(rules, changes):
    """``[(rule id, ha.entity id, old, new)]``: for each of ``changes``
    (``[(ha.entity id, old vals, new vals)]``), in their order, each rule of
    ``rules`` (see :func:`value_tests`) whose "before" filter its old values may
    hold and whose "after" filter its new values may hold."""
    return [
        (rule_id, pk, old, new)
        for pk, old, new in changes
        for rule_id, before, after in rules
        if holds(before, old) and holds(after, new)
    ]
