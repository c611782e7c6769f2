import itertools
import time
from unittest.mock import patch

from odoo.osv.expression import normalize_domain

from odoo.addons.odoo_ha_addon.models import ha_rule_firing as firings
from odoo.addons.odoo_ha_addon.models.bridge import rules_runner
from odoo.addons.odoo_ha_addon.models.bridge.event_dispatcher import (
    DatabaseDispatcher,
)
from odoo.addons.odoo_ha_addon.models.bridge.odoo_contexts import odoo_contexts
from odoo.addons.odoo_ha_addon.models.bridge.rules_runner import (
    RULES_DELAY,
    Pacer,
    take_pending,
    take_prescreens,
)
from odoo.addons.odoo_ha_addon.models.ha_rule_values import (
    candidates,
    holds,
    literal,
    predicate,
    value_tests,
)

from .common import HACommon, ha_state, state_changed

FIRINGS = "odoo.addons.odoo_ha_addon.models.ha_rule_firing"


def freezer_event(value, seconds, context_id=None):
    event = state_changed("sensor.freezer", value, seconds)
    event["new_state"]["context"] = {"id": context_id or f"ha-{seconds}"}
    return event


class RulesCommon(HACommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Sync._ha_sync_states(
            cls.instance,
            [ha_state("sensor.freezer", -18), ha_state("sensor.fridge", -18)],
            notify=False,
        )
        cls.freezer = cls.Entity.search([("entity_id", "=", "sensor.freezer")])
        cls.fridge = cls.Entity.search([("entity_id", "=", "sensor.fridge")])

    @classmethod
    def _rule(cls, code, pre, post, name="Freezer warms up"):
        """An "on update" rule of ha.entity on entity_state running ``code``."""
        return cls.env["base.automation"].create(
            {
                "name": name,
                "model_id": cls.env.ref("odoo_ha_addon.model_ha_entity").id,
                "trigger": "on_create_or_write",
                "trigger_field_ids": [
                    (
                        6,
                        0,
                        [cls.env.ref("odoo_ha_addon.field_ha_entity__entity_state").id],
                    )
                ],
                "filter_pre_domain": pre,
                "filter_domain": post,
                "action_server_ids": [
                    (
                        0,
                        0,
                        {
                            "name": name,
                            "model_id": cls.env.ref("odoo_ha_addon.model_ha_entity").id,
                            "state": "code",
                            "code": code,
                        },
                    )
                ],
            }
        )


class CountingCommon(RulesCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Each run appends the state it saw: the note counts the firings.
        cls.rule = cls._rule(
            "record.write({'note': (record.note or '') + record.entity_state + ';'})",
            "[('entity_id', 'in', ['sensor.freezer', 'sensor.fridge']),"
            " ('state_value', '<=', -15)]",
            "[('state_value', '>', -15)]",
        )

    def fired(self, entity):
        entity.invalidate_recordset(["note"])
        return [s for s in (entity.note or "").split(";") if s]


class TestAutomationRules(CountingCommon):
    def live(self, *events):
        return self.Sync._ha_apply_state_events(self.instance, list(events))

    def test_live_fires_once_per_matching_change(self):
        self.live(freezer_event(-16, 10))  # before holds, after does not
        self.assertEqual(self.fired(self.freezer), [])
        self.live(freezer_event(-14, 20))  # crosses -15
        self.assertEqual(self.fired(self.freezer), ["-14"])
        self.live(freezer_event(-13, 30))  # already above: "before" fails
        self.live(freezer_event(-13, 30))  # the same change again
        self.assertEqual(self.fired(self.freezer), ["-14"])
        # One batch with two crossings: one firing each, in HA's order,
        # whatever the order of arrival.
        result = self.live(
            freezer_event(-12, 60),
            freezer_event(-19, 40),
            freezer_event(-11, 50),
        )
        self.assertEqual(self.fired(self.freezer), ["-14", "-11"])
        # The batch still writes the newest state, once on the bus.
        self.assertEqual([c["state"] for c in result["changes"]], ["-12"])
        self.assertEqual(self.freezer.entity_state, "-12")

    def test_live_never_for_other_entities_or_stale_events(self):
        self.live(state_changed("sensor.other", "-14", 10))
        self.live(freezer_event(-14, 20))
        self.assertEqual(self.fired(self.freezer), ["-14"])
        self.live(freezer_event(-18, 30), state_changed("sensor.fridge", "-17", 30))
        self.live(freezer_event(-10, 25))  # older than the stored state
        self.assertEqual(self.fired(self.freezer), ["-14"])
        self.assertEqual(self.fired(self.fridge), [])

    def test_in_step_the_old_values_come_from_ha(self):
        """In step, a batch takes the old values from HA's ``old_state``
        (the database holds the same): none is read."""

        def crossing(key, old, new, seconds=20):
            event = state_changed(key, str(new), seconds)
            event["old_state"] = ha_state(key, old, seconds - 10)
            return event

        log = type(self.env["ha.control.log"])
        with patch.object(log, "_ha_pending", autospec=True, return_value=[]) as read:
            # HA says the freezer was at -14: it crosses nothing (the
            # database's -18 is not asked).
            self.Sync._ha_apply_state_events(
                self.instance, [crossing("sensor.freezer", -14, -13)], in_step=True
            )
            # The fridge (-18 stored) crosses: it fires, once.
            self.Sync._ha_apply_state_events(
                self.instance,
                [crossing("sensor.fridge", -18, -14)],
                in_step=True,
            )
        self.assertEqual(read.call_count, 2)  # the pending controls alone
        self.assertEqual(self.fired(self.freezer), [])
        self.assertEqual(self.fired(self.fridge), ["-14"])
        # Not in step (a connection's first events), or no old_state: the
        # database is read (the stored -13: no crossing).
        self.Sync._ha_apply_state_events(
            self.instance, [crossing("sensor.freezer", -20, -11, 40)]
        )
        self.Sync._ha_apply_state_events(
            self.instance, [freezer_event(-10, 50)], in_step=True
        )
        self.assertEqual(self.fired(self.freezer), [])

    def test_a_value_the_change_does_not_know_is_the_databases(self):
        self.Sync._ha_place(self.freezer, {self.freezer.id: {"entity_state": "5"}})
        self.assertEqual(
            (self.freezer.entity_state, self.freezer.name), ("5", "Freezer")
        )
        self.freezer.invalidate_recordset(["entity_state"])
        self.assertEqual(self.freezer.entity_state, "-18")

    def test_full_sync_fires_once(self):
        states = [
            ha_state("sensor.freezer", -14, 20),
            ha_state("sensor.fridge", -17, 20),
        ]
        self.Sync._ha_sync_states(self.instance, states, notify=False)
        self.assertEqual(self.fired(self.freezer), ["-14"])
        self.assertEqual(self.fired(self.fridge), [])
        # The same snapshot again, then the live echo of it: nothing new.
        self.Sync._ha_sync_states(self.instance, states, notify=False)
        self.live(state_changed("sensor.freezer", "-14", 20))
        self.assertEqual(self.fired(self.freezer), ["-14"])

    def test_never_for_an_echo_of_odoo(self):
        # Live: the process that ran the call remembers its context.
        odoo_contexts.remember(
            {"type": "call_service"}, {"context": {"id": "odoo-call-1"}}
        )
        self.live(freezer_event(-14, 20, "odoo-call-1"))
        self.assertEqual(self.fired(self.freezer), [])
        # Full sync: a control Odoo logged (any process, any time) ...
        self.live(freezer_event(-18, 30))
        self.env["ha.control.log"].sudo().create(
            {
                "entity_id": self.freezer.id,
                "service": "climate.set_temperature",
                "requested_at": "2025-03-01 10:00:00",
                "context_id": "odoo-call-2",
            }
        )
        states = [ha_state("sensor.freezer", -14, 40)]
        states[0]["context"] = {"id": "odoo-call-2"}
        self.Sync._ha_sync_states(self.instance, states, notify=False)
        self.assertEqual(self.fired(self.freezer), [])
        # HA's own change is no echo.
        self.live(freezer_event(-18, 50), freezer_event(-13, 60))
        self.assertEqual(self.fired(self.freezer), ["-13"])

    def test_watched_set_follows_the_rules(self):
        self.Sync._ha_sync_states(
            self.instance, [ha_state("sensor.other", 1)], complete=False, notify=False
        )
        other = self.Entity.search([("entity_id", "=", "sensor.other")])

        def watched():
            return self.Sync._ha_watched(self.instance.id)

        self.assertEqual(
            watched(),
            {"sensor.freezer": self.freezer.id, "sensor.fridge": self.fridge.id},
        )
        self.rule.active = False
        self.assertEqual(watched(), {})
        self.rule.write({"active": True, "filter_domain": "[('state_value', '>', 0)]"})
        # A "before" domain negating a condition: every entity may match.
        self.rule.filter_pre_domain = "['!', ('entity_state', '=', 'x')]"
        self.assertEqual(watched()["sensor.other"], other.id)
        self.rule.unlink()
        self.assertEqual(self.Sync._ha_rule_domains(), ())
        self.assertEqual(watched(), {})

    def test_an_entity_deleted_since_the_watched_set_was_read(self):
        self.assertIn("sensor.fridge", self.Sync._ha_watched(self.instance.id))
        self.fridge.unlink()  # the watched set still holds it
        self.live(freezer_event(-14, 20), state_changed("sensor.fridge", "-14", 20))
        self.assertEqual(self.fired(self.freezer), ["-14"])

    def test_failing_rule_keeps_the_batch(self):
        self.rule.action_server_ids.code = "raise ValueError('broken rule')"
        with self.assertLogs("odoo.addons.odoo_ha_addon.models.ha_sync_rules", "ERROR"):
            result = self.live(freezer_event(-14, 20))
        self.assertEqual(len(result["changes"]), 1)
        self.assertEqual(self.freezer.entity_state, "-14")


class TestDeferredRules(CountingCommon):
    """The dispatcher's way: the mirror's transaction only records the
    changes; the rules run after its commit, in a pass of their own."""

    def setUp(self):
        super().setUp()
        self.deferred = self.Sync.with_context(ha_rules_deferred=True)

    def test_the_mirror_records_and_the_pass_fires(self):
        self.deferred._ha_apply_state_events(
            self.instance, [freezer_event(-12, 60), freezer_event(-11, 50)]
        )
        self.deferred._ha_apply_state_events(
            self.instance, [freezer_event(-19, 70), freezer_event(-10, 80)]
        )
        self.assertEqual(self.fired(self.freezer), [])
        changes = take_pending(self.env.cr)
        self.assertEqual(
            [new["entity_state"] for _id, _old, new in changes],
            ["-11", "-12", "-19", "-10"],
        )
        # By their own values, "-12" and "-19" cross nothing: the candidates
        # are "-11" and "-10", each filtered, then acted on, on its own
        # values (the action sees "-11", not the "-10" the database holds).
        found = self.Sync._ha_candidates(changes)
        self.assertEqual(
            [(rule, pk, new["entity_state"]) for rule, pk, _old, new in found],
            [(self.rule.id, self.freezer.id, state) for state in ("-11", "-10")],
        )
        filters = {}
        self.Sync._ha_fire_candidate(*found[0], filters)
        self.assertEqual(self.fired(self.freezer), ["-11"])
        self.Sync._ha_fire_candidate(*found[1], filters)
        self.assertEqual(self.fired(self.freezer), ["-11", "-10"])
        self.assertEqual(self.freezer.entity_state, "-10")

    def test_a_candidate_its_record_rules_out_does_not_fire(self):
        self.deferred._ha_apply_state_events(self.instance, [freezer_event(-14, 60)])
        (change,) = take_pending(self.env.cr)
        cellar = self.freezer.copy(
            {"entity_id": "sensor.cellar", "entity_state": "-18", "state_value": -18}
        )
        # The same values on another entity: a candidate (the rule's
        # condition on entity_id needs the record), not fired.
        found = self.Sync._ha_candidates([change, (cellar.id, *change[1:])])
        self.assertEqual([c[1] for c in found], [self.freezer.id, cellar.id])
        self.env["ha.rule.firing"]._ha_queue(found)
        self.env["ha.rule.firing"]._cron_fire(auto_commit=False)
        self.assertEqual(self.fired(self.freezer), ["-14"])
        self.assertEqual(self.fired(cellar), [])

    def test_a_change_its_own_values_rule_out_reads_no_record(self):
        self.deferred._ha_apply_state_events(
            self.instance, [freezer_event(-16, 60), freezer_event(-19, 70)]
        )
        changes = take_pending(self.env.cr)
        with patch.object(type(self.Sync), "_ha_echoes", autospec=True) as echoes:
            self.assertEqual(self.Sync._ha_candidates(changes), [])
        echoes.assert_not_called()

    def test_literal_filters_screen_without_a_transaction(self):
        self.deferred._ha_apply_state_events(
            self.instance, [freezer_event(-16, 60), freezer_event(-14, 70)]
        )
        changes = take_pending(self.env.cr)
        prescreens = take_prescreens(self.env.cr)
        self.assertEqual([rule_id for rule_id, *_f in prescreens], [self.rule.id])
        runner = DatabaseDispatcher(self.env.cr.dbname)._rules
        with patch.object(
            runner, "_transaction", side_effect=lambda w: w(self.env)
        ) as transaction:
            runner.run_rules(changes[:1], prescreens)  # "-16" crosses nothing
            transaction.assert_not_called()
            runner.run_rules(changes, prescreens)
            transaction.assert_called_once()
        queued = self.env["ha.rule.firing"].search([])
        self.assertEqual(queued.new_values["entity_state"], "-14")

    def test_filters_that_name_something_are_evaluated_each_pass(self):
        self.assertEqual(len(self.Sync._ha_rule_prescreens()), 1)
        self.rule.filter_domain = "[('state_value', '>', -15), ('id', '!=', uid)]"
        self.assertIsNone(self.Sync._ha_rule_prescreens())
        cases = [
            ("[('state_value', '>', -15)]", True),
            ("[('group_ids', 'in', [3, 4]), ('active', '=', True)]", True),
            ("", True),
            (False, True),
            ("[('create_uid', '=', uid)]", False),
            ("[('last_changed', '<', time.strftime('%Y-%m-%d'))]", False),
            ("[(", False),
        ]
        for text, held in cases:
            with self.subTest(text=text):
                self.assertEqual(literal(text), held)

    def test_which_conditions_a_changes_values_decide(self):
        vals = {"state_value": -14.0, "entity_state": "-14"}
        cases = [
            ([("state_value", ">", -15)], True),
            ([("state_value", "<=", -15)], False),
            ([("state_value", "in", [-14, 3])], True),
            ([("state_value", "not in", [-14])], False),
            ([("entity_state", "=", "on")], False),
            ([("entity_state", "!=", "on")], True),
            (["!", ("state_value", ">", -15)], False),
            (["|", ("state_value", "<", -20), ("entity_state", "=", "on")], False),
            # Undecided: other fields, an empty text, text against numbers.
            ([("group_ids", "in", [1]), ("state_value", ">", -15)], True),
            ([("group_ids", "in", [1]), ("state_value", "<", -15)], False),
            ([("entity_state", "=", False)], True),
            ([("state_value", ">", "5")], True),
            ([("state_value", ">", [5])], True),
            ([("name", "ilike", "freezer")], True),
            ([], True),
        ]
        for domain, held in cases:
            with self.subTest(domain=domain):
                test = predicate(normalize_domain(domain))
                self.assertEqual(holds(test, vals), held)
        self.assertFalse(
            holds(predicate([("state_value", ">", 0)]), {"state_value": None})
        )
        # Looked at once: a domain the values cannot decide is an answer.
        self.assertIsNone(predicate([("group_ids", "in", [1])]))
        self.assertIs(predicate(["!", ("state_value", ">", "5")]), None)

    def test_the_runner_ends_its_transaction_after_each_firing(self):
        self.deferred._ha_apply_state_events(
            self.instance,
            [freezer_event(-14, 60), state_changed("sensor.fridge", "-14", 60)],
        )
        changes = take_pending(self.env.cr)
        first, second = sorted([self.freezer, self.fridge], key=lambda e: e.id)
        runner = DatabaseDispatcher(self.env.cr.dbname)._rules
        queue = self.env["ha.rule.firing"]
        with patch.object(runner, "_transaction", side_effect=lambda w: w(self.env)):
            runner.run_rules(changes)
        # Screened: both match, queued for the cron, which is woken.
        self.assertEqual((self.fired(first), self.fired(second)), ([], []))
        self.assertEqual(queue.search([]).entity_id, first | second)
        cron = self.env.ref("odoo_ha_addon.ir_cron_ha_rule_firings")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        seen, paced = [], []

        def next_transaction(pause=None):
            seen.append((self.fired(first), self.fired(second)))
            paced.append(bool(pause))

        with (
            patch.object(
                type(queue), "_ha_next_transaction", side_effect=next_transaction
            ),
            # Each firing a transaction of its own: however slow the machine,
            # within one run.
            patch(f"{FIRINGS}.FIRE_BUDGET", 60.0),
        ):
            queue._cron_fire()
        # In their order; a transaction ends after each (their action wrote
        # the entity, a row the mirror writes too), and at the end.
        self.assertEqual(
            seen, [([], []), (["-14"], []), (["-14"], ["-14"]), (["-14"], ["-14"])]
        )
        self.assertFalse(queue.search([]))
        # A threaded server's cron (this one) is paced between two firings'
        # transactions, never inside one; the last commit is not.
        self.assertEqual(paced, [False, True, True, False])

    def test_a_stopping_runner_runs_what_is_owed_at_once(self):
        runner = DatabaseDispatcher(self.env.cr.dbname)._rules
        passes = [
            # Running: the freezer crosses twice, pauses between changes.
            (
                False,
                [
                    freezer_event(-14, 50),
                    freezer_event(-16, 55),
                    freezer_event(-13, 60),
                ],
                True,
            ),
            # Stopping: its stop waits, no pause.
            (
                True,
                [
                    freezer_event(-16, 70),
                    freezer_event(-10, 80),
                    freezer_event(-17, 85),
                    freezer_event(-9, 90),
                ],
                False,
            ),
        ]
        for quitting, events, paused in passes:
            fridge = state_changed("sensor.fridge", "-14", 60)
            self.deferred._ha_apply_state_events(self.instance, [*events, fridge])
            runner._quit = quitting
            with (
                patch.object(runner, "_transaction", side_effect=lambda w: w(self.env)),
                patch.object(rules_runner, "CHUNK", 1),
                patch("time.sleep") as sleep,
            ):
                runner.run_rules(
                    take_pending(self.env.cr), take_prescreens(self.env.cr)
                )
            self.assertEqual(sleep.called, paused)
            self.env["ha.rule.firing"]._cron_fire(auto_commit=False)
        self.assertEqual(self.fired(self.freezer), ["-14", "-13", "-10", "-9"])
        self.assertEqual(self.fired(self.fridge), ["-14"])

    def test_the_dispatcher_is_in_step_from_its_full_sync_on(self):
        dispatcher = DatabaseDispatcher(self.env.cr.dbname)
        state = dispatcher._state(self.instance.id)
        self.assertFalse(state.in_step)  # a connection's first events
        with patch.object(dispatcher, "_apply", return_value=True):
            dispatcher._full_sync(self.instance.id, {})
        self.assertTrue(state.in_step)
        sync = type(self.Sync)
        run = patch.object(
            dispatcher, "_apply", side_effect=lambda _label, work, **kw: work(self.env)
        )
        with run, patch.object(sync, "_ha_apply_state_events", autospec=True) as apply:
            dispatcher._apply_events({self.instance.id: [{"data": {}}]})
        self.assertTrue(apply.call_args.kwargs["in_step"])
        # A batch lost, or a new connection: no more.
        with patch.object(dispatcher, "_apply", return_value=None):
            dispatcher._apply_events({self.instance.id: [{"data": {}}]})
        self.assertFalse(state.in_step)
        state.in_step = True
        with patch.object(dispatcher, "_apply", return_value=None):
            dispatcher._status(self.instance.id, ("connecting", ""))
        self.assertFalse(state.in_step)

    def test_the_full_sync_records_too(self):
        states = [
            ha_state("sensor.freezer", -14, 20),
            ha_state("sensor.fridge", -17, 20),
        ]
        self.deferred._ha_sync_states(self.instance, states, notify=False)
        self.assertEqual(self.fired(self.freezer), [])
        changes = take_pending(self.env.cr)
        self.assertEqual(
            sorted(
                (pk, old["entity_state"], new["entity_state"])
                for pk, old, new in changes
            ),
            sorted([(self.freezer.id, "-18", "-14"), (self.fridge.id, "-18", "-17")]),
        )
        self.Sync._ha_run_rules(changes)
        self.assertEqual(self.fired(self.freezer), ["-14"])
        self.assertEqual(self.fired(self.fridge), [])

    def test_the_dispatcher_runs_the_rules_after_the_mirror(self):
        dispatcher = DatabaseDispatcher(self.env.cr.dbname)
        runner = dispatcher._rules
        env = self.env(context=dict(self.env.context, ha_rules_deferred=True))

        def apply(label, work, **kw):
            result = work(env)
            # What its transaction does once committed.
            runner.add(take_pending(env.cr), take_prescreens(env.cr))
            return result

        with (
            patch.object(dispatcher, "_apply", side_effect=apply),
            patch.object(runner, "start") as start,
            patch.object(runner, "_transaction", side_effect=lambda work: work(env)),
        ):
            events = [{"data": freezer_event(-14, 20)}]
            dispatcher._apply_events({self.instance.id: events})
            dispatcher._apply_events({self.instance.id: [{"data": {}}]})
            self.assertEqual(self.fired(self.freezer), [])
            start.assert_called_once()  # the thread, with the first change
            self.assertEqual(runner.take(), [])  # not due yet
            runner._due -= RULES_DELAY
            runner.run_owed()
        self.assertEqual(self.fired(self.freezer), [])  # queued for the cron
        self.env["ha.rule.firing"]._cron_fire(auto_commit=False)
        self.assertEqual(self.fired(self.freezer), ["-14"])
        self.assertFalse(runner)

    def test_and_or_not_in_three_valued_logic(self):
        # A leaf on the text state: True, False or None for these values.
        leaf = {
            True: ("entity_state", "=", "on"),
            False: ("entity_state", "=", "off"),
            None: ("group_ids", "in", [1]),
        }
        vals = {"entity_state": "on"}
        answers = (True, False, None)
        for left, right in itertools.product(answers, answers):
            with self.subTest(left=left, right=right):
                both = None if None in (left, right) else left and right
                if False in (left, right):
                    both = False
                either = None if None in (left, right) else left or right
                if True in (left, right):
                    either = True
                for op, expected in (("&", both), ("|", either)):
                    test = predicate([op, leaf[left], leaf[right]])
                    held = test(vals) if callable(test) else test
                    self.assertIs(held, expected)
                test = predicate(["!", leaf[left]])
                held = test(vals) if callable(test) else test
                self.assertIs(held, None if left is None else not left)

    def test_candidates_go_by_change_then_by_rule(self):
        rises = [("state_value", ">", 0)]
        filters = [value_tests(1, None, rises), value_tests(2, None, None)]
        up, down = {"state_value": 1.0}, {"state_value": -1.0}
        changes = [(7, {}, up), (8, {}, down)]
        self.assertEqual(
            candidates(filters, changes),
            [(1, 7, {}, up), (2, 7, {}, up), (2, 8, {}, down)],
        )

    def test_the_pacer_sleeps_for_the_rest_of_its_share(self):
        with (
            patch("time.thread_time", side_effect=[10.0, 10.02, 10.02, 10.05, 10.05]),
            patch("time.sleep") as sleep,
        ):
            pacer = Pacer(0.2)  # at most a fifth: four times the work asleep
            pacer()
            pacer()
        self.assertEqual(
            [round(c.args[0], 6) for c in sleep.call_args_list], [0.08, 0.12]
        )

    def test_a_failing_pass_is_logged_and_the_runner_lives_on(self):
        runner = DatabaseDispatcher(self.env.cr.dbname)._rules
        changes = [(self.freezer.id, {}, {})]
        with (
            patch.object(runner, "_transaction", side_effect=RuntimeError("gone")),
            self.assertLogs(
                "odoo.addons.odoo_ha_addon.models.bridge.rules_runner", "ERROR"
            ) as logs,
        ):
            runner.run_rules(changes)
        self.assertIn("1 changes dropped", logs.output[0])


class TestRuleFirings(CountingCommon):
    """What the runner queues, the cron runs: in order, on the queued values."""

    def setUp(self):
        super().setUp()
        self.queue = self.env["ha.rule.firing"]
        self.cron = self.env.ref("odoo_ha_addon.ir_cron_ha_rule_firings")

    def queue_crossing(self, entity, value, seconds):
        self.Sync.with_context(ha_rules_deferred=True)._ha_apply_state_events(
            self.instance, [state_changed(entity.entity_id, str(value), seconds)]
        )
        found = self.Sync._ha_candidates(take_pending(self.env.cr))
        self.queue._ha_queue(found)
        return self.queue.search([], order="id desc", limit=len(found))

    def test_the_action_sees_the_queued_values(self):
        stored = self.freezer.last_updated.isoformat()
        queued = self.queue_crossing(self.freezer, -14, 20)
        self.assertEqual(queued.new_values["entity_state"], "-14")
        self.assertEqual(queued.old_values["last_updated"], stored)
        self.Sync._ha_apply_state_events(self.instance, [freezer_event(-10, 30)])
        self.queue._cron_fire(auto_commit=False)
        self.assertEqual(self.fired(self.freezer), ["-14"])
        self.assertEqual(self.freezer.entity_state, "-10")
        self.assertFalse(self.queue.search([]))

    def test_firings_are_taken_a_few_at_a_time_in_their_order(self):
        self.queue_crossing(self.freezer, -14, 20)
        self.queue_crossing(self.fridge, -14, 20)
        self.queue_crossing(self.freezer, -16, 30)  # crosses nothing
        self.queue_crossing(self.freezer, -13, 40)
        take, sizes = type(self.queue)._ha_take, []
        fire, fired = type(self.Sync)._ha_fire, []

        def counted(queue):
            taken = take(queue)
            sizes.append(len(taken))
            return taken

        def recorded(sync, rule_id, entity, old, new, domain_post):
            fired.append((entity.entity_id, new["entity_state"]))
            return fire(sync, rule_id, entity, old, new, domain_post)

        with (
            patch(f"{FIRINGS}.TAKE", 2),
            patch.object(type(self.queue), "_ha_take", counted),
            patch.object(type(self.Sync), "_ha_fire", recorded),
        ):
            self.queue._cron_fire(auto_commit=False)
        self.assertEqual(sizes, [2, 1, 0])
        self.assertEqual(
            fired,
            [
                ("sensor.freezer", "-14"),
                ("sensor.fridge", "-14"),
                ("sensor.freezer", "-13"),
            ],
        )
        self.assertEqual(self.fired(self.freezer), ["-14", "-13"])
        self.assertEqual(self.fired(self.fridge), ["-14"])
        self.assertFalse(self.queue.search([]))

    def test_an_action_may_delete_the_entity_of_a_later_firing(self):
        self.queue_crossing(self.freezer, -14, 20)
        self.queue_crossing(self.fridge, -14, 20)
        automations = type(self.env["base.automation"])
        process = automations._process

        def deleting(rule, records, domain_post=None):
            self.fridge.unlink()  # taken with the freezer's, not run yet
            return process(rule, records, domain_post=domain_post)

        with (
            patch.object(automations, "_process", deleting),
            self.assertNoLogs(
                "odoo.addons.odoo_ha_addon.models.ha_sync_rules", "ERROR"
            ),
        ):
            self.queue._cron_fire(auto_commit=False)
        self.assertEqual(self.fired(self.freezer), ["-14"])
        self.assertFalse(self.queue.search([]))

    def test_queued_values_keep_the_microseconds_of_ha(self):
        self.queue_crossing(self.freezer, -14, 20.25)
        firing = self.queue.search([])
        self.assertEqual(
            firings.load(firing.new_values)["last_updated"].microsecond, 250000
        )

    def test_a_failing_filter_is_logged_and_its_rule_does_not_fire(self):
        # Text against a number: its own values do not say (a candidate),
        # the record's filter fails on it.
        self.rule.filter_pre_domain = "[('state_value', '<=', 'cold')]"
        self.queue_crossing(self.freezer, -14, 20)
        self.assertEqual(len(self.queue.search([])), 1)
        with self.assertLogs("odoo.addons.odoo_ha_addon.models.ha_sync_rules", "ERROR"):
            self.queue._cron_fire(auto_commit=False)
        self.assertEqual(self.fired(self.freezer), [])
        self.assertFalse(self.queue.search([]))

    def test_a_failing_action_is_logged_and_the_next_one_runs(self):
        self.queue_crossing(self.freezer, -14, 20)
        self.queue_crossing(self.fridge, -14, 20)
        process = type(self.env["base.automation"])._process
        calls = []

        def flaky(rule, records, domain_post=None):
            calls.extend(records.ids)  # (the action's own write: none)
            if len(calls) == 1:
                raise ValueError("the maintenance team is gone")
            return process(rule, records, domain_post=domain_post)

        with (
            patch.object(type(self.env["base.automation"]), "_process", flaky),
            self.assertLogs("odoo.addons.odoo_ha_addon.models.ha_sync_rules", "ERROR"),
        ):
            self.queue._cron_fire(auto_commit=False)
        self.assertEqual(calls, [self.freezer.id, self.fridge.id])
        self.assertEqual(self.fired(self.freezer), [])
        self.assertEqual(self.fired(self.fridge), ["-14"])
        self.assertFalse(self.queue.search([]))

    def test_a_rule_or_entity_gone_takes_its_firings_along(self):
        self.queue_crossing(self.freezer, -14, 20)
        self.queue_crossing(self.fridge, -14, 20)
        self.fridge.unlink()
        self.assertEqual(self.queue.search([]).entity_id, self.freezer)
        self.rule.active = False  # still there: the firing goes, unrun
        self.queue._cron_fire(auto_commit=False)
        self.assertEqual(self.fired(self.freezer), [])
        self.rule.active = True
        self.queue_crossing(self.freezer, -16, 30)
        self.queue_crossing(self.freezer, -13, 40)
        self.rule.unlink()
        self.assertFalse(self.queue.search([]))

    def test_a_transaction_ends_once_it_wrote_a_row_the_mirror_writes(self):
        started = time.monotonic() - firings.BATCH_SECONDS
        self.assertTrue(self.queue._ha_commit_due(started))
        # The test's own transaction wrote entities before: counted from here.
        before = self.queue._ha_mirror_writes()
        self.env["mail.message"].create(
            {"model": "ha.entity", "res_id": self.freezer.id, "body": "a note"}
        )
        self.assertEqual(self.queue._ha_mirror_writes(), before)  # a message only
        self.freezer.note = "seen"
        self.assertEqual(self.queue._ha_mirror_writes(), before + 1)

    def test_a_run_out_of_time_wakes_the_next(self):
        self.queue_crossing(self.freezer, -14, 20)
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)])
        triggers.unlink()
        with patch(f"{FIRINGS}.FIRE_BUDGET", 0.0):
            self.queue._cron_fire(auto_commit=False)
        self.assertTrue(self.queue.search([]))
        self.assertTrue(
            self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)])
        )


