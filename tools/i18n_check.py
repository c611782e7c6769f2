"""The addon's translation files: the template against a fresh export, and each
language file against the template.

    python -m tools.i18n_check pot FRESH.pot i18n/odoo_ha_addon.pot
        the committed template must be what ``odoo-bin --i18n-export`` writes
        today (the header, with its dates and Odoo's version, is left out);
    python -m tools.i18n_check po i18n/odoo_ha_addon.pot i18n/zh_TW.po
        every entry of the template translated (non-empty, not fuzzy), no entry
        the template no longer has, and the same placeholders and markup on
        both sides;
    python -m tools.i18n_check merge i18n/odoo_ha_addon.pot i18n/zh_TW.po
        rewrite the language file on the template: its translations kept, new
        entries empty (so that ``po`` lists them), gone entries dropped.

Needs only ``polib`` (one of Odoo's requirements).
"""

import argparse
import difflib
import re
import sys
from collections import Counter

import polib

# What must come through a translation unchanged: Python/JS format
# placeholders (%s, %(name)s, %d, %%), brace fields ({name}, {{ expr }}) and
# the names of the markup tags (a view's <b>, <br/>...).
PLACEHOLDER_RE = re.compile(
    r"%\([A-Za-z_][A-Za-z0-9_]*\)[-#0 +]*\d*(?:\.\d+)?[sdirfgxX]"
    r"|%[-#0 +]*\d*(?:\.\d+)?[sdirfgxX]"
    r"|%%"
    r"|\{\{.*?\}\}"
    r"|\{[A-Za-z_][A-Za-z0-9_]*\}"
)
TAG_RE = re.compile(r"</?([A-Za-z][A-Za-z0-9_-]*)\b")
MAX_LISTED = 40


def placeholders(text):
    """The placeholders of ``text``, counted."""
    return Counter(PLACEHOLDER_RE.findall(text))


def tags(text):
    """The markup tags of ``text`` (opening and closing), counted."""
    return Counter(match.group(0) for match in TAG_RE.finditer(text))


def without_header(text):
    """A .po/.pot text without its header entry (the first ``msgid ""`` block)
    and the comment lines above it."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("#. module:") or (
            line.startswith("msgid ") and line != 'msgid ""'
        ):
            start = index
            break
    else:
        return ""
    # Back up to the first comment line of that entry.
    while start > 0 and lines[start - 1].startswith("#"):
        start -= 1
    return "\n".join(lines[start:]).strip() + "\n"


def compare_pot(fresh_text, committed_text):
    """The unified diff (lines) between a fresh export and the committed
    template, headers left out; empty when they agree."""
    fresh = without_header(fresh_text).splitlines(keepends=True)
    committed = without_header(committed_text).splitlines(keepends=True)
    return list(
        difflib.unified_diff(committed, fresh, "committed .pot", "fresh export", n=1)
    )


def _key(entry):
    return (entry.msgctxt, entry.msgid)


def check_translations(pot, po):
    """The problems of the language file ``po`` against the template ``pot``
    (both :class:`polib.POFile`), as sentences; empty when there is none."""
    problems = []
    translated = {_key(entry): entry for entry in po if not entry.obsolete}
    wanted = {_key(entry) for entry in pot}
    for entry in pot:
        found = translated.get(_key(entry))
        if found is None:
            problems.append(f"missing entry: {entry.msgid!r}")
        elif not found.msgstr.strip():
            problems.append(f"not translated: {entry.msgid!r}")
        elif "fuzzy" in found.flags:
            problems.append(f"fuzzy (to be checked): {entry.msgid!r}")
        else:
            problems.extend(check_entry(entry.msgid, found.msgstr))
    for key, entry in translated.items():
        if key not in wanted:
            problems.append(f"not in the template any more: {entry.msgid!r}")
    return problems


def check_entry(msgid, msgstr):
    """What a translation breaks: its placeholders or markup differ from the
    source's. Returns sentences (empty: none)."""
    problems = []
    if placeholders(msgid) != placeholders(msgstr):
        problems.append(
            f"placeholders differ: {msgid!r} has "
            f"{sorted(placeholders(msgid).elements())}, the translation "
            f"{msgstr!r} has {sorted(placeholders(msgstr).elements())}"
        )
    if tags(msgid) != tags(msgstr):
        problems.append(
            f"markup differs: {msgid!r} has {sorted(tags(msgid).elements())}, "
            f"the translation {msgstr!r} has {sorted(tags(msgstr).elements())}"
        )
    return problems


def merge(pot, po):
    """``po`` rewritten on ``pot``: same entries, order and references as the
    template, the translations ``po`` has for them, its metadata."""
    known = {_key(entry): entry for entry in po if not entry.obsolete}
    merged = polib.POFile(wrapwidth=po.wrapwidth)
    merged.header = po.header
    merged.metadata = dict(po.metadata)
    for entry in pot:
        old = known.get(_key(entry))
        merged.append(
            polib.POEntry(
                msgid=entry.msgid,
                msgctxt=entry.msgctxt,
                msgstr=old.msgstr if old else "",
                comment=entry.comment,
                tcomment=entry.tcomment,
                occurrences=entry.occurrences,
                flags=list(entry.flags),
            )
        )
    return merged


def _report(title, problems):
    print(f"{title}: {len(problems)} problem(s)")
    for line in problems[:MAX_LISTED]:
        print(f"  {line.rstrip()}")
    if len(problems) > MAX_LISTED:
        print(f"  ... and {len(problems) - MAX_LISTED} more")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("pot", help="a fresh export against the committed .pot")
    cmd.add_argument("fresh")
    cmd.add_argument("committed")
    for name in ("po", "merge"):
        cmd = sub.add_parser(name)
        cmd.add_argument("pot")
        cmd.add_argument("po")
    args = parser.parse_args(argv)
    if args.command == "pot":
        with open(args.fresh, encoding="utf-8") as fresh:
            with open(args.committed, encoding="utf-8") as committed:
                diff = compare_pot(fresh.read(), committed.read())
        if diff:
            _report(f"{args.committed} is out of date (regenerate: ./dev i18n)", diff)
            return 1
        print(f"{args.committed}: same entries as a fresh export")
        return 0
    pot = polib.pofile(args.pot)
    if args.command == "merge":
        merge(pot, polib.pofile(args.po)).save(args.po)
    problems = check_translations(pot, polib.pofile(args.po))
    if problems:
        _report(f"{args.po} against {args.pot}", problems)
        return 1
    print(f"{args.po}: all {len(pot)} entries translated, placeholders and markup kept")
    return 0


if __name__ == "__main__":
    sys.exit(main())
