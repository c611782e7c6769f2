/**
 * The hahistory model: which entities match the search, and their history in the
 * chosen window, downsampled by the server (`ha.entity.history.get_chart_data`).
 * Long windows (7 d, 30 d) take numeric sensors from Home Assistant's long-term
 * statistics (`/odoo_ha_addon/statistics`) instead, falling back to the mirror.
 */
import {serializeDateTime} from "@web/core/l10n/dates";
import {Model} from "@web/model/model";
import {mergeSeries} from "@odoo_ha_addon/components/charts/unified_chart/chart_data";
import {createLogger} from "@odoo_ha_addon/util/debug";

const {DateTime} = luxon;

export const RANGES = {
    "1h": {hours: 1},
    "6h": {hours: 6},
    "24h": {hours: 24},
    "7d": {days: 7},
    "30d": {days: 30},
};

/** Ranges read from long-term statistics, with their length in hours. */
export const STATISTICS_RANGES = {"7d": 7 * 24, "30d": 30 * 24};
/** Domains that have long-term statistics in Home Assistant. */
export const STATISTICS_DOMAINS = ["sensor"];

const logger = createLogger("hahistory");

/** The finest statistics period that keeps a range within `maxPoints` points. */
export function statisticsPeriod(range, maxPoints) {
    const hours = STATISTICS_RANGES[range];
    if (!hours) {
        return false;
    }
    return hours <= maxPoints ? "hour" : "day";
}

/** `recorder/statistics_during_period` rows → the numeric points of a series. */
export function statisticsToPoints(rows) {
    return (rows || []).map((row) => {
        const start = typeof row.start === "number" ? row.start : Date.parse(row.start);
        const mean = row.mean ?? row.state ?? null;
        return {
            t: new Date(start).toISOString(),
            avg: mean,
            min: row.min ?? mean,
            max: row.max ?? mean,
            count: mean === null ? 0 : 1,
            state: mean === null ? null : String(mean),
        };
    });
}

export class HaHistoryModel extends Model {
    static services = ["orm", "ha_data"];

    setup(params, {orm, ha_data}) {
        this.orm = orm;
        this.haData = ha_data;
        this.domains = params.domains || [];
        this.limit = params.limit || 50;
        this.maxPoints = params.maxPoints || 200;
        this.range = params.range || "24h";
        this.displayMode = params.displayMode || "separate";
        this.searchDomain = [];
        this.data = {start: null, end: null, series: []};
        this._appending = false;
    }

    window(now = DateTime.utc()) {
        return {start: now.minus(RANGES[this.range] || RANGES["24h"]), end: now};
    }

    get entityIds() {
        return this.data.series.map((series) => series.id);
    }

    async load(searchParams = {}) {
        if (searchParams.domain) {
            this.searchDomain = searchParams.domain;
        }
        const {start, end} = this.window();
        const domain = [
            ...this.searchDomain,
            ["last_updated", "<", serializeDateTime(end)],
        ];
        if (this.domains.length) {
            domain.push(["domain", "in", this.domains]);
        }
        const groups = await this.orm.readGroup(
            "ha.entity.history",
            domain,
            ["entity_id"],
            ["entity_id"],
            {limit: this.limit, lazy: true}
        );
        const ids = groups
            .map((group) => group.entity_id && group.entity_id[0])
            .filter(Boolean);
        this.data = ids.length
            ? await this.orm.call("ha.entity.history", "get_chart_data", [
                  ids,
                  serializeDateTime(start),
                  serializeDateTime(end),
                  this.maxPoints,
              ])
            : {start: start.toISO(), end: end.toISO(), series: []};
        await this.loadStatistics(start, end);
        this.notify();
    }

    /**
     * For long ranges, replace the numeric sensors' mirror rows by HA's long-term
     * statistics (one call per instance). A sensor without statistics, or an
     * instance that cannot answer, keeps the mirror rows.
     */
    async loadStatistics(start, end) {
        const period = statisticsPeriod(this.range, this.maxPoints);
        if (!period || !this.haData) {
            return;
        }
        const byInstance = new Map();
        for (const series of this.data.series) {
            if (
                series.kind === "numeric" &&
                STATISTICS_DOMAINS.includes(series.domain) &&
                series.ha_instance_id
            ) {
                const list = byInstance.get(series.ha_instance_id) || [];
                list.push(series);
                byInstance.set(series.ha_instance_id, list);
            }
        }
        await Promise.all(
            [...byInstance].map(async ([instanceId, list]) => {
                let stats;
                try {
                    stats = await this.haData.fetchStatistics(
                        {
                            statistic_ids: list.map((series) => series.entity_id),
                            start_time: start.toISO(),
                            end_time: end.toISO(),
                            period,
                            types: ["mean", "min", "max", "state"],
                        },
                        instanceId
                    );
                } catch (error) {
                    logger.debug("statistics unavailable", instanceId, error);
                    return;
                }
                for (const series of list) {
                    const rows = stats && stats[series.entity_id];
                    if (rows && rows.length) {
                        series.points = statisticsToPoints(rows);
                        series.source = "statistics";
                    }
                }
            })
        );
    }

    async setRange(range) {
        this.range = range;
        await this.load();
    }

    setDisplayMode(mode) {
        this.displayMode = mode;
        this.notify();
    }

    /** New rows for `entityIds`: fetch only the tail since the last load and append. */
    async appendLive(entityIds) {
        const ids = entityIds.filter((id) => this.entityIds.includes(id));
        if (!ids.length || this._appending || !this.data.end) {
            return false;
        }
        this._appending = true;
        try {
            const from = DateTime.fromISO(this.data.end, {zone: "utc"});
            const {start, end} = this.window();
            const fresh = await this.orm.call("ha.entity.history", "get_chart_data", [
                ids,
                serializeDateTime(from),
                serializeDateTime(end),
                this.maxPoints,
            ]);
            mergeSeries(this.data.series, fresh.series || []);
            this.data = {
                ...this.data,
                start: start.toISO(),
                end: fresh.end || end.toISO(),
            };
            this.notify();
            return true;
        } finally {
            this._appending = false;
        }
    }
}
