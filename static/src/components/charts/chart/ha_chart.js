/** HaChart (legacy name): a UnifiedChart of any Chart.js type from type/data/options. */
import {Component} from "@odoo/owl";
import {UnifiedChart} from "@odoo_ha_addon/components/charts/unified_chart/unified_chart";

export class HaChart extends Component {
    static template = "odoo_ha_addon.HaChart";
    static components = {UnifiedChart};
    static props = {
        type: {type: String, optional: true},
        data: Object,
        options: {type: Object, optional: true},
        height: {type: String, optional: true},
        title: {type: String, optional: true},
    };

    get config() {
        return {
            type: this.props.type || "line",
            data: this.props.data,
            options: {
                responsive: true,
                maintainAspectRatio: false,
                ...this.props.options,
            },
        };
    }
}
