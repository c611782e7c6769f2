/**
 * HaBusBridge: the one place that listens to the Odoo bus for Home Assistant
 * notifications. Mounted once at the web client's root (`main_components`), it
 * subscribes to every HA notification type and forwards each message to `ha_data`,
 * which updates its cache and calls the components' callbacks.
 *
 * The server alone decides which HA bus channels this user listens to; when a
 * right changes (an entity group gained or lost them), it pushes
 * `CHANNELS_CHANGED` and the bridge asks for the channel list again.
 */
import {Component, onWillDestroy} from "@odoo/owl";
import {registry} from "@web/core/registry";
import {useService} from "@web/core/utils/hooks";
import {HA_BUS_TYPES} from "@odoo_ha_addon/services/ha_data_service";
import {createLogger} from "@odoo_ha_addon/util/debug";

const logger = createLogger("bus");

/** Pushed when the server's list of this user's HA channels changed. */
export const CHANNELS_CHANGED = "ha_channels_changed";

/**
 * Subscribe `haData` to every HA type of `busService`, and the channel refresh;
 * returns the function that unsubscribes them all.
 */
export function connectHaBus(busService, haData) {
    const handlers = HA_BUS_TYPES.map((type) => {
        const handler = (payload) => {
            logger.debug(type, payload);
            haData.handleBusNotification(type, payload);
        };
        busService.subscribe(type, handler);
        return [type, handler];
    });
    const refresh = () => {
        logger.debug(CHANNELS_CHANGED);
        busService.forceUpdateChannels();
    };
    busService.subscribe(CHANNELS_CHANGED, refresh);
    handlers.push([CHANNELS_CHANGED, refresh]);
    busService.start();
    return () => {
        for (const [type, handler] of handlers) {
            busService.unsubscribe(type, handler);
        }
    };
}

export class HaBusBridge extends Component {
    static template = "odoo_ha_addon.HaBusBridge";
    static props = {};

    setup() {
        const disconnect = connectHaBus(
            useService("bus_service"),
            useService("ha_data")
        );
        onWillDestroy(disconnect);
    }
}

registry.category("main_components").add("odoo_ha_addon.HaBusBridge", {
    Component: HaBusBridge,
});
