import {describe, expect, test} from "@odoo/hoot";
import {
    getService,
    makeMockEnv,
    mountWithCleanup,
    patchWithCleanup,
} from "@web/../tests/web_test_helpers";
import {
    CHANNELS_CHANGED,
    connectHaBus,
    HaBusBridge,
} from "@odoo_ha_addon/services/ha_bus_bridge";
import {HA_BUS_TYPES} from "@odoo_ha_addon/services/ha_data_service";
import {defineMailModels} from "@mail/../tests/mail_test_helpers";

defineMailModels();

function makeFakeBus() {
    const handlers = new Map();
    return {
        handlers,
        started: 0,
        channelUpdates: 0,
        subscribe(type, callback) {
            handlers.set(type, callback);
        },
        unsubscribe(type, callback) {
            if (handlers.get(type) === callback) {
                handlers.delete(type);
            }
        },
        start() {
            this.started++;
        },
        forceUpdateChannels() {
            this.channelUpdates++;
        },
    };
}

describe("services/ha_bus_bridge", () => {
    test("one subscription per HA type, each forwarded to ha_data", async () => {
        const bus = makeFakeBus();
        const forwarded = [];
        const haData = {
            handleBusNotification: (type, payload) => forwarded.push([type, payload]),
        };
        const disconnect = connectHaBus(bus, haData);
        expect([...bus.handlers.keys()].sort()).toEqual(
            [...HA_BUS_TYPES, CHANNELS_CHANGED].sort()
        );
        expect(HA_BUS_TYPES).toInclude("ha_entity_state_changed");
        expect(HA_BUS_TYPES).toInclude("ha_instance_switched");
        expect(bus.started).toBe(1);
        bus.handlers.get("ha_websocket_status")({status: "connected"});
        expect(forwarded).toEqual([["ha_websocket_status", {status: "connected"}]]);
        disconnect();
        expect(bus.handlers.size).toBe(0);
    });

    test("the main component feeds a real push into the entity callbacks", async () => {
        await makeMockEnv();
        const bus = getService("bus_service");
        const subscribed = [];
        const original = bus.subscribe;
        bus.subscribe = (type, callback) => {
            subscribed.push([type, callback]);
            return original.call(bus, type, callback);
        };
        await mountWithCleanup(HaBusBridge, {noMainContainer: true});
        const states = [];
        getService("ha_data").onEntityUpdate(1, "switch.pump", (change) =>
            states.push(change.state)
        );
        const [, callback] = subscribed.find(
            ([type]) => type === "ha_entity_state_changed"
        );
        callback({
            ha_instance_id: 1,
            changes: [{entity_id: "switch.pump", state: "on"}],
        });
        expect(states).toEqual(["on"]);
        expect(subscribed.length).toBe(HA_BUS_TYPES.length + 1);
    });

    test("a channel change asks the server for the channel list again", async () => {
        const bus = makeFakeBus();
        const forwarded = [];
        connectHaBus(bus, {
            handleBusNotification: (type) => forwarded.push(type),
        });
        expect(HA_BUS_TYPES).not.toInclude(CHANNELS_CHANGED);
        bus.handlers.get(CHANNELS_CHANGED)({timestamp: "2025-03-01T10:00:00Z"});
        expect(bus.channelUpdates).toBe(1);
        // not data: ha_data never sees it
        expect(forwarded).toEqual([]);
    });

    test("the web client's bus service refreshes its channels on the push", async () => {
        await makeMockEnv();
        const bus = getService("bus_service");
        const handlers = {};
        const original = bus.subscribe;
        bus.subscribe = (type, callback) => {
            handlers[type] = callback;
            return original.call(bus, type, callback);
        };
        const refreshed = [];
        patchWithCleanup(bus, {forceUpdateChannels: () => refreshed.push(true)});
        await mountWithCleanup(HaBusBridge, {noMainContainer: true});
        handlers[CHANNELS_CHANGED]({timestamp: "2025-03-01T10:00:00Z"});
        expect(refreshed).toEqual([true]);
    });

    test("the bridge is a main component of the web client", async () => {
        await mountWithCleanup(HaBusBridge, {noMainContainer: false});
        // once as the tested component, once from registry main_components
        expect(".o_odoo_ha_addon_bus_bridge").toHaveCount(2);
    });
});
