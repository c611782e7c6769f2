/** The hahistory renderer: the history answer as UnifiedCharts (separate or combined). */
import {Component} from "@odoo/owl";
import {buildHistoryCharts} from "@odoo_ha_addon/components/charts/unified_chart/chart_data";
import {UnifiedChart} from "@odoo_ha_addon/components/charts/unified_chart/unified_chart";

export class HaHistoryRenderer extends Component {
    static template = "odoo_ha_addon.HaHistoryRenderer";
    static components = {UnifiedChart};
    static props = {model: Object};

    get chartList() {
        return buildHistoryCharts(this.props.model.data, this.props.model.displayMode);
    }

    chartHeight(chart) {
        if (chart.kind !== "timeline") {
            return "260px";
        }
        const rows = chart.config.data.labels.length;
        return `${Math.max(80, 36 * rows + 50)}px`;
    }
}
