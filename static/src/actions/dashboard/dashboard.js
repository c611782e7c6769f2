/**
 * The Home Assistant dashboard (client action `odoo_ha_addon.dashboard`): a card per
 * instance with its live connection status and figures, then, for the chosen
 * instance, its HA info panel or its area dashboard.
 */
import {Component, onWillStart, useState} from "@odoo/owl";
import {_t} from "@web/core/l10n/translation";
import {formatDateTime} from "@web/core/l10n/dates";
import {registry} from "@web/core/registry";
import {user} from "@web/core/user";
import {useService} from "@web/core/utils/hooks";
import {standardActionServiceProps} from "@web/webclient/actions/action_service";
import {AreaDashboard} from "@odoo_ha_addon/actions/dashboard/area_dashboard";
import {HaInfoPanel} from "@odoo_ha_addon/actions/dashboard/ha_info_panel";
import {DashboardItem} from "@odoo_ha_addon/components/dashboard_item/dashboard_item";
import {statusLabel, statusStyles} from "@odoo_ha_addon/util/ha_labels";
import {useHaGlobalState} from "@odoo_ha_addon/util/use_ha_global_state";

/**
 * Client action: one card per instance, then the chosen instance's areas or info.
 * Reloads on full syncs, area changes and instance switches or invalidations.
 */
export class HaDashboard extends Component {
    static template = "odoo_ha_addon.HaDashboard";
    static components = {AreaDashboard, HaInfoPanel, DashboardItem};
    static props = {...standardActionServiceProps};

    setup() {
        this.haData = useService("ha_data");
        // Subscribed: a status push re-renders the badges by itself.
        this.haState = useState(this.haData.state);
        this.action = useService("action");
        this.orm = useService("orm");
        const params = this.props.action.params || {};
        const context = this.props.action.context || {};
        this.state = useState({
            instances: [],
            selectedId: params.ha_instance_id || context.ha_instance_id || false,
            tab: params.tab || "areas",
            loading: true,
            error: false,
        });
        this.isManager = false;
        onWillStart(async () => {
            [this.isManager] = await Promise.all([
                user.hasGroup("odoo_ha_addon.group_ha_manager"),
                this.load(),
            ]);
        });
        useHaGlobalState(
            ["entity_update_all", "area_registry_update", "instance_invalidated"],
            () => this.load(true)
        );
        useHaGlobalState("instance_switched", ({instanceId}) => {
            this.state.selectedId = instanceId;
            this.load(true);
        });
    }

    async load(force = false) {
        try {
            const {instances, current_instance_id} = await this.haData.getInstances({
                force,
            });
            this.state.instances = instances;
            const ids = instances.map((instance) => instance.id);
            if (!ids.includes(this.state.selectedId)) {
                this.state.selectedId = ids.includes(current_instance_id)
                    ? current_instance_id
                    : ids[0] || false;
            }
            this.state.error = false;
        } catch (error) {
            this.state.error = error.message;
        } finally {
            this.state.loading = false;
        }
    }

    get currentInstanceId() {
        return this.haState.currentInstanceId;
    }

    status(instance) {
        const live = this.haState.websocketStatus[instance.id];
        const status =
            (live && live.status) || instance.websocket_status || "disconnected";
        const [cls, label] = statusStyles()[status] || [
            "text-bg-light",
            typeof status === "string" ? status : _t("Unknown"),
        ];
        return {cls, label, message: (live && live.message) || ""};
    }

    get selectedInstance() {
        return this.state.instances.find(
            (instance) => instance.id === this.state.selectedId
        );
    }

    /**
     * Why the instance shows no live data, or null while it is connected (or
     * connecting): its status label and the last error HA or the network gave.
     */
    connectionProblem(instance) {
        const live = this.haState.websocketStatus[instance.id];
        const liveStatus = live && typeof live.status === "string" ? live.status : "";
        const status = liveStatus || instance.websocket_status || "disconnected";
        if (["connected", "connecting"].includes(status)) {
            return null;
        }
        const error = (live ? live.message : instance.last_error) || "";
        return {
            message: _t(
                "“%(name)s” is not connected to Home Assistant (%(status)s): what is shown is the last data received.",
                {
                    name: instance.name,
                    // Not this.status(): the template's `status` variable
                    // shadows that method in its rendering context.
                    status: statusLabel(status),
                }
            ),
            error,
        };
    }

    lastSync(instance) {
        if (!instance.last_sync) {
            return _t("Never");
        }
        const moment = luxon.DateTime.fromISO(instance.last_sync, {zone: "utc"});
        return moment.isValid
            ? formatDateTime(moment.setZone("default"))
            : instance.last_sync;
    }

    select(instance, tab) {
        this.state.selectedId = instance.id;
        this.state.tab = tab;
    }

    async makeCurrent(instance) {
        await this.haData.switchInstance(instance.id);
        this.haData.showSuccess(_t("Now using “%s”.", instance.name));
    }

    openInstances() {
        this.action.doAction("odoo_ha_addon.ha_instance_action");
    }

    /** "+ New instance": the server's modal form (refused to non-managers). */
    async newInstance() {
        const action = await this.orm.call(
            "ha.instance",
            "action_open_create_modal",
            []
        );
        await this.action.doAction(action, {onClose: () => this.refresh()});
    }

    openInstance(instance) {
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "ha.instance",
            res_id: instance.id,
            views: [[false, "form"]],
        });
    }

    openEntities() {
        this.action.doAction("odoo_ha_addon.ha_entity_action");
    }

    openHistory() {
        this.action.doAction("odoo_ha_addon.ha_entity_history_action");
    }

    refresh() {
        this.haData.invalidate(false);
        return this.load(true);
    }
}

registry.category("actions").add("odoo_ha_addon.dashboard", HaDashboard);
