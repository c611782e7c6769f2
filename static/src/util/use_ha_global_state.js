/**
 * `useHaGlobalState`: a component's subscription to global Home Assistant events of
 * the `ha_data` service (websocket status, history, full reloads, registry and
 * instance events), bound to the component's life.
 */
import {onWillDestroy} from "@odoo/owl";
import {useService} from "@web/core/utils/hooks";

/**
 * Subscribe the calling component to one or several global events of `ha_data`
 * (see `GLOBAL_EVENTS`) for as long as it lives.
 *
 * The subscription is made at once (during `setup`), so an event pushed while the
 * component is still loading reaches it, and is removed in `onWillDestroy`, which
 * also runs for a component destroyed before it was ever mounted.
 *
 * @param {string|string[]} events a global event name, or a list of them
 * @param {(payload: object, event: string) => void} callback called with the
 *      event's payload (`instanceId` included) and the event's name
 * @returns {() => void} unsubscribes before destruction (optional: destruction
 *      unsubscribes anyway)
 */
export function useHaGlobalState(events, callback) {
    const haData = useService("ha_data");
    const offs = [];
    const unsubscribe = () => {
        for (const off of offs.splice(0)) {
            off();
        }
    };
    // Registered first: should an unknown event name throw below, the events
    // already subscribed are still released with the component.
    onWillDestroy(unsubscribe);
    for (const event of [events].flat()) {
        offs.push(haData.onGlobalState(event, (payload) => callback(payload, event)));
    }
    return unsubscribe;
}
