"""Fuzzing every JSON route with generated parameters (hypothesis).

Wrong types, huge and negative ints, non-finite floats, unicode, nested
structures, missing and unknown keys: never an HTTP 500 or a JSON-RPC error,
always ``{success, ...}`` with an ``error_type`` on failure, and a rejected
call changes nothing (no HA service call, no preference or record change).
"""

import logging

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.tests import tagged

from .common_http import HaHttpCommon
from .test_http_api import ROUTES

ROUTE_KEYS = {
    "get_instances": (),
    "switch_instance": ("instance_id",),
    "websocket_status": ("ha_instance_id",),
    "websocket_restart": ("ha_instance_id", "force"),
    "hardware_info": ("ha_instance_id",),
    "network_info": ("ha_instance_id",),
    "ha_urls": ("ha_instance_id",),
    "areas": ("ha_instance_id",),
    "entities_by_area": ("area_id", "ha_instance_id"),
    "area_dashboard_data": ("area_id", "ha_instance_id"),
    "ha_data": ("domain", "area_id", "entity_ids", "ha_instance_id"),
    "glances_devices": ("ha_instance_id",),
    "glances_device_entities": ("device_id", "ha_instance_id"),
    "entity_related": ("entity_id", "ha_instance_id"),
    "history": (
        "entity_ids",
        "start_time",
        "end_time",
        "max_points",
        "ha_instance_id",
    ),
    "statistics": (
        "statistic_ids",
        "start_time",
        "end_time",
        "period",
        "types",
        "ha_instance_id",
    ),
    "call_service": ("domain", "service", "service_data", "ha_instance_id"),
}
FUZZ_EXAMPLES = 700
_logger = logging.getLogger(__name__)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, 2, 2**31, 2**63, -1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(
        [
            "light",
            "turn_on",
            "light.kitchen_lights",
            "lock.front_door",
            "unassigned",
            "2025-03-01T00:00:00Z",
            "9999-12-31T23:59:59+14:00",
            "../../etc",
            "' OR 1=1 --",
            "é€😀\x00",
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.text(max_size=12), children, max_size=5),
    ),
    max_leaves=12,
)
# Any key but "self": Odoo binds params as keyword arguments of the endpoint.
extra_keys = st.text(min_size=1, max_size=12).filter(lambda k: k != "self")


@st.composite
def calls(draw):
    route = draw(st.sampled_from(ROUTES))
    params = {}
    for key in ROUTE_KEYS[route]:
        if draw(st.booleans()):
            params[key] = draw(values)
    if route == "call_service" and draw(st.booleans()):
        params["service_data"] = draw(
            st.dictionaries(
                st.sampled_from(["entity_id", "value", "brightness", "area_id", "x"]),
                values,
                max_size=4,
            )
        )
    if draw(st.integers(0, 9)) == 0:
        params[draw(extra_keys)] = draw(values)
    return route, params


@tagged("post_install", "-at_install", "ha_http")
class TestHttpFuzz(HaHttpCommon):
    def snapshot(self):
        self.env.invalidate_all()
        return (
            len(self.service_calls()),
            self.user_a.current_ha_instance_id.id,
            self.env["ha.instance"].with_context(active_test=False).search_count([]),
            self.env["ha.entity"].with_context(active_test=False).search_count([]),
            self.env["ha.entity.group"].search_count([]),
            tuple(self.env["ha.entity"].search([], order="id").mapped("entity_state")),
        )

    def test_fuzz_every_route(self):
        self._fuzz(self.user_a, FUZZ_EXAMPLES)

    def test_fuzz_every_route_as_manager(self):
        # Managers pass the rights checks: the input validation behind them
        # (restart, hardware, sync) is exercised too.
        self._fuzz(self.manager, FUZZ_EXAMPLES // 2)

    def _fuzz(self, user, examples):
        self.login(user)
        counter = {"n": 0, "rejected": 0}
        seen = set()

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(calls())
        def run(call):
            route, params = call
            before = self.snapshot()
            result = self.rpc(route, params)
            counter["n"] += 1
            seen.add(route)
            self.assertNotEqual(
                result.get("error_type"), "system_error", (route, params)
            )
            if not result["success"]:
                counter["rejected"] += 1
                self.assertEqual(self.snapshot(), before, (route, params, result))

        run()
        # The test command shows the case count (asked for on stdout).
        # pylint: disable-next=print-used
        print(f"fuzz: {counter['n']} cases ({counter['rejected']} rejected)")
        _logger.info(
            "fuzz as %s: %s cases (%s rejected)",
            user.login,
            counter["n"],
            counter["rejected"],
        )
        self.assertGreaterEqual(counter["n"], examples // 2)
        self.assertEqual(seen, set(ROUTES), "every route is fuzzed")
