/**
 * EntityDemo: the entity controller as a view widget of `ha.entity` records, for
 * form and kanban views (`<widget name="ha_entity_controller"/>`). Clicks inside
 * it do not open the record.
 */
import {Component} from "@odoo/owl";
import {registry} from "@web/core/registry";
import {standardWidgetProps} from "@web/views/widgets/standard_widget_props";
import {EntityController} from "@odoo_ha_addon/components/entity_controller/entity_controller";

export class EntityDemo extends Component {
    static template = "odoo_ha_addon.EntityDemo";
    static components = {EntityController};
    static props = {
        ...standardWidgetProps,
        compact: {type: Boolean, optional: true},
    };

    get entity() {
        const data = this.props.record.data;
        return {
            id: this.props.record.resId,
            entity_id: data.entity_id,
            domain: data.domain,
            name: data.name,
            entity_state: data.entity_state,
            attributes: data.attributes || {},
            last_changed: data.last_changed ? String(data.last_changed) : false,
            ha_instance_id: data.ha_instance_id,
        };
    }
}

export const entityDemoWidget = {
    component: EntityDemo,
    extractProps: ({attrs}) => ({compact: Boolean(attrs.compact)}),
};

registry.category("view_widgets").add("ha_entity_controller", entityDemoWidget);
