/**
 * HaEntityControllerWidget: the view widget `ha_entity_controller` of `ha.entity`
 * records (`<widget name="ha_entity_controller"/>` in form and kanban views). It
 * shows the record's live EntityController; clicks inside it do not open the record.
 */
import {Component} from "@odoo/owl";
import {registry} from "@web/core/registry";
import {standardWidgetProps} from "@web/views/widgets/standard_widget_props";
import {EntityController} from "@odoo_ha_addon/components/entity_controller/entity_controller";

/** The key views use in `<widget name="..."/>`. */
export const ENTITY_CONTROLLER_WIDGET = "ha_entity_controller";

/**
 * Props: the standard widget props (`record` is an `ha.entity` record) and
 * `compact` (from the view's `compact="1"` attribute) for the small kanban card.
 */
export class HaEntityControllerWidget extends Component {
    static template = "odoo_ha_addon.HaEntityControllerWidget";
    static components = {EntityController};
    static props = {
        ...standardWidgetProps,
        compact: {type: Boolean, optional: true},
    };

    /** The record as the plain entity EntityController expects. */
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

/** The `view_widgets` entry of `ha_entity_controller`. */
export const haEntityControllerWidget = {
    component: HaEntityControllerWidget,
    extractProps: ({attrs}) => ({compact: Boolean(attrs.compact)}),
};

registry
    .category("view_widgets")
    .add(ENTITY_CONTROLLER_WIDGET, haEntityControllerWidget);
