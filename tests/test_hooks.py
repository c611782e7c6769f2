"""The module hooks: the websockets check/install and the uninstall cleanup.

Nothing is installed here: pip is a mock, versions are given.
"""

import os
import subprocess
import sys
import tempfile
from unittest import mock

from odoo.tests import BaseCase, TransactionCase

from odoo.addons.odoo_ha_addon import hooks

MIN = hooks.WEBSOCKETS_REQUIREMENT


def _versions(*values):
    """A ``version_of`` answering ``values`` in turn (then the last one)."""
    answers = list(values)
    return lambda: answers.pop(0) if len(answers) > 1 else answers[0]


def _pip(returncode=0, stderr=""):
    return mock.Mock(
        return_value=subprocess.CompletedProcess([], returncode, "", stderr)
    )


class TestWebsocketsAutoInstall(BaseCase):
    def ensure(self, versions, run=None, environ=None, options=None, blocker=None):
        self.run = run or _pip()
        self.blocker_of = mock.Mock(return_value=blocker)
        return hooks.ensure_websockets(
            run=self.run,
            version_of=_versions(*versions),
            environ={} if environ is None else environ,
            options={} if options is None else options,
            blocker_of=self.blocker_of,
        )

    def assert_refused(self, *expected, **kwargs):
        with self.assertRaises(hooks.WebsocketsUnavailable) as caught:
            self.ensure(**kwargs)
        message = str(caught.exception)
        self.assertIn(f"{sys.executable} -m pip install", message)
        self.assertIn(f"'{MIN}'", message, "the command, ready to paste")
        for text in expected:
            self.assertIn(text, message)
        return message

    def test_the_installed_version_is_recent_enough(self):
        # This very interpreter: what the package import checks on every start.
        version = hooks.installed_websockets()
        self.assertGreaterEqual(
            hooks.parse_version(version), hooks.WEBSOCKETS_MIN_VERSION
        )
        self.assertEqual(self.ensure([version]), version)
        self.run.assert_not_called()

    def test_ok_installs_nothing_and_says_nothing(self):
        with self.assertNoLogs(hooks._logger):
            self.assertEqual(self.ensure(["15.0"]), "15.0")
            self.assertEqual(self.ensure(["14.2"]), "14.2")
        self.run.assert_not_called()
        self.blocker_of.assert_not_called()

    def test_missing_is_installed_into_this_interpreter(self):
        with self.assertLogs(hooks._logger, "DEBUG") as logs:
            self.assertEqual(self.ensure([None, None, "17.4"]), "17.4")
        self.run.assert_called_once()
        command = self.run.call_args.args[0]
        self.assertEqual(command[:4], [sys.executable, "-m", "pip", "install"])
        self.assertEqual(command[-1], MIN)
        self.assertEqual(len(logs.records), 1, "exactly one line says what was done")
        line = logs.records[0].getMessage()
        self.assertIn("Installed websockets 17.4", line)
        self.assertIn("none found", line)

    def test_too_old_is_upgraded(self):
        with self.assertLogs(hooks._logger) as logs:
            self.assertEqual(self.ensure(["13.1", "13.1", "15.0"]), "15.0")
        self.run.assert_called_once()
        self.assertIn("13.1 found", logs.records[0].getMessage())
        self.assertEqual(hooks.websockets_plan("14.1", True, None), "install")
        self.assertEqual(hooks.websockets_plan("12.0", True, None), "install")

    def test_installed_meanwhile_by_another_process(self):
        with self.assertNoLogs(hooks._logger):
            self.assertEqual(self.ensure([None, "17.4"]), "17.4")
        self.run.assert_not_called()

    def test_switched_off_by_the_environment(self):
        for value in ("0", "false", "Off", "no"):
            with self.subTest(value=value):
                self.assert_refused(
                    "websockets is not installed",
                    "automatic install is off",
                    versions=[None],
                    environ={"ODOO_HA_AUTO_INSTALL": value},
                )
                self.run.assert_not_called()
                self.blocker_of.assert_not_called()

    def test_switched_off_by_odoo_conf(self):
        self.assert_refused(
            "websockets 13.0 is installed",
            "[home_assistant] auto_install",
            versions=["13.0"],
            options={"auto_install": "False"},
        )
        self.run.assert_not_called()
        # The environment wins over odoo.conf.
        self.ensure(
            [None, None, "17.4"],
            environ={"ODOO_HA_AUTO_INSTALL": "1"},
            options={"auto_install": "False"},
        )
        self.run.assert_called_once()

    def test_a_misspelt_switch_is_refused(self):
        with self.assertRaisesRegex(
            hooks.WebsocketsUnavailable, "ODOO_HA_AUTO_INSTALL must be 0 or 1"
        ):
            self.ensure([None], environ={"ODOO_HA_AUTO_INSTALL": "nope"})
        self.run.assert_not_called()

    def test_cannot_install_says_why_and_what_to_run(self):
        self.assert_refused(
            "cannot be installed automatically: PEP 668 says no",
            versions=[None],
            blocker="PEP 668 says no",
        )
        self.run.assert_not_called()

    def test_a_pip_failure_carries_the_command(self):
        self.assert_refused(
            "installing it failed (exit code 1: ERROR: no network)",
            versions=[None],
            run=_pip(1, "ERROR: no network"),
        )
        self.run.assert_called_once()
        self.assert_refused(
            "installing it failed",
            "no such file",
            versions=[None],
            run=mock.Mock(side_effect=FileNotFoundError("no such file")),
        )
        self.assert_refused(
            "websockets is at 13.0 after the install", versions=["13.0"]
        )

    def test_pip_blockers(self):
        with tempfile.TemporaryDirectory() as stdlib:
            managed = {"prefix": "/usr", "base_prefix": "/usr", "stdlib": stdlib}
            self.assertIsNone(hooks.pip_blocker(python="/usr/bin/python3", **managed))
            with open(os.path.join(stdlib, "EXTERNALLY-MANAGED"), "w") as marker:
                marker.write("[externally-managed]\n")
            self.assertIn(
                "PEP 668", hooks.pip_blocker(python="/usr/bin/python3", **managed)
            )
            # A virtualenv on such a system is not managed.
            self.assertIsNone(
                hooks.pip_blocker(
                    python="/venv/bin/python", prefix="/venv", base_prefix="/usr"
                )
            )
        self.assertIn("unknown", hooks.pip_blocker(python=""))
        with mock.patch.object(hooks.importlib.util, "find_spec", return_value=None):
            self.assertIn("pip is not installed", hooks.pip_blocker(python="/x"))

    def test_parse_version(self):
        self.assertEqual(hooks.parse_version("14.2"), (14, 2))
        self.assertEqual(hooks.parse_version("15.0.1"), (15, 0, 1))
        self.assertEqual(hooks.parse_version("15.0rc1"), (15, 0))
        self.assertLess(hooks.parse_version("14.1"), hooks.WEBSOCKETS_MIN_VERSION)


