/**
 * The Glances device dashboard (client action
 * `odoo_ha_addon.glances_device_dashboard`): one Glances host's sensors grouped
 * CPU, memory, disk, network, then by device class, updated live by the bus.
 */
import {Component, onWillDestroy, onWillStart, useState} from "@odoo/owl";
import {_t} from "@web/core/l10n/translation";
import {registry} from "@web/core/registry";
import {useService} from "@web/core/utils/hooks";
import {standardActionServiceProps} from "@web/webclient/actions/action_service";
import {
    groupGlancesEntities,
    percentOf,
} from "@odoo_ha_addon/components/glances/glances_groups";
import {stateLabel} from "@odoo_ha_addon/util/ha_labels";
import {useHaGlobalState} from "@odoo_ha_addon/util/use_ha_global_state";

export class GlancesDeviceDashboard extends Component {
    static template = "odoo_ha_addon.GlancesDeviceDashboard";
    static props = {...standardActionServiceProps};

    setup() {
        this.haData = useService("ha_data");
        const params = this.props.action.params || {};
        this.deviceId = params.device_id || false;
        this.instanceId = Number(params.ha_instance_id) || false;
        this.state = useState({
            name: params.device_name || "",
            entities: [],
            loading: true,
            error: false,
        });
        // One bus subscription per sensor, renewed on each reload and all
        // released with the dashboard.
        this.offs = [];
        onWillDestroy(() => this.unsubscribe());
        onWillStart(() => this.load());
        useHaGlobalState("entity_update_all", ({instanceId}) => {
            if (!instanceId || instanceId === this.instanceId) {
                this.load();
            }
        });
    }

    async load() {
        if (!this.deviceId) {
            this.state.error = _t("No Glances device was given.");
            this.state.loading = false;
            return;
        }
        try {
            const rows = await this.haData.getGlancesDeviceEntities(
                this.deviceId,
                this.instanceId
            );
            this.state.entities = rows || [];
            this.state.error = false;
            this.subscribe();
        } catch (error) {
            this.state.error = error.message;
        } finally {
            this.state.loading = false;
        }
    }

    subscribe() {
        this.unsubscribe();
        for (const entity of this.state.entities) {
            this.offs.push(
                this.haData.onEntityUpdate(
                    this.instanceId,
                    entity.entity_id,
                    (change) => this.apply(entity.entity_id, change)
                )
            );
        }
    }

    unsubscribe() {
        for (const off of this.offs.splice(0)) {
            off();
        }
    }

    /** A state push of one sensor. */
    apply(entityId, change) {
        const entity = this.state.entities.find((e) => e.entity_id === entityId);
        if (!entity) {
            return;
        }
        if ("state" in change) {
            entity.state = change.state;
        }
        if (change.attributes) {
            entity.unit_of_measurement = change.attributes.unit_of_measurement;
        }
        if (change.last_changed) {
            entity.last_changed = change.last_changed;
        }
    }

    get groups() {
        return groupGlancesEntities(this.state.entities);
    }

    percent(entity) {
        return percentOf(entity);
    }

    /** The value as HA shows it: the number and its unit, or a state's label. */
    value(entity) {
        const state = entity.state;
        if (state === null || state === undefined || state === "") {
            return "—";
        }
        if (isFinite(parseFloat(state)) && entity.unit_of_measurement) {
            return `${state} ${entity.unit_of_measurement}`;
        }
        return stateLabel(String(state));
    }

    /** The sensor's name without the host's name Glances puts first. */
    shortName(entity) {
        const name = entity.name || entity.entity_id;
        const host = this.state.name;
        return host && name.startsWith(`${host} `) ? name.slice(host.length + 1) : name;
    }

    refresh() {
        this.state.loading = true;
        return this.load();
    }
}

registry
    .category("actions")
    .add("odoo_ha_addon.glances_device_dashboard", GlancesDeviceDashboard);
