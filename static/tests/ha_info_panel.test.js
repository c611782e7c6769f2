import {describe, destroy, expect, test} from "@odoo/hoot";
import {animationFrame} from "@odoo/hoot-mock";
import {getService, mountWithCleanup, onRpc} from "@web/../tests/web_test_helpers";
import {HaInfoPanel} from "@odoo_ha_addon/actions/dashboard/ha_info_panel";
import {defineMailModels} from "@mail/../tests/mail_test_helpers";

defineMailModels();

describe("actions/ha_info_panel", () => {
    test("reloads its instance's status on a push, and stops once destroyed", async () => {
        const statusCalls = [];
        onRpc("has_group", () => false);
        onRpc("/odoo_ha_addon/websocket_status", async (request) => {
            statusCalls.push((await request.json()).params.ha_instance_id);
            return {success: true, data: {is_running: true, status_text: "Running"}};
        });
        onRpc("/odoo_ha_addon/ha_urls", () => ({success: true, data: {}}));
        onRpc("/odoo_ha_addon/glances_devices", () => ({success: true, data: []}));
        const panel = await mountWithCleanup(HaInfoPanel, {props: {instanceId: 1}});
        expect(statusCalls).toEqual([1]);
        expect(".o_odoo_ha_addon_info_panel .badge").toHaveText("Running");

        const haData = getService("ha_data");
        haData.handleBusNotification("ha_websocket_status", {
            ha_instance_id: 1,
            status: "connected",
        });
        haData.handleBusNotification("ha_websocket_status", {
            ha_instance_id: 2,
            status: "connected",
        });
        await animationFrame();
        expect(statusCalls).toEqual([1, 1]);

        destroy(panel);
        haData.handleBusNotification("ha_websocket_status", {
            ha_instance_id: 1,
            status: "error",
        });
        await animationFrame();
        expect(statusCalls).toEqual([1, 1]);
    });
});
