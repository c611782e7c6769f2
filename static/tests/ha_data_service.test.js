import {describe, expect, test} from "@odoo/hoot";
import {advanceTime} from "@odoo/hoot-mock";
import {
    getService,
    makeMockEnv,
    onRpc,
    patchWithCleanup,
    serverState,
} from "@web/../tests/web_test_helpers";
import {
    BUS_HANDLERS,
    CACHE_TTL_MS,
    GLOBAL_EVENTS,
    HA_BUS_TYPES,
    HaApiError,
    SWITCH_DEBOUNCE_MS,
} from "@odoo_ha_addon/services/ha_data_service";
import {defineMailModels} from "@mail/../tests/mail_test_helpers";

defineMailModels();

function routeLog() {
    const calls = [];
    const answer = (route, data) =>
        onRpc(`/odoo_ha_addon/${route}`, async (request) => {
            const {params} = await request.json();
            calls.push([route, params]);
            return typeof data === "function" ? data(params) : {success: true, data};
        });
    return {calls, answer};
}

async function setup() {
    await makeMockEnv();
    const haData = getService("ha_data");
    const toasts = [];
    patchWithCleanup(haData.notification, {
        add: (message, options) => toasts.push([options.type, message]),
    });
    return {haData, toasts};
}

describe("services/ha_data", () => {
    test("the service object keeps its public API", async () => {
        const {haData} = await setup();
        const methods = [
            // toasts
            "showSuccess",
            "showError",
            "showWarning",
            "showInfo",
            // cache
            "getCached",
            "setCached",
            "invalidate",
            // requests
            "call",
            "getInstances",
            "resolveCurrentInstance",
            "switchInstance",
            "getWebsocketStatus",
            "restartWebsocket",
            "getHaUrls",
            "getHardwareInfo",
            "getNetworkInfo",
            "getAreas",
            "getEntitiesByArea",
            "getAreaDashboardData",
            "getEntityRelated",
            "fetchHaData",
            "fetchHistory",
            "fetchStatistics",
            "getCameraSnapshot",
            "callService",
            // subscriptions
            "onEntityUpdate",
            "offEntityUpdate",
            "onGlobalState",
            "offGlobalState",
            "triggerGlobalCallbacks",
            // bus handlers
            "handleBusNotification",
            ...Object.values(BUS_HANDLERS),
            "destroy",
        ];
        expect(methods.filter((name) => typeof haData[name] !== "function")).toEqual(
            []
        );
        expect(haData.state.currentInstanceId).toBe(false);
        expect(haData.cacheTtl).toBe(CACHE_TTL_MS);
        expect(HA_BUS_TYPES).toEqual(Object.keys(BUS_HANDLERS));
        expect(GLOBAL_EVENTS.length).toBe(8);
    });

    test("answers are cached per instance", async () => {
        const {calls, answer} = routeLog();
        answer("areas", (params) => ({
            success: true,
            data: [{id: params.ha_instance_id, name: "Area"}],
        }));
        const {haData} = await setup();
        await haData.getAreas(1);
        await haData.getAreas(1);
        await haData.getAreas(2);
        expect(calls).toEqual([
            ["areas", {ha_instance_id: 1}],
            ["areas", {ha_instance_id: 2}],
        ]);
    });

    test("cached answers expire after the TTL", async () => {
        const {calls, answer} = routeLog();
        answer("ha_urls", {internal: "http://ha.local:8123"});
        const {haData} = await setup();
        await haData.getHaUrls(1);
        await advanceTime(CACHE_TTL_MS - 1000);
        await haData.getHaUrls(1);
        expect(calls.length).toBe(1);
        await advanceTime(2000);
        await haData.getHaUrls(1);
        expect(calls.length).toBe(2);
    });

    test("a bus push invalidates only its instance", async () => {
        const {calls, answer} = routeLog();
        answer("areas", []);
        const {haData} = await setup();
        await haData.getAreas(1);
        await haData.getAreas(2);
        haData.handleBusNotification("ha_area_registry_update", {
            ha_instance_id: 1,
            action: "create",
        });
        await haData.getAreas(1);
        await haData.getAreas(2);
        expect(calls.map(([, params]) => params.ha_instance_id)).toEqual([1, 2, 1]);
    });

    test("callService sends the entity's instance and invalidates states", async () => {
        const {calls, answer} = routeLog();
        answer("call_service", {});
        answer("area_dashboard_data", {devices: []});
        const {haData} = await setup();
        await haData.getAreaDashboardData(4, 7);
        await haData.callService("light", "turn_on", {entity_id: "light.desk"}, 7);
        await haData.getAreaDashboardData(4, 7);
        expect(calls).toEqual([
            ["area_dashboard_data", {ha_instance_id: 7, area_id: 4}],
            [
                "call_service",
                {
                    domain: "light",
                    service: "turn_on",
                    service_data: {entity_id: "light.desk"},
                    ha_instance_id: 7,
                },
            ],
            ["area_dashboard_data", {ha_instance_id: 7, area_id: 4}],
        ]);
    });

    test("callService refuses a call without instance", async () => {
        const {haData} = await setup();
        await expect(haData.callService("switch", "toggle", {}, false)).rejects.toThrow(
            /No Home Assistant instance/
        );
    });

    test("a failed route throws its error type and shows a toast", async () => {
        const {answer} = routeLog();
        answer("call_service", () => ({
            success: false,
            error: "Access denied",
            error_type: "access_denied",
        }));
        const {haData, toasts} = await setup();
        let error;
        try {
            await haData.callService("lock", "unlock", {entity_id: "lock.door"}, 3);
        } catch (e) {
            error = e;
        }
        expect(error).toBeInstanceOf(HaApiError);
        expect(error.errorType).toBe("access_denied");
        expect(toasts).toEqual([["danger", "Access denied"]]);
    });

    test("entity subscriptions are keyed by instance and entity_id", async () => {
        const {haData} = await setup();
        const seen = [];
        const off = haData.onEntityUpdate(1, "light.desk", (change) =>
            seen.push(["1", change.state])
        );
        haData.onEntityUpdate(2, "light.desk", (change) =>
            seen.push(["2", change.state])
        );
        haData.handleBusNotification("ha_entity_state_changed", {
            ha_instance_id: 1,
            changes: [
                {entity_id: "light.desk", state: "on"},
                {entity_id: "light.other", state: "on"},
            ],
        });
        haData.handleBusNotification("ha_entity_state_changed", {
            instance_id: 2,
            entities: [{entity_id: "light.desk", state: "off"}],
        });
        off();
        haData.handleBusNotification("ha_entity_state_changed", {
            ha_instance_id: 1,
            changes: [{entity_id: "light.desk", state: "off"}],
        });
        expect(seen).toEqual([
            ["1", "on"],
            ["2", "off"],
        ]);
    });

    test("global callbacks: on, off, and a failing callback does not stop others", async () => {
        const {haData} = await setup();
        const logged = [];
        patchWithCleanup(console, {error: (...args) => logged.push(args[1])});
        const seen = [];
        const failing = () => {
            throw new Error("boom");
        };
        const record = (payload) => seen.push([payload.instanceId, payload.status]);
        haData.onGlobalState("websocket_status", failing);
        haData.onGlobalState("websocket_status", record);
        haData.handleBusNotification("ha_websocket_status", {
            ha_instance_id: 5,
            status: "connected",
            ha_version: "2025.4.4",
        });
        haData.offGlobalState("websocket_status", record);
        haData.triggerGlobalCallbacks("websocket_status", {instanceId: 5, status: "x"});
        expect(seen).toEqual([[5, "connected"]]);
        // The failing callback ran twice (push, then the direct trigger), logged each time.
        expect(logged).toEqual([
            "callback of websocket_status failed",
            "callback of websocket_status failed",
        ]);
        expect(haData.state.websocketStatus[5].ha_version).toBe("2025.4.4");
        expect(() => haData.onGlobalState("nope", () => {})).toThrow();
    });

    test("history, full reload and registry pushes reach their callbacks", async () => {
        const {haData} = await setup();
        const seen = [];
        for (const event of [
            "history_update",
            "entity_update_all",
            "device_registry_update",
            "area_registry_update",
        ]) {
            haData.onGlobalState(event, (payload) =>
                seen.push([event, payload.instanceId])
            );
        }
        haData.handleBusNotification("ha_history_update", {ha_instance_id: 1});
        haData.handleBusNotification("ha_entity_update_all", {ha_instance_id: 2});
        haData.handleBusNotification("ha_device_registry_update", {ha_instance_id: 3});
        haData.handleBusNotification("ha_area_registry_update", {ha_instance_id: 4});
        expect(haData.handleBusNotification("unrelated", {})).toBe(false);
        expect(seen).toEqual([
            ["history_update", 1],
            ["entity_update_all", 2],
            ["device_registry_update", 3],
            ["area_registry_update", 4],
        ]);
    });

    test("instance switches are debounced 300 ms and the latest wins", async () => {
        const {haData} = await setup();
        const seen = [];
        haData.onGlobalState("instance_switched", (payload) =>
            seen.push(payload.instanceId)
        );
        const userId = serverState.userId;
        haData.handleBusNotification("ha_instance_switched", {
            instance_id: 2,
            user_id: userId,
        });
        await advanceTime(SWITCH_DEBOUNCE_MS - 100);
        haData.handleBusNotification("ha_instance_switched", {
            instance_id: 3,
            user_id: userId,
        });
        await advanceTime(SWITCH_DEBOUNCE_MS - 100);
        expect(seen).toEqual([]);
        await advanceTime(200);
        expect(seen).toEqual([3]);
        expect(haData.state.currentInstanceId).toBe(3);
    });

    test("another user's switch is ignored", async () => {
        const {haData} = await setup();
        const seen = [];
        haData.onGlobalState("instance_switched", (payload) =>
            seen.push(payload.instanceId)
        );
        haData.handleBusNotification("ha_instance_switched", {
            instance_id: 9,
            user_id: serverState.userId + 100,
        });
        await advanceTime(SWITCH_DEBOUNCE_MS + 50);
        expect(seen).toEqual([]);
    });

    test("switchInstance applies at once and notifies this tab once", async () => {
        const {answer} = routeLog();
        answer("switch_instance", {instance_id: 4, instance_name: "Office"});
        const {haData} = await setup();
        const seen = [];
        haData.onGlobalState("instance_switched", (payload) =>
            seen.push(payload.instanceId)
        );
        await haData.switchInstance(4);
        haData.handleBusNotification("ha_instance_switched", {
            instance_id: 4,
            user_id: serverState.userId,
        });
        await advanceTime(SWITCH_DEBOUNCE_MS + 50);
        expect(seen).toEqual([4]);
    });

    test("an invalidated session instance is re-resolved and warned once", async () => {
        const {calls, answer} = routeLog();
        answer("get_instances", {
            instances: [{id: 8, name: "Backup"}],
            current_instance_id: 8,
        });
        const {haData, toasts} = await setup();
        haData.state.currentInstanceId = 6;
        haData.handleBusNotification("ha_instance_invalidated", {
            instance_id: 6,
            reason: "x",
        });
        haData.handleBusNotification("ha_instance_invalidated", {
            instance_id: 6,
            reason: "x",
        });
        await advanceTime(10);
        expect(toasts.filter(([type]) => type === "warning").length).toBe(1);
        expect(calls.some(([route]) => route === "get_instances")).toBe(true);
        expect(haData.state.currentInstanceId).toBe(8);
    });
});
