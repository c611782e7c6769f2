import {describe, expect, test} from "@odoo/hoot";
import {
    buildHistoryCharts,
    buildLineDatasets,
    buildSegments,
    buildTimelineDatasets,
    mergeSeries,
    seriesKind,
    stateColor,
} from "@odoo_ha_addon/components/charts/unified_chart/chart_data";
import {HaHistoryArchParser} from "@odoo_ha_addon/views/hahistory/hahistory_arch_parser";
import {
    HaHistoryModel,
    statisticsPeriod,
    statisticsToPoints,
} from "@odoo_ha_addon/views/hahistory/hahistory_model";

const T0 = "2026-01-01T00:00:00Z";
const T1 = "2026-01-01T01:00:00Z";
const T2 = "2026-01-01T02:00:00Z";
const END = "2026-01-01T03:00:00Z";

const temperature = {
    id: 1,
    entity_id: "sensor.temp",
    name: "Temperature",
    domain: "sensor",
    kind: "numeric",
    points: [
        {t: T0, avg: 20.5, min: 20, max: 21, count: 3, state: "21"},
        {t: T1, avg: null, min: null, max: null, count: 0, state: "unavailable"},
        {t: T2, avg: 22, min: 22, max: 22, count: 1, state: "22"},
    ],
};
const lamp = {
    id: 2,
    entity_id: "light.desk",
    name: "Desk",
    domain: "light",
    kind: "state",
    points: [
        {t: T0, state: "off", value: null},
        {t: T1, state: "on", value: null},
        {t: T2, state: "unavailable", value: null},
    ],
};
const thermostat = {
    id: 3,
    entity_id: "climate.lounge",
    name: "Lounge",
    domain: "climate",
    kind: "state",
    points: [{t: T0, state: "heat", value: null}],
};
const data = {start: T0, end: END, series: [temperature, lamp, thermostat]};

