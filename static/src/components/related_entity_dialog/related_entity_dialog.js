/**
 * RelatedEntityDialog: what Home Assistant relates to an entity — its area,
 * device and labels, and the automations, scenes and scripts that use it —
 * each opening its Odoo record.
 */
import {Component, onWillStart, useState} from "@odoo/owl";
import {Dialog} from "@web/core/dialog/dialog";
import {_t} from "@web/core/l10n/translation";
import {useService} from "@web/core/utils/hooks";
import {deviceMaker, stateLabel} from "@odoo_ha_addon/util/ha_labels";
import {isOn} from "@odoo_ha_addon/components/entity_controller/domain_config";

/** [key of the answer, label, model, Font Awesome icon], in display order. */
function relatedGroups() {
    return [
        ["area", _t("Area"), "ha.area", "fa-map-marker"],
        ["device", _t("Device"), "ha.device", "fa-microchip"],
        ["labels", _t("Labels"), "ha.label", "fa-tag"],
        ["automations", _t("Automations"), "ha.entity", "fa-magic"],
        ["scenes", _t("Scenes"), "ha.entity", "fa-picture-o"],
        ["scripts", _t("Scripts"), "ha.entity", "fa-file-code-o"],
    ];
}

export class RelatedEntityDialog extends Component {
    static template = "odoo_ha_addon.RelatedEntityDialog";
    static components = {Dialog};
    static props = {
        entity: Object,
        instanceId: Number,
        close: Function,
    };

    setup() {
        this.haData = useService("ha_data");
        this.action = useService("action");
        this.state = useState({loading: true, related: null, error: false});
        onWillStart(async () => {
            try {
                this.state.related = await this.haData.getEntityRelated(
                    this.props.entity.entity_id,
                    this.props.instanceId
                );
            } catch (error) {
                this.state.error = error.message;
            } finally {
                this.state.loading = false;
            }
        });
    }

    get groups() {
        const related = this.state.related || {};
        const asList = (value) => (Array.isArray(value) ? value : value ? [value] : []);
        return relatedGroups()
            .map(([key, label, model, icon]) => ({
                key,
                label,
                model,
                icon,
                items: asList(related[key]),
            }))
            .filter((group) => group.items.length);
    }

    /** What is shown beside an item: a device's maker, an entity's state. */
    detail(item) {
        if (item.state) {
            return stateLabel(item.state);
        }
        return deviceMaker(item);
    }

    /** Bootstrap badge class of a related state: "on" stands out. */
    stateClass(item) {
        return isOn(item.state) ? "text-bg-success" : "text-bg-light";
    }

    open(model, item) {
        if (!item.id) {
            return;
        }
        this.props.close();
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: model,
            res_id: item.id,
            views: [[false, "form"]],
        });
    }
}
