import {describe, expect, test} from "@odoo/hoot";
import {animationFrame} from "@odoo/hoot-mock";
import {click} from "@odoo/hoot-dom";
import {
    getService,
    mockService,
    mountWithCleanup,
    onRpc,
} from "@web/../tests/web_test_helpers";
import {HaDashboard} from "@odoo_ha_addon/actions/dashboard/dashboard";
import {defineMailModels} from "@mail/../tests/mail_test_helpers";

defineMailModels();

/** The one instance of these tests, as get_instances describes it. */
function homeInstance(values = {}) {
    return {
        id: 1,
        name: "Home",
        api_url: "http://ha.local:8123",
        websocket_status: "disconnected",
        entity_count: 3,
        area_count: 0,
        last_sync: false,
        ...values,
    };
}

function mockDashboardRoutes() {
    onRpc("has_group", () => false);
    onRpc("/odoo_ha_addon/get_instances", () => ({
        success: true,
        data: {
            instances: [homeInstance()],
            current_instance_id: 1,
        },
    }));
    onRpc("/odoo_ha_addon/areas", () => ({success: true, data: []}));
    onRpc("/odoo_ha_addon/area_dashboard_data", () => ({
        success: true,
        data: {devices: [], standalone_entities: []},
    }));
}

async function mountDashboard() {
    mockDashboardRoutes();
    await mountWithCleanup(HaDashboard, {props: {action: {params: {}, context: {}}}});
    expect(".o_odoo_ha_addon_status").toHaveText("Disconnected");
}

