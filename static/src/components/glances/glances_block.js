/**
 * GlancesBlock: the Glances hosts of an instance (computers Home Assistant
 * watches through its Glances integration), each opening its dashboard.
 */
import {Component, onWillStart, useState} from "@odoo/owl";
import {useService} from "@web/core/utils/hooks";
import {deviceMaker} from "@odoo_ha_addon/util/ha_labels";
import {useHaGlobalState} from "@odoo_ha_addon/util/use_ha_global_state";

export class GlancesBlock extends Component {
    static template = "odoo_ha_addon.GlancesBlock";
    static props = {instanceId: Number};

    setup() {
        this.haData = useService("ha_data");
        this.action = useService("action");
        this.state = useState({devices: [], loading: true, error: false});
        onWillStart(() => this.load());
        // The host list is cached with the registries (ha_data_cache), so a
        // device registry change reloads it fresh: no polling.
        useHaGlobalState(
            ["device_registry_update", "entity_update_all"],
            ({instanceId}) => {
                if (!instanceId || instanceId === this.props.instanceId) {
                    this.load();
                }
            }
        );
    }

    async load() {
        try {
            this.state.devices =
                (await this.haData.getGlancesDevices(this.props.instanceId)) || [];
            this.state.error = false;
        } catch (error) {
            this.state.error = error.message;
        } finally {
            this.state.loading = false;
        }
    }

    maker(device) {
        return deviceMaker(device);
    }

    open(device) {
        this.action.doAction({
            type: "ir.actions.client",
            tag: "odoo_ha_addon.glances_device_dashboard",
            name: device.name,
            params: {
                device_id: device.id,
                device_name: device.name,
                ha_instance_id: this.props.instanceId,
            },
        });
    }
}
