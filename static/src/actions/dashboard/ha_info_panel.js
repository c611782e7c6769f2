/**
 * HaInfoPanel: one instance's Home Assistant facts — WebSocket status, version,
 * URLs — with its hardware and network (managers) and its Glances hosts.
 */
import {Component, onWillDestroy, onWillStart, useState} from "@odoo/owl";
import {browser} from "@web/core/browser/browser";
import {useService} from "@web/core/utils/hooks";
import {user} from "@web/core/user";
import {GlancesBlock} from "@odoo_ha_addon/components/glances/glances_block";
import {SupervisorInfo} from "@odoo_ha_addon/components/supervisor_info/supervisor_info";
import {statusLabel} from "@odoo_ha_addon/util/ha_labels";
import {useHaGlobalState} from "@odoo_ha_addon/util/use_ha_global_state";

export const STATUS_REFRESH_MS = 10000;

/**
 * Facts of instance `instanceId`; its status is reloaded every STATUS_REFRESH_MS
 * and on each WebSocket status push of that instance.
 */
export class HaInfoPanel extends Component {
    static template = "odoo_ha_addon.HaInfoPanel";
    static components = {GlancesBlock, SupervisorInfo};
    static props = {instanceId: Number};

    setup() {
        this.haData = useService("ha_data");
        this.haState = useState(this.haData.state);
        this.state = useState({
            status: null,
            urls: null,
            restarting: false,
            error: false,
        });
        this.isManager = false;
        onWillStart(async () => {
            this.isManager = await user.hasGroup("odoo_ha_addon.group_ha_manager");
            await this.load();
        });
        const timer = browser.setInterval(() => this.loadStatus(), STATUS_REFRESH_MS);
        onWillDestroy(() => browser.clearInterval(timer));
        useHaGlobalState("websocket_status", ({instanceId}) => {
            if (instanceId === this.props.instanceId) {
                this.loadStatus();
            }
        });
    }

    statusLabel(status) {
        return statusLabel(status);
    }

    get live() {
        return this.haState.websocketStatus[this.props.instanceId] || {};
    }

    async load() {
        await Promise.all([this.loadStatus(), this.loadUrls()]);
    }

    async loadStatus() {
        try {
            this.state.status = await this.haData.getWebsocketStatus(
                this.props.instanceId
            );
        } catch (error) {
            this.state.error = error.message;
        }
    }

    async loadUrls() {
        try {
            this.state.urls = await this.haData.getHaUrls(this.props.instanceId);
        } catch {
            this.state.urls = null;
        }
    }

    async restart() {
        this.state.restarting = true;
        try {
            await this.haData.restartWebsocket(this.props.instanceId);
            await this.loadStatus();
        } catch {
            // the service already showed the error
        } finally {
            this.state.restarting = false;
        }
    }
}
