/**
 * UnifiedChart: the one chart component of the addon. It draws a Chart.js
 * configuration through the chart service (updated in place on new props,
 * destroyed on unmount). `HaChart` and `LineChart` are thin wrappers.
 */
import {Component, onWillStart, onWillUnmount, useEffect, useRef} from "@odoo/owl";
import {useService} from "@web/core/utils/hooks";

let nextId = 1;

export class UnifiedChart extends Component {
    static template = "odoo_ha_addon.UnifiedChart";
    static props = {
        config: Object,
        height: {type: String, optional: true},
        title: {type: String, optional: true},
        chartId: {type: String, optional: true},
    };
    static defaultProps = {height: "260px"};

    setup() {
        this.chartService = useService("ha_chart");
        this.canvasRef = useRef("canvas");
        this.chartId = this.props.chartId || `ha_chart_${nextId++}`;
        onWillStart(() => this.chartService.load());
        useEffect(
            () => {
                this.chartService.render(
                    this.chartId,
                    this.canvasRef.el,
                    this.props.config
                );
            },
            () => [this.props.config]
        );
        onWillUnmount(() => this.chartService.destroyChart(this.chartId));
    }

    get isEmpty() {
        const datasets = this.props.config.data?.datasets || [];
        return !datasets.some((dataset) => dataset.data && dataset.data.length);
    }
}
