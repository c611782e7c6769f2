/**
 * The hahistory model: which entities match the search, and their history in the
 * chosen window, downsampled by the server (`ha.entity.history.get_chart_data`).
 */
import {serializeDateTime} from "@web/core/l10n/dates";
import {Model} from "@web/model/model";
import {mergeSeries} from "@odoo_ha_addon/components/charts/unified_chart/chart_data";

const {DateTime} = luxon;

export const RANGES = {
    "1h": {hours: 1},
    "6h": {hours: 6},
    "24h": {hours: 24},
    "7d": {days: 7},
    "30d": {days: 30},
};

export class HaHistoryModel extends Model {
    setup(params, {orm}) {
        this.orm = orm;
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
        this.notify();
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
