/**
 * One shared entity on a portal page: the backend's entity controller when the
 * user may control it, its live state alone when they may only view it.
 */
import {Component} from "@odoo/owl";
import {registry} from "@web/core/registry";
import {useService} from "@web/core/utils/hooks";
import {isOn} from "@odoo_ha_addon/components/entity_controller/domain_config";
import {EntityController} from "@odoo_ha_addon/components/entity_controller/entity_controller";
import {useEntityControl} from "@odoo_ha_addon/components/entity_controller/use_entity_control";
import {stateLabel} from "@odoo_ha_addon/util/ha_labels";

export class PortalEntity extends Component {
    static template = "odoo_ha_addon.PortalEntity";
    static components = {EntityController};
    static props = {
        entity: Object,
        instanceId: Number,
        // Lists: the live state alone, whatever the share allows.
        stateOnly: {type: Boolean, optional: true},
    };

    setup() {
        this.haData = useService("ha_data");
        this.haData.register(this.props.instanceId, this.props.entity);
        if (!this.canControl) {
            // A controller follows the entity itself; the badge needs its own
            // subscription (the props of a public component never change).
            const control = useEntityControl((props = this.props) =>
                this.entityOf(props)
            );
            this.live = control.state;
        }
    }

    entityOf(props) {
        return {...props.entity, ha_instance_id: props.instanceId};
    }

    get canControl() {
        return Boolean(this.props.entity.can_control) && !this.props.stateOnly;
    }

    get isOn() {
        return isOn(this.live.state);
    }

    get stateLabel() {
        const unit = this.live.attributes.unit_of_measurement;
        return unit
            ? `${stateLabel(this.live.state)} ${unit}`
            : stateLabel(this.live.state);
    }
}

registry.category("public_components").add("odoo_ha_addon.portal_entity", PortalEntity);
