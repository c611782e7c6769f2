"""Translations: the checker of the translation files, the committed files
themselves, and Home Assistant client errors shown in the user's language.

(That the committed template equals a fresh ``odoo-bin --i18n-export`` needs an
installed database and odoo-bin: ``./dev tier i18n`` checks it.)
"""

from pathlib import Path

import polib

from odoo.tests import TransactionCase
from odoo.tools.misc import file_path

from odoo.addons.odoo_ha_addon.models.bridge import request_queue
from odoo.addons.odoo_ha_addon.models.common import ha_errors
from odoo.addons.odoo_ha_addon.models.ha_remote_call import ha_error_text
from odoo.addons.odoo_ha_addon.tools import i18n_check

from .common_pure import PureCase

I18N = Path(__file__).resolve().parent.parent / "i18n"


def _pofile(entries):
    po = polib.POFile()
    for msgid, msgstr in entries:
        po.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    return po


class TestI18nCheck(PureCase):
    def test_a_complete_translation_passes(self):
        pot = _pofile([("Open %(name)s", ""), ("<b>Hi</b> %s", "")])
        po = _pofile(
            [("Open %(name)s", "開啟 %(name)s"), ("<b>Hi</b> %s", "<b>嗨</b> %s")]
        )
        self.assertEqual(i18n_check.check_translations(pot, po), [])

    def test_missing_empty_fuzzy_and_stale_entries_are_reported(self):
        pot = _pofile([("One", ""), ("Two", ""), ("Three", "")])
        po = _pofile([("Two", ""), ("Three", "三"), ("Gone", "走了")])
        po[1].flags.append("fuzzy")
        problems = i18n_check.check_translations(pot, po)
        self.assertEqual(len(problems), 4, problems)
        joined = "\n".join(problems)
        for word in (
            "missing entry: 'One'",
            "not translated: 'Two'",
            "fuzzy",
            "'Gone'",
        ):
            self.assertIn(word, joined)

    def test_placeholders_and_markup_must_survive(self):
        self.assertTrue(i18n_check.check_entry("%(name)s is on", "name 開啟"))
        self.assertTrue(i18n_check.check_entry("%s of %s", "%s"))
        self.assertTrue(i18n_check.check_entry("Hello {user}", "你好"))
        self.assertTrue(i18n_check.check_entry("<b>On</b>", "開啟"))
        # Reordered placeholders are fine: the sets are equal.
        self.assertEqual(
            i18n_check.check_entry("%(a)s then %(b)s", "%(b)s 在 %(a)s 之後"), []
        )

    def test_the_header_is_left_out_of_the_template_comparison(self):
        body = '#. module: m\nmsgid "A"\nmsgstr ""\n'
        one = 'msgid ""\nmsgstr ""\n"POT-Creation-Date: 2020\\n"\n\n' + body
        two = 'msgid ""\nmsgstr ""\n"POT-Creation-Date: 2026\\n"\n\n' + body
        self.assertEqual(i18n_check.compare_pot(one, two), [])
        self.assertTrue(i18n_check.compare_pot(one, two.replace('"A"', '"B"')))

    def test_merge_keeps_translations_and_follows_the_template(self):
        pot = _pofile([("New", ""), ("Kept", "")])
        po = _pofile([("Kept", "保留"), ("Gone", "走了")])
        merged = i18n_check.merge(pot, po)
        self.assertEqual(
            [(e.msgid, e.msgstr) for e in merged], [("New", ""), ("Kept", "保留")]
        )


class TestCommittedTranslations(PureCase):
    def test_zh_tw_translates_every_entry_of_the_template(self):
        pot = polib.pofile(str(I18N / "odoo_ha_addon.pot"))
        po = polib.pofile(str(I18N / "zh_TW.po"))
        self.assertGreater(len(pot), 300)
        self.assertEqual(i18n_check.check_translations(pot, po), [])
        self.assertEqual(po.metadata.get("Language"), "zh_TW")


class TestErrorsInTheUsersLanguage(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_TW")

    def test_a_client_error_is_shown_in_traditional_chinese(self):
        err = ha_errors.HaAuthError(
            ha_errors._lt(
                "Home Assistant at %(url)s rejected the access token (auth_invalid). "
                "Create a new long-lived token in your HA profile."
            ),
            params={"url": "ws://ha.local:8123/api/websocket"},
        )
        self.assertIn("rejected the access token", str(err))
        zh = ha_error_text(self.env(context={"lang": "zh_TW"}), err)
        self.assertEqual(
            zh,
            "位於 ws://ha.local:8123/api/websocket 的 Home Assistant 拒絕了存取權杖"
            "（auth_invalid）。請在 HA 個人資料中建立新的長效權杖。",
        )
        self.assertEqual(
            ha_error_text(self.env(context={"lang": "en_US"}), err), str(err)
        )

    def test_the_template_crosses_the_request_queue(self):
        # Another process runs the command: its error comes back as a row.
        err = ha_errors.error_from_ws_result(
            {"code": "not_found", "message": "Service light.nope not found."},
            "call_service",
        )
        back = request_queue.error_from_dict(request_queue.error_to_dict(err))
        self.assertIsInstance(back, ha_errors.HaNotFoundError)
        zh = ha_error_text(self.env(context={"lang": "zh_TW"}), back)
        # Our words translated, Home Assistant's own message as HA wrote it.
        self.assertEqual(
            zh,
            "Home Assistant 拒絕了「call_service」（not_found）："
            "Service light.nope not found.",
        )

    def test_a_plain_message_without_template_is_shown_as_is(self):
        err = ha_errors.HaError("plain")
        err.template = None
        self.assertEqual(
            ha_error_text(self.env(context={"lang": "zh_TW"}), err), "plain"
        )


class TestWebClientTerms(TransactionCase):
    def test_js_terms_agree_with_the_other_installed_modules(self):
        # The web client keeps one translation per English term for all
        # modules: a term of ours translated otherwise by another module would
        # change that module's screens, or ours, depending on load order.
        ours = polib.pofile(str(I18N / "zh_TW.po"))
        js = {e.msgid: e.msgstr for e in ours if "odoo-javascript" in (e.comment or "")}
        self.assertGreater(len(js), 100)
        modules = self.env["ir.module.module"].search(
            [("state", "=", "installed"), ("name", "!=", "odoo_ha_addon")]
        )
        clashes = []
        for module in modules:
            try:
                path = file_path(f"{module.name}/i18n/zh_TW.po")
            except FileNotFoundError:
                continue
            for entry in polib.pofile(path):
                if (
                    entry.msgid in js
                    and entry.msgstr
                    and entry.msgstr != js[entry.msgid]
                    and "odoo-javascript" in (entry.comment or "")
                ):
                    clashes.append(
                        f"{entry.msgid!r}: ours {js[entry.msgid]!r}, "
                        f"{module.name} {entry.msgstr!r}"
                    )
        self.assertEqual(clashes, [])
