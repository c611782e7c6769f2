/**
 * Helpers shared by this addon's tours.
 */
import {rpc} from "@web/core/network/rpc";

/** Where raw JSON is shown as is: "null" is a value there, not a rendering bug. */
export const RAW_JSON_SELECTOR =
    "pre, code, .o_odoo_ha_addon_attributes, .o_field_widget[name='attributes']";

// Visible text a value rendered without formatting leaves behind.
const BROKEN_TEXT = [/\[object Object\]/, /\bundefined\b/, /\bNaN\b/];
const NULL_TEXT = /\bnull\b/;

/**
 * The rendering bugs visible on the page: "[object Object]", "undefined" or
 * "NaN" anywhere, "null" outside raw JSON views. Returns the lines that hold
 * them (empty when the page is clean).
 */
export function findBrokenText(root = document.body) {
    const raw = new Set(
        [...root.querySelectorAll(RAW_JSON_SELECTOR)].map((el) => el.innerText.trim())
    );
    const lines = root.innerText.split("\n").map((line) => line.trim());
    return lines.filter(
        (line) =>
            BROKEN_TEXT.some((re) => re.test(line)) ||
            (NULL_TEXT.test(line) && ![...raw].some((text) => text.includes(line)))
    );
}

/**
 * A tour step that fails when the page shows broken text (see `findBrokenText`).
 * Put one after each step that shows a new page or pushes new data.
 */
export function noBrokenTextStep(where = "the page") {
    return {
        content: `No "[object Object]", "undefined", "NaN" or "null" on ${where}`,
        trigger: "body",
        run() {
            const broken = findBrokenText();
            if (broken.length) {
                throw new Error(`Broken text on ${where}: ${JSON.stringify(broken)}`);
            }
        },
    };
}

/** The steps that open the History menu and wait for its chart. */
export function openHistorySteps() {
    return [
        {
            content: "Open the History menu",
            trigger: ".o_main_navbar [data-menu-xmlid='odoo_ha_addon.menu_ha_history']",
            run: "click",
        },
        {
            content: "A history chart is drawn",
            trigger:
                ".o_odoo_ha_addon_hahistory_view .o_odoo_ha_addon_history_chart canvas",
        },
    ];
}

/**
 * The messages of `type` queued for the user's bus channels, however old (tests
 * have no websocket: Odoo disables it in test mode).
 */
export async function queuedPushes(type) {
    const {notifications} = await rpc("/websocket/peek_notifications", {
        channels: [],
        last: -1,
        is_first_poll: true,
    });
    return notifications.map(({message}) => message).filter((m) => m.type === type);
}

/**
 * A tour step that hands the bus messages of `type` queued for the user to
 * `ha_data`, as the bus bridge would.
 */
export function deliverQueuedPushesStep(type, trigger = "body") {
    return {
        content: `Deliver the ${type} pushes the server queued`,
        trigger,
        async run() {
            const pushes = await queuedPushes(type);
            if (!pushes.length) {
                throw new Error(`the server queued no ${type} message`);
            }
            const haData = odoo.__WOWL_DEBUG__.root.env.services.ha_data;
            for (const push of pushes) {
                haData.handleBusNotification(push.type, push.payload);
            }
        },
    };
}
