import {registry} from "@web/core/registry";
import {
    deliverQueuedPushesStep,
    noBrokenTextStep,
} from "@odoo_ha_addon/../tests/tours/ha_tour_utils";

const CPU = "[data-group='cpu'] [data-entity-id='sensor.home_server_cpu_usage']";

/**
 * The HA info panel of the synced demo home, then its Glances host's dashboard,
 * which a state push updates. Needs (made by the Python test): the demo home
 * synced, and a queued `ha_entity_state_changed` push of the host's CPU usage
 * to 87.5 % while the mirror still reads 12.5 %. Tests have no websocket: the
 * tour reads the queued message from the bus table and hands it to `ha_data`
 * as the bus bridge would.
 */
registry.category("web_tour.tours").add("odoo_ha_addon_glances_tour", {
    url: "/odoo/ha-dashboard",
    steps: () => [
        {
            content: "Open the HA info panel",
            trigger: ".o_odoo_ha_addon_show_info",
            run: "click",
        },
        {
            content: "HA's internal URL is shown",
            trigger:
                ".o_odoo_ha_addon_info_panel:contains('Internal URL'):contains('http')",
        },
        {
            content: "No Supervisor in the simulator: the panels say so",
            trigger: ".o_odoo_ha_addon_no_supervisor:contains('Supervisor')",
        },
        noBrokenTextStep("the HA info panel"),
        {
            content: "Open the Glances host's dashboard",
            trigger:
                ".o_odoo_ha_addon_glances_device:contains('Home Server') .o_odoo_ha_addon_open_glances",
            run: "click",
        },
        {
            content: "The CPU usage is the stored one",
            trigger: `${CPU}:contains('12.5 %')`,
        },
        {
            content: "Memory, disk, network and temperature groups",
            trigger:
                ".o_odoo_ha_addon_glances_dashboard:has([data-group='memory']):has([data-group='disk']):has([data-group='network']):has([data-group='class_temperature'])",
        },
        noBrokenTextStep("the Glances dashboard"),
        deliverQueuedPushesStep("ha_entity_state_changed", CPU),
        {
            content: "The CPU usage follows the push",
            trigger: `${CPU}:contains('87.5 %') .progress-bar.bg-warning`,
        },
        noBrokenTextStep("the Glances dashboard after the push"),
    ],
});
