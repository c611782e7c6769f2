import {registry} from "@web/core/registry";
import {
    noBrokenTextStep,
    queuedPushes,
} from "@odoo_ha_addon/../tests/tours/ha_tour_utils";

const LIVE = ".o_ha_portal_live[data-entity-id='light.kitchen_lights']";

/**
 * A portal user opens /my/ha, then the light shared with them, and toggles it.
 * The Python test echoes the call as Home Assistant would (a state_changed with
 * brightness 123, which no optimistic update shows). Tests have no websocket
 * (Odoo disables it in test mode): the tour reads the queued pushes of the
 * user's channels and hands them to the portal's `ha_data` as the bus would.
 */
registry.category("web_tour.tours").add("odoo_ha_addon_portal_tour", {
    url: "/my/ha",
    steps: () => [
        {
            content: "Open the shared home",
            trigger: ".o_ha_portal_instance:contains('Casa Alfa')",
            run: "click",
        },
        {
            content: "Open the shared light",
            trigger: "a:contains('light.kitchen_lights')",
            run: "click",
        },
        noBrokenTextStep("the entity page"),
        {
            content: "Mark the page: a reload would lose the mark",
            trigger: `${LIVE} .o_odoo_ha_addon_toggle:not(:checked)`,
            run() {
                window.odooHaPortalTourMark = true;
            },
        },
        {
            content: "Toggle the light",
            trigger: `${LIVE} .o_odoo_ha_addon_toggle`,
            run: "click",
        },
        {
            content: "Deliver the pushes the server queued for this user",
            trigger: `${LIVE} .o_odoo_ha_addon_toggle:checked`,
            async run() {
                const pushes = await queuedPushes("ha_portal_state");
                const ours = pushes.filter(({payload}) =>
                    payload.changes.some(
                        (change) => change.entity_id === "light.kitchen_lights"
                    )
                );
                if (!ours.length) {
                    throw new Error("the server queued no push about the light");
                }
                const haData = odoo.__WOWL_DEBUG__.root.env.services.ha_data;
                for (const {payload} of pushes) {
                    haData.onPush(payload);
                }
            },
        },
        {
            content: "The light follows Home Assistant's state, without a reload",
            trigger: `${LIVE} input[data-action='brightness']`,
            run() {
                const value = document.querySelector(
                    `${LIVE} input[data-action='brightness']`
                ).value;
                if (value !== "123") {
                    throw new Error(`brightness reads ${value}, not 123`);
                }
                if (!window.odooHaPortalTourMark) {
                    throw new Error("the page was reloaded");
                }
            },
        },
    ],
});
