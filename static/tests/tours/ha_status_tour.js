import {registry} from "@web/core/registry";
import {
    deliverQueuedPushesStep,
    noBrokenTextStep,
} from "@odoo_ha_addon/../tests/tours/ha_tour_utils";

const BADGE = ".o_odoo_ha_addon_instance_card .o_odoo_ha_addon_status";

/**
 * A connection status push while the dashboard is open turns the badge to
 * "Connected". Needs (made by the Python test): one instance whose stored status
 * reads disconnected, and the bus message `ha.instance._ha_set_ws_status`
 * queued for the user. Tests have no websocket (Odoo disables it in test mode):
 * the tour reads the queued message from the bus table and hands it to `ha_data`
 * as the bus bridge would.
 */
registry.category("web_tour.tours").add("odoo_ha_addon_status_tour", {
    url: "/odoo/ha-dashboard",
    steps: () => [
        {
            content: "The badge shows the stored status",
            trigger: `${BADGE}:contains('Disconnected')`,
        },
        noBrokenTextStep("the dashboard"),
        deliverQueuedPushesStep("ha_websocket_status", BADGE),
        {
            content: "The badge reads Connected",
            trigger: `${BADGE}.text-bg-success`,
            run() {
                const text = document.querySelector(BADGE).textContent.trim();
                if (text !== "Connected") {
                    throw new Error(`the badge reads "${text}", not "Connected"`);
                }
            },
        },
        noBrokenTextStep("the dashboard after the status push"),
    ],
});
