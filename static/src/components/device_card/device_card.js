/**
 * DeviceCard: one device of the area dashboard — its name and maker, then a
 * controller per entity (collapsible), each with its related items.
 */
import {Component, useState} from "@odoo/owl";
import {EntityController} from "@odoo_ha_addon/components/entity_controller/entity_controller";
import {deviceMaker} from "@odoo_ha_addon/util/ha_labels";

export class DeviceCard extends Component {
    static template = "odoo_ha_addon.DeviceCard";
    static components = {EntityController};
    static props = {
        device: Object,
        instanceId: Number,
        // Called with an entity: shows its related items.
        onRelated: Function,
    };

    setup() {
        this.state = useState({collapsed: false});
    }

    get maker() {
        return deviceMaker(this.props.device);
    }

    withInstance(entity) {
        return {ha_instance_id: this.props.instanceId, ...entity};
    }

    toggle() {
        this.state.collapsed = !this.state.collapsed;
    }
}
