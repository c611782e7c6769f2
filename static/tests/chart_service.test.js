import {describe, expect, test} from "@odoo/hoot";
import {
    getService,
    makeMockEnv,
    mountWithCleanup,
} from "@web/../tests/web_test_helpers";
import {ChartService} from "@odoo_ha_addon/services/chart_service";
import {UnifiedChart} from "@odoo_ha_addon/components/charts/unified_chart/unified_chart";
import {defineMailModels} from "@mail/../tests/mail_test_helpers";

defineMailModels();

const created = [];

class FakeChart {
    constructor(canvas, config) {
        this.canvas = canvas;
        this.config = config;
        this.data = config.data;
        this.options = config.options;
        this.updates = 0;
        this.destroyed = false;
        created.push(this);
    }
    update() {
        this.updates++;
    }
    destroy() {
        this.destroyed = true;
    }
}

function config(type = "line", data = []) {
    return {type, data: {datasets: [{label: "t", data}]}, options: {}};
}

describe("services/chart_service", () => {
    test("a chart rendered again is updated in place", () => {
        const service = new ChartService();
        service.ChartClass = FakeChart;
        const canvas = document.createElement("canvas");
        const first = service.render("a", canvas, config("line", [1]));
        const again = service.render("a", canvas, config("line", [1, 2]));
        expect(again).toBe(first);
        expect(first.updates).toBe(1);
        expect(first.data.datasets[0].data).toEqual([1, 2]);
        expect(service.size).toBe(1);
    });

    test("another type replaces the chart; destroy frees everything", () => {
        const service = new ChartService();
        service.ChartClass = FakeChart;
        const canvas = document.createElement("canvas");
        const line = service.render("a", canvas, config("line"));
        const bar = service.render("a", canvas, config("bar"));
        expect(line.destroyed).toBe(true);
        expect(bar).not.toBe(line);
        service.render("b", document.createElement("canvas"), config());
        expect(service.size).toBe(2);
        service.destroyChart("a");
        expect(bar.destroyed).toBe(true);
        expect(service.getChart("a")).toBe(undefined);
        service.destroyAll();
        expect(service.size).toBe(0);
    });

    test("UnifiedChart registers its chart and destroys it on unmount", async () => {
        await makeMockEnv();
        const service = getService("ha_chart");
        service.ChartClass = FakeChart;
        service._loading = Promise.resolve();
        const chart = await mountWithCleanup(UnifiedChart, {
            props: {config: config("line", [{x: 1, y: 2}]), chartId: "probe"},
        });
        expect(service.getChart("probe")).toBeInstanceOf(FakeChart);
        expect(".o_odoo_ha_addon_chart canvas").toHaveCount(1);
        chart.__owl__.app.destroy();
        expect(service.size).toBe(0);
    });
});
