import {describe, destroy, expect, test} from "@odoo/hoot";
import {animationFrame} from "@odoo/hoot-mock";
import {click} from "@odoo/hoot-dom";
import {
    getService,
    mockService,
    mountWithCleanup,
    onRpc,
} from "@web/../tests/web_test_helpers";
import {GlancesBlock} from "@odoo_ha_addon/components/glances/glances_block";
import {GlancesDeviceDashboard} from "@odoo_ha_addon/components/glances/glances_device_dashboard";
import {
    groupGlancesEntities,
    percentOf,
} from "@odoo_ha_addon/components/glances/glances_groups";
import {defineMailModels} from "@mail/../tests/mail_test_helpers";

defineMailModels();

function sensor(suffix, name, state, unit = null, deviceClass = null) {
    return {
        entity_id: `sensor.home_server_${suffix}`,
        name: `Home Server ${name}`,
        state,
        unit_of_measurement: unit,
        device_class: deviceClass,
    };
}

const SENSORS = [
    sensor("cpu_usage", "CPU usage", "12.5", "%"),
    sensor("cpu_load", "CPU load", "0.42", "15 min"),
    sensor("memory_usage", "Memory usage", "46.8", "%"),
    sensor("memory_use", "Memory use", "3745.2", "MiB", "data_size"),
    sensor("disk_usage", "/ disk usage", "95.1", "%"),
    sensor("disk_free", "/ disk free", "90.1", "GiB", "data_size"),
    sensor("eth0_rx", "eth0 RX", "1.84", "Mbit/s", "data_rate"),
    sensor("package_temperature", "Package temperature", "48.0", "°C", "temperature"),
    sensor("containers_active", "Containers active", "7"),
    sensor("uptime", "Uptime", "unavailable"),
];

describe("components/glances", () => {
    test("groups: CPU, memory, disk, network, then device classes, then the rest", () => {
        const groups = groupGlancesEntities(SENSORS);
        expect(groups.map((g) => g.key)).toEqual([
            "cpu",
            "memory",
            "disk",
            "network",
            "class_temperature",
            "other",
        ]);
        const ids = (key) =>
            groups.find((g) => g.key === key).entities.map((e) => e.entity_id);
        expect(ids("memory")).toEqual([
            "sensor.home_server_memory_usage",
            "sensor.home_server_memory_use",
        ]);
        expect(ids("disk")).toEqual([
            "sensor.home_server_disk_usage",
            "sensor.home_server_disk_free",
        ]);
        expect(ids("other")).toEqual([
            "sensor.home_server_containers_active",
            "sensor.home_server_uptime",
        ]);
        expect(groupGlancesEntities([])).toEqual([]);
    });

    test("percentOf: a bar only for percentages, clamped", () => {
        expect(percentOf(SENSORS[0])).toBe(12.5);
        expect(percentOf(SENSORS[1])).toBe(null);
        expect(percentOf({state: "130", unit_of_measurement: "%"})).toBe(100);
        expect(percentOf({state: "unknown", unit_of_measurement: "%"})).toBe(null);
    });

    test("the block lists the Glances hosts and opens a host's dashboard", async () => {
        const actions = [];
        mockService("action", {doAction: (action) => actions.push(action)});
        onRpc("/odoo_ha_addon/glances_devices", async (request) => {
            expect((await request.json()).params.ha_instance_id).toBe(3);
            return {
                success: true,
                data: [
                    {
                        id: "dev1",
                        name: "Home Server",
                        manufacturer: "Glances",
                        model: false,
                        sw_version: "4.1",
                    },
                ],
            };
        });
        await mountWithCleanup(GlancesBlock, {props: {instanceId: 3}});
        expect(".o_odoo_ha_addon_glances_device").toHaveText(
            /Home Server\s+Glances · 4\.1/
        );
        await click(".o_odoo_ha_addon_open_glances");
        expect(actions).toEqual([
            {
                type: "ir.actions.client",
                tag: "odoo_ha_addon.glances_device_dashboard",
                name: "Home Server",
                params: {
                    device_id: "dev1",
                    device_name: "Home Server",
                    ha_instance_id: 3,
                },
            },
        ]);
    });

    test("the block without a Glances host says how to get one", async () => {
        onRpc("/odoo_ha_addon/glances_devices", () => ({success: true, data: []}));
        await mountWithCleanup(GlancesBlock, {props: {instanceId: 3}});
        expect(".o_odoo_ha_addon_no_glances").toHaveText(/Add the Glances integration/);
    });

    test("the dashboard groups the sensors and follows their bus pushes", async () => {
        onRpc("/odoo_ha_addon/glances_device_entities", async (request) => {
            const {params} = await request.json();
            expect(params).toEqual({device_id: "dev1", ha_instance_id: 3});
            return {success: true, data: SENSORS.map((s) => ({...s}))};
        });
        const dashboard = await mountWithCleanup(GlancesDeviceDashboard, {
            props: {
                action: {
                    params: {
                        device_id: "dev1",
                        device_name: "Home Server",
                        ha_instance_id: 3,
                    },
                },
            },
        });
        expect(".o_odoo_ha_addon_glances_group").toHaveCount(6);
        const cpu = "[data-entity-id='sensor.home_server_cpu_usage']";
        expect(cpu).toHaveText(/^CPU usage\s+12\.5 %$/);
        expect(`${cpu} .progress-bar`).toHaveClass("bg-success");
        expect(
            "[data-entity-id='sensor.home_server_disk_usage'] .progress-bar"
        ).toHaveClass("bg-danger");
        expect("[data-entity-id='sensor.home_server_uptime']").toHaveText(
            /Uptime\s+Unavailable/
        );
        expect(".o_odoo_ha_addon_glances_dashboard").not.toHaveText(
            /undefined|NaN|null|\[object Object\]/
        );

        const haData = getService("ha_data");
        haData.handleBusNotification("ha_entity_state_changed", {
            ha_instance_id: 3,
            changes: [{entity_id: "sensor.home_server_cpu_usage", state: "80.2"}],
        });
        // Another instance's entity of the same name changes nothing.
        haData.handleBusNotification("ha_entity_state_changed", {
            ha_instance_id: 4,
            changes: [{entity_id: "sensor.home_server_memory_usage", state: "99.0"}],
        });
        await animationFrame();
        expect(cpu).toHaveText(/CPU usage\s+80\.2 %/);
        expect(`${cpu} .progress-bar`).toHaveClass("bg-warning");
        expect("[data-entity-id='sensor.home_server_memory_usage']").toHaveText(
            /46\.8 %/
        );

        // Destroyed: its subscriptions are gone.
        expect(haData._subscriptions._entityCallbacks.size).toBe(SENSORS.length);
        destroy(dashboard);
        expect(haData._subscriptions._entityCallbacks.size).toBe(0);
    });
});