class TestUninstallHook(TransactionCase):
    def _objects_outside_the_orm(self):
        """Tables, functions and triggers named ha_* that no model owns."""
        orm_tables = set()
        for model in self.env.registry.values():
            if model._auto and not model._abstract:
                orm_tables.add(model._table)
            for field in model._fields.values():
                if field.type == "many2many" and field.store:
                    orm_tables.add(field.relation)
        cr = self.env.cr
        prefix = r"ha\_%"
        cr.execute(
            """
            SELECT 'table ' || c.relname FROM pg_class c
             WHERE c.relnamespace = current_schema()::regnamespace
               AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND c.relname LIKE %s
               AND NOT c.relname = ANY(%s)
               AND NOT EXISTS (  -- a sequence of an ORM table's id
                   SELECT 1 FROM pg_depend d JOIN pg_class o ON o.oid = d.refobjid
                    WHERE d.objid = c.oid AND d.deptype = 'a'
                      AND o.relname = ANY(%s))
            UNION ALL
            SELECT 'function ' || p.proname FROM pg_proc p
             WHERE p.pronamespace = current_schema()::regnamespace
               AND p.proname LIKE %s
            UNION ALL
            SELECT 'trigger ' || t.tgname FROM pg_trigger t
              JOIN pg_class c ON c.oid = t.tgrelid
             WHERE NOT t.tgisinternal AND c.relname LIKE %s
            """,
            (prefix, list(orm_tables), list(orm_tables), prefix, prefix),
        )
        return {row[0] for row in cr.fetchall()}

    def test_uninstall_drops_what_the_orm_does_not_know(self):
        before = self._objects_outside_the_orm()
        self.assertIn("table ha_entity_history_minute", before)
        self.assertIn("function ha_entity_history_minute_add", before)
        self.assertIn("trigger ha_entity_history_minute_ins", before)
        hooks.uninstall_hook(self.env)
        self.assertEqual(self._objects_outside_the_orm(), set())

    def test_uninstall_removes_our_parameters(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("odoo_ha_addon.ha_api_url", "http://127.0.0.1:8123")
        params.set_param("odoo_ha_addonX.other", "kept")
        hooks.uninstall_hook(self.env)
        self.env.invalidate_all()
        self.assertFalse(params.get_param("odoo_ha_addon.ha_api_url"))
        self.assertEqual(params.get_param("odoo_ha_addonX.other"), "kept")
