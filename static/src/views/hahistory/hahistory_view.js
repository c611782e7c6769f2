/** The `hahistory` view type: history of Home Assistant entities as charts. */
import {registry} from "@web/core/registry";
import {HaHistoryArchParser} from "@odoo_ha_addon/views/hahistory/hahistory_arch_parser";
import {HaHistoryController} from "@odoo_ha_addon/views/hahistory/hahistory_controller";
import {HaHistoryModel} from "@odoo_ha_addon/views/hahistory/hahistory_model";
import {HaHistoryRenderer} from "@odoo_ha_addon/views/hahistory/hahistory_renderer";

export const haHistoryView = {
    type: "hahistory",
    ArchParser: HaHistoryArchParser,
    Controller: HaHistoryController,
    Model: HaHistoryModel,
    Renderer: HaHistoryRenderer,
    searchMenuTypes: ["filter", "favorite"],
    props: (genericProps, view) => ({
        ...genericProps,
        archInfo: new view.ArchParser().parse(genericProps.arch),
        Model: view.Model,
        Renderer: view.Renderer,
    }),
};

registry.category("views").add("hahistory", haHistoryView);
