/**
 * SupervisorInfo: the hardware and network panels of a Home Assistant with a
 * Supervisor (Home Assistant OS and Supervised installs). Elsewhere HA has no
 * such API, and the panels say so instead of failing.
 */
import {Component, onWillDestroy, onWillStart, useState} from "@odoo/owl";
import {browser} from "@web/core/browser/browser";
import {_t} from "@web/core/l10n/translation";
import {useService} from "@web/core/utils/hooks";

export const SUPERVISOR_REFRESH_MS = 5 * 60 * 1000;
const UNITS = ["B", "KB", "MB", "GB", "TB"];

/** "931.5 GB" from a byte count; "—" when HA gave none. */
export function formatBytes(bytes) {
    if (typeof bytes !== "number" || !isFinite(bytes) || bytes < 0) {
        return "—";
    }
    let value = bytes;
    let unit = 0;
    while (value >= 1000 && unit < UNITS.length - 1) {
        value /= 1000;
        unit++;
    }
    return `${unit ? value.toFixed(1) : value} ${UNITS[unit]}`;
}

/** The addresses of one IP configuration of the Supervisor ("—" when none). */
function addresses(ip) {
    const list = (ip && Array.isArray(ip.address) && ip.address) || [];
    return list.length ? list.join(", ") : "—";
}

/** Hardware (drives, devices) and network (interfaces) of instance `instanceId`. */
export class SupervisorInfo extends Component {
    static template = "odoo_ha_addon.SupervisorInfo";
    static props = {instanceId: Number};

    setup() {
        this.haData = useService("ha_data");
        this.state = useState({
            hardware: null,
            network: null,
            unsupported: false,
            error: false,
            showDevices: false,
        });
        onWillStart(() => this.load());
        const timer = browser.setInterval(() => this.load(), SUPERVISOR_REFRESH_MS);
        onWillDestroy(() => browser.clearInterval(timer));
    }

    async load() {
        const [hardware, network] = await Promise.allSettled([
            this.haData.getHardwareInfo(this.props.instanceId),
            this.haData.getNetworkInfo(this.props.instanceId),
        ]);
        const failed = [hardware, network].find((r) => r.status === "rejected");
        this.state.unsupported =
            failed && failed.reason.errorType === "not_supported"
                ? failed.reason.message
                : false;
        this.state.error =
            failed && !this.state.unsupported ? failed.reason.message : false;
        this.state.hardware = hardware.value || null;
        this.state.network = network.value || null;
    }

    get drives() {
        const drives = (this.state.hardware && this.state.hardware.drives) || [];
        return drives.map((drive) => ({
            key: drive.id || drive.serial || `${drive.vendor}${drive.model}`,
            name: [drive.vendor, drive.model].filter(Boolean).join(" ") || drive.id,
            size: formatBytes(drive.size),
            bus: drive.connection_bus || "—",
            filesystems: (drive.filesystems || [])
                .map((fs) => `${fs.name || fs.device} (${formatBytes(fs.size)})`)
                .join(", "),
        }));
    }

    get devicesTitle() {
        return _t("Devices (%s)", this.devices.length);
    }

    get devices() {
        return (this.state.hardware && this.state.hardware.devices) || [];
    }

    get interfaces() {
        const list = (this.state.network && this.state.network.interfaces) || [];
        return list.map((iface) => ({
            name: iface.interface,
            type: iface.type || "—",
            connected: Boolean(iface.connected),
            primary: Boolean(iface.primary),
            mac: iface.mac || "—",
            ipv4: addresses(iface.ipv4),
            ipv6: addresses(iface.ipv6),
            gateway: (iface.ipv4 && iface.ipv4.gateway) || "—",
            nameservers:
                ((iface.ipv4 && iface.ipv4.nameservers) || []).join(", ") || "—",
        }));
    }

    /** "block · /dev/sda": what a hardware device is and where. */
    deviceDetail(device) {
        return [device.subsystem, device.dev_path].filter(Boolean).join(" · ");
    }

    toggleDevices() {
        this.state.showDevices = !this.state.showDevices;
    }
}
