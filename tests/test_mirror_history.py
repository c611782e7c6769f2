from datetime import datetime, timedelta

from odoo.tools import SQL

from odoo.addons.odoo_ha_addon.models.ha_entity_history import (
    CHART_RAW_SQL,
    CHART_ROLLUP_SQL,
)

from .common import HACommon, naive, state_changed

T0_EPOCH = 1740823200.0  # 2025-03-01T10:00:00Z, the T0 of common.py


class TestMirrorHistory(HACommon):
    def setUp(self):
        super().setUp()
        self.Sync._ha_sync_states(self.instance, self._states(3))
        self.Sync._ha_apply_state_events(
            self.instance, [state_changed("binary_sensor.door", "off", 0)]
        )
        self.sensor = self.Entity.search([("entity_id", "=", "sensor.s0")])
        self.door = self.Entity.search([("entity_id", "=", "binary_sensor.door")])

    def test_backfill_compressed_with_dedup(self):
        payload = {
            "sensor.s0": [
                {"s": "1.5", "a": {"unit_of_measurement": "°C"}, "lu": T0_EPOCH + 1},
                {"s": "2.5", "lu": T0_EPOCH + 2, "lc": T0_EPOCH + 1.5},
                {"s": "unavailable", "lu": T0_EPOCH + 3},
            ],
            "sensor.unknown_here": [{"s": "1", "lu": T0_EPOCH}],
        }
        self.assertEqual(self.Sync._ha_store_history(self.instance, payload), 3)
        self.assertEqual(self.Sync._ha_store_history(self.instance, payload), 0)
        rows = self.History.search(
            [("entity_id", "=", self.sensor.id)], order="last_updated"
        )
        self.assertEqual(rows.mapped("entity_state"), ["1.5", "2.5", "unavailable"])
        self.assertEqual(rows[1].last_changed, naive(1.5))
        self.assertEqual(rows[1].last_updated, naive(2))
        self.assertEqual(rows[0].attributes, {"unit_of_measurement": "°C"})
        self.assertEqual(rows[2].num_state, 0.0)  # Float reads NULL as 0.0 ...
        self.env.cr.execute(
            "SELECT num_state FROM ha_entity_history WHERE id = %s", [rows[2].id]
        )
        self.assertIsNone(self.env.cr.fetchone()[0])  # ... but it is NULL in SQL

    def test_backfill_start_state_not_repeated(self):
        # HA stamps the state current at start_time with start_time: each
        # re-query brings one such point, kept only when it says something new.
        unit, other = {"unit_of_measurement": "°C"}, {"unit_of_measurement": "K"}

        def point(state, at, attributes=None):
            return {"s": state, "a": attributes or unit, "lu": T0_EPOCH + at}

        def store(start, *points):
            return self.Sync._ha_store_history(
                self.instance, {"sensor.s0": list(points)}, window_start=naive(start)
            )

        real = point("2.5", 10)
        self.assertEqual(store(0, point("1.5", 0), real), 2)
        # Later windows: the carried 1.5 and 2.5 repeat the rows before them.
        self.assertEqual(store(5, point("1.5", 5), real), 0)
        self.assertEqual(store(20, point("2.5", 20)), 0)
        # New information is kept: another attribute value, a state the mirror
        # missed, and an older window with nothing stored before it.
        self.assertEqual(store(30, point("2.5", 30, other)), 1)
        self.assertEqual(store(40, point("9", 40, other)), 1)
        self.assertEqual(store(-100, point("0.5", -100)), 1)
        rows = self.History.search(
            [("entity_id", "=", self.sensor.id)], order="last_updated"
        )
        self.assertEqual(rows.mapped("entity_state"), ["0.5", "1.5", "2.5", "2.5", "9"])
        # Without a window every point is a change of its own.
        payload = {"sensor.s0": [point("9", 50, other)]}
        self.assertEqual(self.Sync._ha_store_history(self.instance, payload), 1)

    def test_a_connection_opens_the_history_gap_from_the_mirror_s_newest(self):
        self.assertIsNone(self.instance._ha_open_history_gap(), "nothing recorded")
        self.assertFalse(self.instance.history_gap_start)
        (self.sensor | self.door).with_context(ha_no_backfill=True).write(
            {"enable_record": True}
        )
        params = self.env["ir.config_parameter"]
        params.set_param("odoo_ha_addon.history_backfill_days", "100000")
        self.Sync._ha_apply_state_events(
            self.instance, [state_changed("sensor.s1", "7", 42)]
        )
        # From the newest change the mirror holds, whichever entity it was.
        gap = (naive(42), ["binary_sensor.door", "sensor.s0"])
        self.assertEqual(self.instance._ha_open_history_gap(), gap)
        self.assertEqual(self.instance.history_gap_start, naive(42))
        # A connection that ended before its catch-up leaves the gap open: the
        # next one starts from the same point, whatever it mirrored meanwhile.
        self.Sync._ha_apply_state_events(
            self.instance, [state_changed("sensor.s0", "8", 50)]
        )
        self.assertEqual(self.instance._ha_open_history_gap(), gap)
        # Never further back than the history backfill goes.
        params.set_param("odoo_ha_addon.history_backfill_days", "2")
        start, _ids = self.instance._ha_open_history_gap()
        self.assertAlmostEqual(
            start, datetime.utcnow() - timedelta(days=2), delta=timedelta(minutes=1)
        )
        params.set_param("odoo_ha_addon.history_backfill_days", "0")
        self.assertIsNone(self.instance._ha_open_history_gap())

    def test_a_catch_up_stores_the_missed_changes_and_closes_the_gap(self):
        self.sensor.with_context(ha_no_backfill=True).enable_record = True
        self.instance.history_gap_start = naive(0)
        missed = {"sensor.s0": [{"s": "5", "lu": T0_EPOCH + 20}]}
        # A later gap (another connection's) stays open ...
        self.instance.history_gap_start = naive(30)
        self.instance._ha_close_history_gap(missed, naive(0))
        self.assertEqual(self.instance.history_gap_start, naive(30))
        # ... its own is closed, the rows stored once.
        self.instance._ha_close_history_gap(missed, naive(30))
        self.assertFalse(self.instance.history_gap_start)
        states = self.History.search(
            [("entity_id", "=", self.sensor.id)], order="last_updated"
        ).mapped("entity_state")
        self.assertEqual(states.count("5"), 1)

    def test_retention_cron(self):
        now = datetime.utcnow()
        epoch = datetime(1970, 1, 1)
        payload = {
            "sensor.s0": [
                {"s": "1", "lu": (now - timedelta(days=40) - epoch).total_seconds()},
                {"s": "2", "lu": (now - timedelta(days=10) - epoch).total_seconds()},
            ]
        }
        self.Sync._ha_store_history(self.instance, payload)
        self.assertEqual(self.History._cron_purge_history(), 1)
        self.env["ir.config_parameter"].set_param(
            "odoo_ha_addon.history_retention_days", "5"
        )
        self.assertEqual(self.History._cron_purge_history(), 1)
        self.assertFalse(self.History.search([("entity_id", "=", self.sensor.id)]))
        cron = self.env.ref("odoo_ha_addon.ir_cron_ha_history_retention")
        self.assertEqual(cron.interval_type, "days")

    def test_chart_numeric_buckets_and_state_changes(self):
        numeric = {
            "sensor.s0": [
                {"s": str(i % 10), "lu": T0_EPOCH + i * 10} for i in range(3600)
            ]
        }
        states = {
            "binary_sensor.door": [
                {"s": "on" if (i // 3) % 2 else "off", "lu": T0_EPOCH + i * 7}
                for i in range(1200)
            ]
        }
        self.Sync._ha_store_history(self.instance, numeric)
        self.Sync._ha_store_history(self.instance, states)
        data = self.History.get_chart_data(
            [self.sensor.id, self.door.id], naive(0), naive(36000), max_points=120
        )
        series = {s["entity_id"]: s for s in data["series"]}
        sensor = series["sensor.s0"]
        self.assertEqual(sensor["kind"], "numeric")
        self.assertLessEqual(len(sensor["points"]), 120)
        self.assertGreaterEqual(len(sensor["points"]), 115)
        point = sensor["points"][0]
        self.assertEqual(set(point), {"t", "avg", "min", "max", "count", "state"})
        self.assertEqual((point["min"], point["max"]), (0.0, 9.0))
        self.assertAlmostEqual(point["avg"], 4.5)
        door = series["binary_sensor.door"]
        self.assertEqual(door["kind"], "state")
        self.assertLessEqual(len(door["points"]), 122)
        self.assertTrue({"t", "state", "value"} <= set(door["points"][0]))
        # A domain works as well, and an empty window returns empty series.
        by_domain = self.History.get_chart_data(
            [("domain", "=", "sensor"), ("entity_id", "=", "sensor.s0")],
            naive(0),
            naive(36000),
        )
        self.assertEqual([s["entity_id"] for s in by_domain["series"]], ["sensor.s0"])
        empty = self.History.get_chart_data([self.sensor.id], naive(-100), naive(-50))
        self.assertEqual(empty["series"][0]["points"], [])

    def test_chart_rollup_matches_raw_rows(self):
        # Minute-aligned buckets: the per-minute rollup must give exactly what
        # the raw rows give, after inserts, duplicates and deletes.
        numeric = {
            "sensor.s0": [
                {"s": str((i * 7) % 13), "lu": T0_EPOCH + i * 9} for i in range(4000)
            ]
        }
        self.Sync._ha_store_history(self.instance, numeric)
        self.Sync._ha_store_history(self.instance, numeric)  # duplicates: no-op
        self.History.search(
            [("entity_id", "=", self.sensor.id), ("num_state", "=", 5.0)]
        ).unlink()
        self.env.flush_all()
        start, end = naive(0), naive(36000)
        ids, bucket = [self.sensor.id], 300.0
        params = {
            "start": start,
            "end": end,
            "bucket": bucket,
            "ids": ids,
            "last_slot": 119,
        }
        results = {}
        for name, query in (("rollup", CHART_ROLLUP_SQL), ("raw", CHART_RAW_SQL)):
            self.env.cr.execute(SQL(query, **params))
            results[name] = [
                (slot, round(avg, 9), low, high, count, last)
                for _e, slot, avg, low, high, count, last in self.env.cr.fetchall()
            ]
        rollup, rows = results["rollup"], results["raw"]
        self.assertEqual(rollup, rows)
        self.assertTrue(rows)
