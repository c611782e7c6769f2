/**
 * The hahistory controller: search bar, the time window and display-mode buttons,
 * and live updates (new history rows are appended; a full sync or an instance
 * switch reloads).
 */
import {Component, useState} from "@odoo/owl";
import {_t} from "@web/core/l10n/translation";
import {useBus} from "@web/core/utils/hooks";
import {useModel} from "@web/model/model";
import {CogMenu} from "@web/search/cog_menu/cog_menu";
import {Layout} from "@web/search/layout";
import {SearchBar} from "@web/search/search_bar/search_bar";
import {useSearchBarToggler} from "@web/search/search_bar/search_bar_toggler";
import {standardViewProps} from "@web/views/standard_view_props";
import {RANGES} from "@odoo_ha_addon/views/hahistory/hahistory_model";
import {useHaGlobalState} from "@odoo_ha_addon/util/use_ha_global_state";

/**
 * Controller of the `hahistory` view: the time window and display mode, and the
 * model's live updates (`history_update` appends; a full sync or switch reloads).
 */
export class HaHistoryController extends Component {
    static template = "odoo_ha_addon.HaHistoryController";
    static components = {Layout, SearchBar, CogMenu};
    static props = {
        ...standardViewProps,
        Model: Function,
        Renderer: Function,
        archInfo: Object,
    };

    setup() {
        const {archInfo, context} = this.props;
        this.model = useModel(this.props.Model, {
            domains: archInfo.domains,
            limit: archInfo.limit,
            maxPoints: archInfo.maxPoints,
            displayMode: context.hahistory_display_mode || archInfo.displayMode,
            range: context.hahistory_range || "24h",
        });
        this.state = useState({range: this.model.range, mode: this.model.displayMode});
        useBus(this.model.bus, "update", () => this.render(true));
        this.searchBarToggler = useSearchBarToggler();
        this.ranges = Object.keys(RANGES);
        this.rangeLabels = {
            "1h": _t("1h"),
            "6h": _t("6h"),
            "24h": _t("24h"),
            "7d": _t("7d"),
            "30d": _t("30d"),
        };
        this.modes = [
            ["separate", _t("Separate")],
            ["combined", _t("Combined")],
        ];
        useHaGlobalState("history_update", (payload) =>
            this.model.appendLive(payload.entity_ids || [])
        );
        useHaGlobalState(["entity_update_all", "instance_switched"], () =>
            this.model.load()
        );
    }

    async setRange(range) {
        this.state.range = range;
        await this.model.setRange(range);
    }

    setMode(mode) {
        this.state.mode = mode;
        this.model.setDisplayMode(mode);
    }
}
