import {registry} from "@web/core/registry";
import {rpc} from "@web/core/network/rpc";
import {noBrokenTextStep} from "@odoo_ha_addon/../tests/tours/ha_tour_utils";

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
                // last = -1: every message of the user's channels, however old.
                const {notifications} = await rpc("/websocket/peek_notifications", {
                    channels: [],
                    last: -1,
                    is_first_poll: true,
                });
                const pushes = notifications
                    .map(({message}) => message)
                    .filter(({type}) => type === "ha_websocket_status");
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