describe("views/hahistory", () => {
    test("series kinds: numeric, binary, categorical", () => {
        expect([temperature, lamp, thermostat].map(seriesKind)).toEqual([
            "numeric",
            "binary",
            "categorical",
        ]);
    });

    test("numeric rows become line points, gaps stay gaps", () => {
        const [dataset] = buildLineDatasets([temperature]);
        expect(dataset.label).toBe("Temperature");
        expect(dataset.data).toEqual([
            {x: Date.parse(T0), y: 20.5},
            {x: Date.parse(T1), y: null},
            {x: Date.parse(T2), y: 22},
        ]);
        expect(dataset.spanGaps).toBe(false);
    });

    test("state rows become segments lasting until the next change", () => {
        expect(buildSegments(lamp, END)).toEqual([
            {start: Date.parse(T0), end: Date.parse(T1), state: "off"},
            {start: Date.parse(T1), end: Date.parse(T2), state: "on"},
            {start: Date.parse(T2), end: Date.parse(END), state: "unavailable"},
        ]);
        const [dataset] = buildTimelineDatasets([lamp], END);
        expect(dataset.data[1]).toEqual({
            x: [Date.parse(T1), Date.parse(T2)],
            y: "Desk",
            state: "on",
        });
        expect(dataset.backgroundColor).toEqual([
            stateColor("off"),
            stateColor("on"),
            stateColor("unavailable"),
        ]);
        expect(stateColor("some_state")).toBe(stateColor("some_state"));
    });

    test("separate mode: one chart per entity", () => {
        const charts = buildHistoryCharts(data, "separate");
        expect(
            charts.map((chart) => [chart.key, chart.kind, chart.config.type])
        ).toEqual([
            ["1", "numeric", "line"],
            ["2", "timeline", "bar"],
            ["3", "timeline", "bar"],
        ]);
        expect(charts[1].config.options.indexAxis).toBe("y");
        expect(charts[0].config.options.scales.x.type).toBe("time");
    });

    test("combined mode: one line chart and one timeline", () => {
        const charts = buildHistoryCharts(data, "combined");
        expect(charts.map((chart) => chart.key)).toEqual(["numeric", "states"]);
        expect(charts[1].config.data.labels).toEqual(["Desk", "Lounge"]);
        expect(charts[1].config.data.datasets.length).toBe(2);
        expect(buildHistoryCharts({series: []}, "combined")).toEqual([]);
    });

    test("live rows are appended without duplicates", () => {
        const known = [{...lamp, points: lamp.points.slice(0, 2)}];
        mergeSeries(known, [
            {...lamp, points: [lamp.points[1], lamp.points[2]]},
            {...thermostat},
        ]);
        expect(known[0].points.map((point) => point.state)).toEqual([
            "off",
            "on",
            "unavailable",
        ]);
        expect(known.length).toBe(2);
    });

    test("arch attributes", () => {
        const info = new HaHistoryArchParser().parse(
            `<hahistory domain="sensor, light" limit="10" max_points_per_entity="50"/>`
        );
        expect(info).toEqual({
            domains: ["sensor", "light"],
            limit: 10,
            maxPoints: 50,
            displayMode: "separate",
        });
    });

    test("long ranges: statistics period and rows → points", () => {
        expect(statisticsPeriod("24h", 200)).toBe(false);
        expect(statisticsPeriod("7d", 200)).toBe("hour");
        expect(statisticsPeriod("30d", 200)).toBe("day");
        expect(statisticsPeriod("30d", 1000)).toBe("hour");
        expect(
            statisticsToPoints([
                {
                    start: Date.parse(T0),
                    end: Date.parse(T1),
                    mean: 20.5,
                    min: 20,
                    max: 21,
                },
                {start: T1, end: T2, mean: null, min: null, max: null},
            ])
        ).toEqual([
            {
                t: "2026-01-01T00:00:00.000Z",
                avg: 20.5,
                min: 20,
                max: 21,
                count: 1,
                state: "20.5",
            },
            {
                t: "2026-01-01T01:00:00.000Z",
                avg: null,
                min: null,
                max: null,
                count: 0,
                state: null,
            },
        ]);
    });

    function makeModel(range, statistics) {
        const calls = [];
        const orm = {
            readGroup: async () => [
                {entity_id: [1, "Temperature"]},
                {entity_id: [2, "Desk"]},
            ],
            call: async () => ({
                start: T0,
                end: END,
                series: [
                    {
                        ...temperature,
                        ha_instance_id: 4,
                        points: [...temperature.points],
                    },
                    {...lamp, ha_instance_id: 4, points: [...lamp.points]},
                ],
            }),
        };
        const haData = {
            fetchStatistics: async (params, instanceId) => {
                calls.push([params, instanceId]);
                return statistics(params);
            },
        };
        const model = new HaHistoryModel(
            {},
            {range, maxPoints: 200},
            {orm, ha_data: haData}
        );
        return {model, calls};
    }

    test("7 d / 30 d: numeric sensors come from long-term statistics", async () => {
        const {model, calls} = makeModel("7d", () => ({
            "sensor.temp": [
                {
                    start: Date.parse(T0),
                    end: Date.parse(T1),
                    mean: 19,
                    min: 18,
                    max: 20,
                },
            ],
        }));
        await model.load();
        expect(calls.length).toBe(1);
        const [params, instanceId] = calls[0];
        expect(instanceId).toBe(4);
        expect(params.statistic_ids).toEqual(["sensor.temp"]);
        expect(params.period).toBe("hour");
        expect(params.types).toEqual(["mean", "min", "max", "state"]);
        const [temp, desk] = model.data.series;
        expect(temp.source).toBe("statistics");
        expect(temp.points).toEqual([
            {
                t: "2026-01-01T00:00:00.000Z",
                avg: 19,
                min: 18,
                max: 20,
                count: 1,
                state: "19",
            },
        ]);
        expect(desk.points).toEqual(lamp.points);
        await model.setRange("30d");
        expect(calls[1][0].period).toBe("day");
    });

    test("short ranges and failing statistics keep the mirror rows", async () => {
        const {model, calls} = makeModel("24h", () => ({}));
        await model.load();
        expect(calls.length).toBe(0);
        expect(model.data.series[0].points).toEqual(temperature.points);
        const failing = makeModel("7d", () => {
            throw new Error("not connected");
        });
        await failing.model.load();
        expect(failing.calls.length).toBe(1);
        expect(failing.model.data.series[0].points).toEqual(temperature.points);
        expect(failing.model.data.series[0].source).toBe(undefined);
    });
});