class TestRuleActsBack(RulesCommon):
    def test_rule_calls_a_service_as_its_user(self):
        manager = self._create_ha_user("rules_manager", manager=True)
        manager.groups_id |= self.env.ref("base.group_system")
        self.Sync._ha_sync_states(
            self.instance, [ha_state("switch.compressor", "on")], complete=False
        )
        rule = self._rule(
            "env['ha.entity'].search([('entity_id', '=', 'switch.compressor')])"
            ".ha_call_service('turn_off')",
            "[('entity_id', '=', 'sensor.freezer'), ('state_value', '<=', -15)]",
            "[('state_value', '>', -15)]",
        )
        rule.with_user(manager).name = "Freezer: stop the compressor"
        calls = []

        def execute(queue, instance, payload, timeout=10.0):
            calls.append((queue.env.uid, payload))
            return {"context": {"id": "ctx-compressor"}}

        queue_class = type(self.env["ha.ws.request.queue"])
        with patch.object(queue_class, "_execute", execute):
            self.Sync._ha_apply_state_events(self.instance, [freezer_event(-14, 20)])
        self.assertEqual(len(calls), 1)
        self.assertEqual(calls[0][1]["service"], "turn_off")
        self.assertEqual(calls[0][1]["target"], {"entity_id": ["switch.compressor"]})
        log = self.env["ha.control.log"].search([("context_id", "=", "ctx-compressor")])
        self.assertEqual(log.origin, "rule")
        self.assertEqual(log.automation_id, rule)
        self.assertEqual(log.user_id, manager)
        self.assertEqual(log.service, "switch.turn_off")
