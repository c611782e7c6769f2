import {registry} from "@web/core/registry";
import {
    noBrokenTextStep,
    queuedPushes,
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
        {
            content: "Deliver the status push the server queued",
            trigger: BADGE,
            async run() {
                const pushes = await queuedPushes("ha_websocket_status");
                if (!pushes.length) {
                    throw new Error("the server queued no ha_websocket_status message");
                }
                const haData = odoo.__WOWL_DEBUG__.root.env.services.ha_data;
                for (const {type, payload} of pushes) {
                    haData.handleBusNotification(type, payload);
                }
            },
        },
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
