import {registry} from "@web/core/registry";
import {
    noBrokenTextStep,
    openHistorySteps,
} from "@odoo_ha_addon/../tests/tours/ha_tour_utils";

/**
 * Dashboard → entity kanban → toggle a light → history chart.
 * Needs (created by the Python test): an active, configured `ha.instance` visible
 * to the user, a light entity `light.tour_lamp` (state "off", enable_record) on it
 * and history rows of that light in the last 24 hours; `call_service` answering
 * success (simulator or a patched transport).
 */
registry.category("web_tour.tours").add("odoo_ha_addon_dashboard_tour", {
    url: "/odoo/ha-dashboard",
    steps: () => [
        {
            content: "The dashboard shows an instance card",
            trigger: ".o_odoo_ha_addon_dashboard .o_odoo_ha_addon_instance_card",
        },
        noBrokenTextStep("the dashboard"),
        {
            content: "Open the entities",
            trigger: ".o_odoo_ha_addon_open_entities",
            run: "click",
        },
        {
            content: "The lamp card is a live controller, off",
            trigger:
                ".o_kanban_record [data-entity-id='light.tour_lamp'] .o_odoo_ha_addon_state:contains('Off')",
        },
        noBrokenTextStep("the entity kanban"),
        {
            content: "Toggle the lamp",
            trigger:
                ".o_kanban_record [data-entity-id='light.tour_lamp'] .o_odoo_ha_addon_toggle",
            run: "click",
        },
        {
            content: "The card shows the lamp on",
            trigger:
                ".o_kanban_record [data-entity-id='light.tour_lamp'] .o_odoo_ha_addon_state:contains('On')",
        },
        ...openHistorySteps(),
        noBrokenTextStep("the history"),
    ],
});
