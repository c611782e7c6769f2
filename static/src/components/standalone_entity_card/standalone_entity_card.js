/**
 * StandaloneEntityCard: an entity of the area dashboard shown without its
 * device — it has none, or it was moved here from its device's area (then
 * the device is named on the card).
 */
import {Component} from "@odoo/owl";
import {EntityController} from "@odoo_ha_addon/components/entity_controller/entity_controller";

export class StandaloneEntityCard extends Component {
    static template = "odoo_ha_addon.StandaloneEntityCard";
    static components = {EntityController};
    static props = {
        entity: Object,
        instanceId: Number,
        // Called with the entity: shows its related items.
        onRelated: Function,
    };

    get sourceDevice() {
        const source = this.props.entity.source_device;
        return (source && (source.name || source)) || "";
    }

    get entity() {
        return {ha_instance_id: this.props.instanceId, ...this.props.entity};
    }
}