describe("actions/dashboard", () => {
    test("the badge follows a status push as the server sends it", async () => {
        await mountDashboard();
        // ha.realtime.update.notify_ha_websocket_status's payload for
        // ha.instance._ha_set_ws_status("connected", "", "2025.4.4").
        getService("ha_data").handleBusNotification("ha_websocket_status", {
            instance_id: 1,
            ha_instance_id: 1,
            status: "connected",
            message: "",
            ha_version: "2025.4.4",
            since: "2025-05-01 10:00:00",
            instance_name: "Home",
            timestamp: "2025-05-01T10:00:00Z",
        });
        await animationFrame();
        expect(".o_odoo_ha_addon_status").toHaveText("Connected");
        expect(".o_odoo_ha_addon_status").toHaveClass("text-bg-success");
        expect(".o_odoo_ha_addon_dashboard").not.toHaveText(/\[object Object\]/);
    });

    test("a status dict nested in `status` still reads as its state", async () => {
        await mountDashboard();
        getService("ha_data").handleBusNotification("ha_websocket_status", {
            ha_instance_id: 1,
            status: {instance_id: 1, status: "error", message: "token refused"},
            message: null,
        });
        await animationFrame();
        expect(".o_odoo_ha_addon_status").toHaveText("Error");
        expect(".o_odoo_ha_addon_status").toHaveAttribute("title", "token refused");
    });

    test("a push without a state string keeps the stored status", async () => {
        await mountDashboard();
        getService("ha_data").handleBusNotification("ha_websocket_status", {
            ha_instance_id: 1,
            status: 42,
        });
        await animationFrame();
        // 42 is no state: the stored status stays.
        expect(".o_odoo_ha_addon_status").toHaveText("Disconnected");
        getService("ha_data").handleBusNotification("ha_websocket_status", {
            ha_instance_id: 1,
            status: "rebooting",
        });
        await animationFrame();
        expect(".o_odoo_ha_addon_status").toHaveText("rebooting");
    });

    test("a device card leaves out the maker and model HA does not know", async () => {
        mockDashboardRoutes();
        onRpc("/odoo_ha_addon/area_dashboard_data", () => ({
            success: true,
            data: {
                devices: [
                    {
                        id: 1,
                        name: "Garage Door",
                        manufacturer: false,
                        model: false,
                        entities: [],
                    },
                    {
                        id: 2,
                        name: "Lamp",
                        manufacturer: "Acme",
                        model: "L2",
                        entities: [],
                    },
                    {
                        id: 3,
                        name: "Plug",
                        manufacturer: false,
                        model: "P1",
                        entities: [],
                    },
                ],
                standalone_entities: [],
            },
        }));
        await mountWithCleanup(HaDashboard, {
            props: {action: {params: {}, context: {}}},
        });
        await animationFrame();
        expect(".o_odoo_ha_addon_device_card .card-header .text-muted").toHaveCount(3);
        expect(
            ".o_odoo_ha_addon_device_card:eq(0) .card-header .text-muted"
        ).toHaveText("");
        expect(
            ".o_odoo_ha_addon_device_card:eq(1) .card-header .text-muted"
        ).toHaveText("Acme L2");
        expect(
            ".o_odoo_ha_addon_device_card:eq(2) .card-header .text-muted"
        ).toHaveText("P1");
        expect(".o_odoo_ha_addon_dashboard").not.toHaveText(/false/);
    });

    test("no instance: a manager is offered to add one", async () => {
        mockDashboardRoutes();
        onRpc("has_group", () => true);
        onRpc("/odoo_ha_addon/get_instances", () => ({
            success: true,
            data: {instances: [], current_instance_id: false},
        }));
        const actions = [];
        mockService("action", {doAction: (action) => actions.push(action)});
        await mountWithCleanup(HaDashboard, {
            props: {action: {params: {}, context: {}}},
        });
        expect(".o_view_nocontent").toHaveText(/No Home Assistant instance/);
        await click(".o_odoo_ha_addon_add_instance");
        expect(actions).toEqual(["odoo_ha_addon.ha_instance_action"]);
    });

    test("a manager adds an instance in the server's modal form", async () => {
        mockDashboardRoutes();
        onRpc("has_group", () => true);
        const modal = {type: "ir.actions.act_window", target: "new"};
        onRpc("ha.instance", "action_open_create_modal", () => modal);
        const actions = [];
        mockService("action", {
            doAction: (action, options) =>
                actions.push([action, typeof options.onClose]),
        });
        await mountWithCleanup(HaDashboard, {
            props: {action: {params: {}, context: {}}},
        });
        await click(".o_odoo_ha_addon_new_instance");
        await animationFrame();
        expect(actions).toEqual([[modal, "function"]]);
    });

    test("a user is not offered to add an instance", async () => {
        await mountDashboard();
        expect(".o_odoo_ha_addon_new_instance").toHaveCount(0);
    });

    test("no instance: a user is told whom to ask", async () => {
        mockDashboardRoutes();
        onRpc("/odoo_ha_addon/get_instances", () => ({
            success: true,
            data: {instances: [], current_instance_id: false},
        }));
        await mountWithCleanup(HaDashboard, {
            props: {action: {params: {}, context: {}}},
        });
        expect(".o_view_nocontent").toHaveText(/Ask a manager to add an instance/);
        expect(".o_odoo_ha_addon_add_instance").toHaveCount(0);
    });

    test("an instance not connected shows its last error until it connects", async () => {
        mockDashboardRoutes();
        onRpc("has_group", () => true);
        onRpc("/odoo_ha_addon/get_instances", () => ({
            success: true,
            data: {
                instances: [
                    homeInstance({
                        websocket_status: "error",
                        last_error: "Invalid access token",
                        entity_count: 0,
                    }),
                ],
                current_instance_id: 1,
            },
        }));
        const actions = [];
        mockService("action", {doAction: (action) => actions.push(action)});
        await mountWithCleanup(HaDashboard, {
            props: {action: {params: {}, context: {}}},
        });
        expect(".o_odoo_ha_addon_not_connected").toHaveText(
            /“Home” is not connected to Home Assistant \(Error\)/
        );
        expect(".o_odoo_ha_addon_last_error").toHaveText("Invalid access token");
        await click(".o_odoo_ha_addon_open_instance");
        expect(actions).toEqual([
            {
                type: "ir.actions.act_window",
                res_model: "ha.instance",
                res_id: 1,
                views: [[false, "form"]],
            },
        ]);
        getService("ha_data").handleBusNotification("ha_websocket_status", {
            ha_instance_id: 1,
            status: "connected",
            message: "",
        });
        await animationFrame();
        expect(".o_odoo_ha_addon_not_connected").toHaveCount(0);
    });

    test("a user sees the disconnection without the settings button", async () => {
        await mountDashboard();
        expect(".o_odoo_ha_addon_not_connected").toHaveText(/Disconnected/);
        expect(".o_odoo_ha_addon_not_connected").toHaveText(/tell a manager/);
        expect(".o_odoo_ha_addon_last_error").toHaveCount(0);
        expect(".o_odoo_ha_addon_open_instance").toHaveCount(0);
        expect(".o_odoo_ha_addon_dashboard").not.toHaveText(/undefined|null/);
    });

    test("no areas: explains to create them in Home Assistant", async () => {
        await mountDashboard();
        await animationFrame();
        expect(".o_odoo_ha_addon_no_areas").toHaveText(
            /Create areas in Home Assistant/
        );
        expect(".o_odoo_ha_addon_area_dashboard .nav-link").toHaveText("Unassigned");
    });

    test("with areas there is no such explanation", async () => {
        mockDashboardRoutes();
        onRpc("/odoo_ha_addon/areas", () => ({
            success: true,
            data: [{id: 4, name: "Kitchen", entity_count: 2}],
        }));
        await mountWithCleanup(HaDashboard, {
            props: {action: {params: {}, context: {}}},
        });
        await animationFrame();
        expect(".o_odoo_ha_addon_area_dashboard .nav-link").toHaveCount(2);
        expect(".o_odoo_ha_addon_no_areas").toHaveCount(0);
    });
});
