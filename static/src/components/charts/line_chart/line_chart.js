/** LineChart (legacy name): history series as one time-scale line chart (UnifiedChart). */
import {Component} from "@odoo/owl";
import {buildLineConfig} from "@odoo_ha_addon/components/charts/unified_chart/chart_data";
import {UnifiedChart} from "@odoo_ha_addon/components/charts/unified_chart/unified_chart";

export class LineChart extends Component {
    static template = "odoo_ha_addon.LineChart";
    static components = {UnifiedChart};
    static props = {
        series: Array,
        start: {optional: true},
        end: {optional: true},
        unit: {type: String, optional: true},
        height: {type: String, optional: true},
        title: {type: String, optional: true},
    };

    get config() {
        const {start, end, unit} = this.props;
        return buildLineConfig(this.props.series, {start, end, unit});
    }
}
