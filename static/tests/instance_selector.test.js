import {describe, expect, test} from "@odoo/hoot";
import {click, queryAllTexts, queryFirst} from "@odoo/hoot-dom";
import {advanceTime, animationFrame} from "@odoo/hoot-mock";
import {
    getService,
    mountWithCleanup,
    onRpc,
    serverState,
} from "@web/../tests/web_test_helpers";
import {HaInstanceSelector} from "@odoo_ha_addon/components/instance_selector/instance_selector";
import {SWITCH_DEBOUNCE_MS} from "@odoo_ha_addon/services/ha_data_service";
import {defineMailModels} from "@mail/../tests/mail_test_helpers";

defineMailModels();

const INSTANCES = [
    {id: 1, name: "Home", websocket_status: "connected"},
    {id: 2, name: "Cabin", websocket_status: "disconnected"},
];

function mockRoutes({hasGroup = true} = {}) {
    const calls = [];
    let current = 1;
    onRpc("has_group", () => hasGroup);
    onRpc("/odoo_ha_addon/get_instances", async (request) => {
        calls.push(["get_instances", (await request.json()).params]);
        return {
            success: true,
            data: {instances: INSTANCES, current_instance_id: current},
        };
    });
    onRpc("/odoo_ha_addon/switch_instance", async (request) => {
        const {params} = await request.json();
        calls.push(["switch_instance", params]);
        const instance = INSTANCES.find((i) => i.id === params.instance_id);
        current = instance.id;
        return {
            success: true,
            data: {instance_id: instance.id, instance_name: instance.name},
        };
    });
    return calls;
}

describe("components/instance_selector", () => {
    test("shows the current instance and switches through switch_instance", async () => {
        const calls = mockRoutes();
        await mountWithCleanup(HaInstanceSelector);
        expect(".o_odoo_ha_addon_instance_toggler").toHaveText("Home");
        await click(".o_odoo_ha_addon_instance_toggler");
        await animationFrame();
        expect(queryAllTexts(".o_odoo_ha_addon_instance_item")).toEqual([
            "Home",
            "Cabin",
        ]);
        expect(".o_odoo_ha_addon_instance_item.active").toHaveText("Home");
        const seen = [];
        getService("ha_data").onGlobalState("instance_switched", (payload) =>
            seen.push(payload.instanceId)
        );
        await click(".o_odoo_ha_addon_instance_item:last");
        await animationFrame();
        expect(calls.filter(([route]) => route === "switch_instance")).toEqual([
            ["switch_instance", {instance_id: 2}],
        ]);
        expect(seen).toEqual([2]);
        expect(getService("ha_data").state.currentInstanceId).toBe(2);
        expect(".o_odoo_ha_addon_instance_toggler").toHaveText("Cabin");
    });

    test("reflects a switch made in another tab (bus push)", async () => {
        mockRoutes();
        await mountWithCleanup(HaInstanceSelector);
        expect(".o_odoo_ha_addon_instance_toggler").toHaveText("Home");
        getService("ha_data").handleBusNotification("ha_instance_switched", {
            instance_id: 2,
            instance_name: "Cabin",
            user_id: serverState.userId,
        });
        await advanceTime(SWITCH_DEBOUNCE_MS + 50);
        await animationFrame();
        expect(".o_odoo_ha_addon_instance_toggler").toHaveText("Cabin");
        await click(".o_odoo_ha_addon_instance_toggler");
        await animationFrame();
        expect(".o_odoo_ha_addon_instance_item.active").toHaveText("Cabin");
    });

    test("hidden for users without the Home Assistant group", async () => {
        const calls = mockRoutes({hasGroup: false});
        await mountWithCleanup(HaInstanceSelector);
        expect(queryFirst(".o_odoo_ha_addon_instance_selector")).toBe(null);
        expect(calls).toEqual([]);
    });
});
