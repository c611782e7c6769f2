/**
 * ChartService (`ha_chart`): Chart.js from Odoo's lazy bundle and one registry of
 * the chart instances of the page. A chart rendered again under the same id is
 * updated in place (no new canvas context); charts are destroyed with their
 * component so none leaks.
 */
import {loadBundle} from "@web/core/assets";
import {registry} from "@web/core/registry";
import {createLogger} from "@odoo_ha_addon/util/debug";

const logger = createLogger("chart");

export class ChartService {
    constructor() {
        this._charts = new Map(); // id → {chart, canvas}
        this._loading = null;
        /** Chart.js constructor; a test may replace it. */
        this.ChartClass = null;
    }

    /** Load Chart.js (and its Luxon time adapter) once. */
    load() {
        if (!this._loading) {
            this._loading = loadBundle("web.chartjs_lib");
        }
        return this._loading;
    }

    get size() {
        return this._charts.size;
    }

    getChart(id) {
        return this._charts.get(id)?.chart;
    }

    /**
     * Draw `config` on `canvas` under `id`: a chart of the same type on the same
     * canvas is updated in place, anything else is replaced.
     */
    render(id, canvas, config) {
        const known = this._charts.get(id);
        if (
            known &&
            known.canvas === canvas &&
            known.chart.config.type === config.type
        ) {
            known.chart.data = config.data;
            known.chart.options = config.options || {};
            known.chart.update("none");
            return known.chart;
        }
        if (known) {
            this.destroyChart(id);
        }
        const ChartClass = this.ChartClass || globalThis.Chart;
        if (!ChartClass) {
            throw new Error("Chart.js is not loaded: call load() first");
        }
        const chart = new ChartClass(canvas, config);
        this._charts.set(id, {chart, canvas});
        logger.debug("created", id, config.type);
        return chart;
    }

    destroyChart(id) {
        const known = this._charts.get(id);
        if (known) {
            this._charts.delete(id);
            known.chart.destroy();
            logger.debug("destroyed", id);
        }
    }

    destroyAll() {
        for (const id of [...this._charts.keys()]) {
            this.destroyChart(id);
        }
    }
}

export const chartService = {
    start() {
        return new ChartService();
    },
};

registry.category("services").add("ha_chart", chartService);
