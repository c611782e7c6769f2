/**
 * History rows (as `ha.entity.history.get_chart_data` returns them) → Chart.js
 * configurations: numeric entities as time-scale lines, the others as timelines of
 * state segments (floating horizontal bars).
 */
import {stateLabel} from "@odoo_ha_addon/util/ha_labels";

export const PALETTE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
];

export const BINARY_DOMAINS = [
    "binary_sensor",
    "switch",
    "light",
    "input_boolean",
    "automation",
    "script",
    "siren",
    "remote",
];

/** Fixed colours of well-known states; other states get palette colours. */
export const STATE_COLORS = {
    on: "#f4b400",
    off: "#9aa0a6",
    open: "#f4b400",
    closed: "#5f6368",
    opening: "#fbc02d",
    closing: "#8d6e63",
    locked: "#0f9d58",
    unlocked: "#db4437",
    heat: "#ff7043",
    cool: "#42a5f5",
    heat_cool: "#ab47bc",
    auto: "#26a69a",
    dry: "#ffca28",
    fan_only: "#78909c",
    playing: "#0f9d58",
    paused: "#fbc02d",
    idle: "#9aa0a6",
    cleaning: "#0f9d58",
    docked: "#5f6368",
    returning: "#fbc02d",
    home: "#0f9d58",
    not_home: "#9aa0a6",
    unavailable: "#e0e0e0",
    unknown: "#eeeeee",
};

export function seriesKind(series) {
    if (series.kind === "numeric") {
        return "numeric";
    }
    return BINARY_DOMAINS.includes(series.domain) ? "binary" : "categorical";
}

export function colorFor(index) {
    return PALETTE[index % PALETTE.length];
}

/** The colour of a state; unknown states get a stable palette colour by name. */
export function stateColor(state) {
    if (state in STATE_COLORS) {
        return STATE_COLORS[state];
    }
    let hash = 0;
    for (const char of String(state)) {
        hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
    }
    return colorFor(hash);
}

function time(value) {
    return typeof value === "number" ? value : Date.parse(value);
}

/** One line dataset per numeric series ({x: ms, y: avg}); gaps stay gaps. */
export function buildLineDatasets(seriesList) {
    return seriesList.map((series, index) => ({
        label: series.name,
        entityId: series.entity_id,
        data: series.points.map((point) => ({
            x: time(point.t),
            y: point.avg ?? point.value ?? null,
        })),
        borderColor: colorFor(index),
        backgroundColor: colorFor(index),
        borderWidth: 2,
        pointRadius: 0,
        tension: 0.2,
        spanGaps: false,
    }));
}

/**
 * State segments of a series: each point lasts until the next one, the last one
 * until `end`.
 */
export function buildSegments(series, end) {
    const points = [...series.points].sort((a, b) => time(a.t) - time(b.t));
    const until = time(end);
    return points
        .map((point, index) => ({
            start: time(point.t),
            end: index + 1 < points.length ? time(points[index + 1].t) : until,
            state: point.state,
        }))
        .filter((segment) => segment.end > segment.start);
}

/** One floating-bar dataset per timeline, one row (y label) per entity. */
export function buildTimelineDatasets(seriesList, end) {
    return seriesList.map((series) => {
        const segments = buildSegments(series, end);
        return {
            label: series.name,
            entityId: series.entity_id,
            data: segments.map((segment) => ({
                x: [segment.start, segment.end],
                y: series.name,
                state: segment.state,
            })),
            backgroundColor: segments.map((segment) => stateColor(segment.state)),
            borderColor: segments.map((segment) =>
                ["unavailable", "unknown"].includes(segment.state)
                    ? "#9aa0a6"
                    : "#ffffff"
            ),
            borderWidth: 1,
            borderSkipped: false,
            barPercentage: 0.8,
            categoryPercentage: 1,
            grouped: false,
        };
    });
}

const BASE_OPTIONS = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
};

export function buildLineConfig(seriesList, {start, end, unit} = {}) {
    return {
        type: "line",
        data: {datasets: buildLineDatasets(seriesList)},
        options: {
            ...BASE_OPTIONS,
            interaction: {mode: "nearest", intersect: false},
            scales: {
                x: {
                    type: "time",
                    min: start ? time(start) : undefined,
                    max: end ? time(end) : undefined,
                },
                y: {title: {display: Boolean(unit), text: unit || ""}},
            },
        },
    };
}

export function buildTimelineConfig(seriesList, {start, end} = {}) {
    return {
        type: "bar",
        data: {
            labels: seriesList.map((series) => series.name),
            datasets: buildTimelineDatasets(seriesList, end || Date.now()),
        },
        options: {
            ...BASE_OPTIONS,
            indexAxis: "y",
            plugins: {
                legend: {display: false},
                tooltip: {
                    callbacks: {
                        label: (item) =>
                            `${item.dataset.label}: ${stateLabel(item.raw.state)}`,
                    },
                },
            },
            scales: {
                x: {
                    type: "time",
                    min: start ? time(start) : undefined,
                    max: end ? time(end) : undefined,
                },
                y: {stacked: true},
            },
        },
    };
}

/**
 * The charts of a history answer: `separate` → one chart per entity, `combined` →
 * one line chart of all numeric entities and one timeline of the others.
 * Returns [{key, title, kind, config}].
 */
export function buildHistoryCharts(data, mode = "separate") {
    const seriesList = (data && data.series) || [];
    const range = {start: data && data.start, end: data && data.end};
    const numeric = seriesList.filter((series) => seriesKind(series) === "numeric");
    const states = seriesList.filter((series) => seriesKind(series) !== "numeric");
    const unitOf = (series) => series.unit || "";
    if (mode === "combined") {
        const charts = [];
        if (numeric.length) {
            charts.push({
                key: "numeric",
                title: "",
                kind: "numeric",
                config: buildLineConfig(numeric, range),
            });
        }
        if (states.length) {
            charts.push({
                key: "states",
                title: "",
                kind: "timeline",
                config: buildTimelineConfig(states, range),
            });
        }
        return charts;
    }
    return seriesList.map((series) => {
        const isNumeric = seriesKind(series) === "numeric";
        return {
            key: `${series.id}`,
            title: series.name,
            kind: isNumeric ? "numeric" : "timeline",
            config: isNumeric
                ? buildLineConfig([series], {...range, unit: unitOf(series)})
                : buildTimelineConfig([series], range),
        };
    });
}

/** Append new points to known series (same shape), skipping duplicates. */
export function mergeSeries(known, fresh) {
    const byId = new Map(known.map((series) => [series.id, series]));
    for (const series of fresh) {
        const target = byId.get(series.id);
        if (!target) {
            known.push(series);
            byId.set(series.id, series);
            continue;
        }
        const seen = new Set(target.points.map((point) => point.t));
        for (const point of series.points) {
            if (!seen.has(point.t)) {
                target.points.push(point);
            }
        }
        target.points.sort((a, b) => time(a.t) - time(b.t));
    }
    return known;
}
