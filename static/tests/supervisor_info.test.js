import {describe, expect, test} from "@odoo/hoot";
import {animationFrame} from "@odoo/hoot-mock";
import {click} from "@odoo/hoot-dom";
import {mountWithCleanup, onRpc} from "@web/../tests/web_test_helpers";
import {HaInfoPanel} from "@odoo_ha_addon/actions/dashboard/ha_info_panel";
import {
    SupervisorInfo,
    formatBytes,
} from "@odoo_ha_addon/components/supervisor_info/supervisor_info";
import {defineMailModels} from "@mail/../tests/mail_test_helpers";

defineMailModels();

const HARDWARE = {
    devices: [
        {name: "sda", subsystem: "block", dev_path: "/dev/sda"},
        {name: "ttyUSB0", subsystem: "tty", dev_path: "/dev/ttyUSB0"},
    ],
    drives: [
        {
            id: "Samsung-SSD",
            vendor: "Samsung",
            model: "SSD 870",
            size: 500107862016,
            connection_bus: "usb",
            filesystems: [{device: "/dev/sda8", name: "hassos-data", size: 480e9}],
        },
    ],
};
const NETWORK = {
    host_internet: true,
    interfaces: [
        {
            interface: "end0",
            type: "ethernet",
            connected: true,
            primary: true,
            mac: "DC:A6:32:00:00:01",
            ipv4: {
                address: ["192.168.1.20/24"],
                gateway: "192.168.1.1",
                nameservers: ["192.168.1.1"],
            },
            ipv6: {address: [], gateway: null, nameservers: []},
        },
    ],
};

describe("components/supervisor_info", () => {
    test("formatBytes", () => {
        expect(formatBytes(500107862016)).toBe("500.1 GB");
        expect(formatBytes(512)).toBe("512 B");
        expect(formatBytes(null)).toBe("—");
        expect(formatBytes(NaN)).toBe("—");
    });

    test("a Supervisor install: drives, devices and interfaces", async () => {
        onRpc("/odoo_ha_addon/hardware_info", () => ({success: true, data: HARDWARE}));
        onRpc("/odoo_ha_addon/network_info", () => ({success: true, data: NETWORK}));
        await mountWithCleanup(SupervisorInfo, {props: {instanceId: 1}});
        expect(".o_odoo_ha_addon_hardware tbody tr").toHaveCount(1);
        expect(".o_odoo_ha_addon_hardware tbody tr").toHaveText(
            /Samsung SSD 870\s+500\.1 GB\s+usb\s+hassos-data \(480\.0 GB\)/
        );
        expect(".o_odoo_ha_addon_hardware_devices").toHaveText(/Devices \(2\)/);
        expect(".o_odoo_ha_addon_hardware li").toHaveCount(0);
        await click(".o_odoo_ha_addon_hardware_devices");
        await animationFrame();
        expect(".o_odoo_ha_addon_hardware li").toHaveCount(2);
        expect(".o_odoo_ha_addon_interface").toHaveText(
            /end0\s*Primary\s+ethernet\s+DC:A6:32:00:00:01\s+192\.168\.1\.20\/24\s+—\s+192\.168\.1\.1\s+192\.168\.1\.1/
        );
        expect(".o_odoo_ha_addon_no_supervisor").toHaveCount(0);
        expect(".o_odoo_ha_addon_supervisor_info").not.toHaveText(
            /undefined|NaN|null|\[object Object\]/
        );
    });

    test("no Supervisor: the server's message instead of the panels", async () => {
        const refused = () => ({
            success: false,
            error: "Not available on this installation type: no Supervisor.",
            error_type: "not_supported",
        });
        onRpc("/odoo_ha_addon/hardware_info", refused);
        onRpc("/odoo_ha_addon/network_info", refused);
        await mountWithCleanup(SupervisorInfo, {props: {instanceId: 1}});
        expect(".o_odoo_ha_addon_no_supervisor").toHaveText(
            /Not available on this installation type/
        );
        expect(".o_odoo_ha_addon_no_supervisor").toHaveClass("alert-info");
        expect(".o_odoo_ha_addon_hardware, .o_odoo_ha_addon_network").toHaveCount(0);
    });

    test("another failure is a warning", async () => {
        const failed = () => ({
            success: false,
            error: "HA timed out",
            error_type: "ha_error",
        });
        onRpc("/odoo_ha_addon/hardware_info", failed);
        onRpc("/odoo_ha_addon/network_info", () => ({success: true, data: NETWORK}));
        await mountWithCleanup(SupervisorInfo, {props: {instanceId: 1}});
        expect(".o_odoo_ha_addon_supervisor_info .alert-warning").toHaveText(
            "HA timed out"
        );
        expect(".o_odoo_ha_addon_network").toHaveCount(1);
    });

    function mockInfoPanel(manager) {
        onRpc("has_group", () => manager);
        onRpc("/odoo_ha_addon/websocket_status", () => ({
            success: true,
            data: {is_running: true, status_text: "Running"},
        }));
        onRpc("/odoo_ha_addon/ha_urls", () => ({
            success: true,
            data: {internal: "http://ha.local:8123", external: null, cloud: null},
        }));
        onRpc("/odoo_ha_addon/glances_devices", () => ({success: true, data: []}));
        onRpc("/odoo_ha_addon/hardware_info", () => ({success: true, data: HARDWARE}));
        onRpc("/odoo_ha_addon/network_info", () => ({success: true, data: NETWORK}));
    }

    test("the info panel: URLs, hardware and network for a manager", async () => {
        mockInfoPanel(true);
        await mountWithCleanup(HaInfoPanel, {props: {instanceId: 1}});
        expect(".o_odoo_ha_addon_info_panel").toHaveText(
            /Internal URL\s+http:\/\/ha\.local:8123/
        );
        expect(".o_odoo_ha_addon_info_panel").toHaveText(/External URL\s+—/);
        expect(".o_odoo_ha_addon_hardware").toHaveCount(1);
        expect(".o_odoo_ha_addon_glances_block").toHaveCount(1);
    });

    test("the info panel: no hardware or network for a user", async () => {
        mockInfoPanel(false);
        await mountWithCleanup(HaInfoPanel, {props: {instanceId: 1}});
        expect(".o_odoo_ha_addon_info_panel").toHaveCount(1);
        expect(".o_odoo_ha_addon_supervisor_info").toHaveCount(0);
        expect(".o_odoo_ha_addon_glances_block").toHaveCount(1);
    });
});
