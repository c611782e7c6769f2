/**
 * How `ha_data` reacts to the Home Assistant bus notifications that `HaBusBridge`
 * forwards: which cache entries are dropped, which state changes, which toast is
 * shown and which callbacks run. The methods are installed on `HaDataService`
 * (see `ha_data_service.js`), so `this` is the service.
 */
import {browser} from "@web/core/browser/browser";
import {_t} from "@web/core/l10n/translation";
import {user} from "@web/core/user";
import {
    INSTANCES_KEY,
    REGISTRY_KEYS,
    STATE_KEYS,
} from "@odoo_ha_addon/services/ha_data_cache";
import {createLogger} from "@odoo_ha_addon/util/debug";

export const SWITCH_DEBOUNCE_MS = 300;

/** Bus notification type → handler method of the service. */
export const BUS_HANDLERS = {
    ha_entity_state_changed: "handleEntityStateChanged",
    ha_websocket_status: "handleWebsocketStatus",
    ha_history_update: "handleHistoryUpdate",
    ha_entity_update_all: "handleEntityUpdateAll",
    ha_device_registry_update: "handleDeviceRegistryUpdate",
    ha_area_registry_update: "handleAreaRegistryUpdate",
    ha_instance_invalidated: "handleInstanceInvalidated",
    ha_instance_fallback: "handleInstanceFallback",
    ha_instance_switched: "handleInstanceSwitched",
};
/** Every bus notification type the bridge subscribes to. */
export const HA_BUS_TYPES = Object.keys(BUS_HANDLERS);

const logger = createLogger("data");

/** The instance a push is about (`ha_instance_id` or `instance_id`), or false. */
function instanceOf(payload) {
    const id = payload?.ha_instance_id ?? payload?.instance_id;
    return id ? Number(id) : false;
}

/**
 * A status push's fields with `status` as the state string ("connected"...), or
 * false. A server that nested the whole status dict in `status` is unwrapped,
 * so no badge ever shows an object.
 */
export function websocketStatusFields(payload) {
    let fields = payload || {};
    while (fields.status && typeof fields.status === "object") {
        fields = {...fields, ...fields.status};
    }
    return {...fields, status: typeof fields.status === "string" && fields.status};
}

/** Methods of `HaDataService`; `this` is the service. */
export const busHandlerMethods = {
    /**
     * Dispatch one bus notification to its handler.
     *
     * @param {string} type one of `HA_BUS_TYPES`
     * @param {object} payload the notification's payload
     * @returns {boolean} false when `type` is not a Home Assistant notification
     */
    handleBusNotification(type, payload) {
        const method = BUS_HANDLERS[type];
        if (!method) {
            return false;
        }
        logger.debug(type, payload);
        try {
            this[method](payload || {});
        } catch (error) {
            logger.error(`handling ${type} failed`, error);
        }
        return true;
    },

    handleEntityStateChanged(payload) {
        const instanceId = instanceOf(payload);
        this.invalidate(instanceId, STATE_KEYS);
        for (const change of payload.changes || payload.entities || []) {
            this._subscriptions.triggerEntityCallbacks(instanceId, change);
        }
    },

    handleWebsocketStatus(rawPayload) {
        const payload = websocketStatusFields(rawPayload);
        const instanceId = instanceOf(payload);
        this.state.websocketStatus[instanceId] = {
            status: payload.status,
            message: typeof payload.message === "string" ? payload.message : "",
            ha_version: payload.ha_version || false,
            since: payload.since || payload.timestamp || false,
        };
        this.invalidate(false, INSTANCES_KEY);
        this.triggerGlobalCallbacks("websocket_status", {...payload, instanceId});
    },

    handleHistoryUpdate(payload) {
        const instanceId = instanceOf(payload);
        this.invalidate(instanceId, /^(history|statistics)/);
        this.triggerGlobalCallbacks("history_update", {...payload, instanceId});
    },

    handleEntityUpdateAll(payload) {
        const instanceId = instanceOf(payload);
        this.invalidate(instanceId);
        this.invalidate(false, INSTANCES_KEY);
        this.triggerGlobalCallbacks("entity_update_all", {...payload, instanceId});
    },

    handleDeviceRegistryUpdate(payload) {
        const instanceId = instanceOf(payload);
        this.invalidate(instanceId, REGISTRY_KEYS);
        this.triggerGlobalCallbacks("device_registry_update", {...payload, instanceId});
    },

    handleAreaRegistryUpdate(payload) {
        const instanceId = instanceOf(payload);
        this.invalidate(instanceId, REGISTRY_KEYS);
        this.invalidate(false, INSTANCES_KEY);
        this.triggerGlobalCallbacks("area_registry_update", {...payload, instanceId});
    },

    /** The session's instance is gone: forget it, re-resolve, warn once per instance. */
    handleInstanceInvalidated(payload) {
        const instanceId = Number(payload.instance_id) || false;
        this.invalidate(instanceId);
        this.invalidate(false, INSTANCES_KEY);
        if (!instanceId || this.state.currentInstanceId === instanceId) {
            this.state.currentInstanceId = false;
        }
        if (instanceId && !this._warnedInvalid.has(instanceId)) {
            this._warnedInvalid.add(instanceId);
            this.showWarning(
                _t(
                    "The Home Assistant instance you were using is no longer available. Another instance is selected."
                )
            );
        }
        this.triggerGlobalCallbacks("instance_invalidated", {...payload, instanceId});
        this.resolveCurrentInstance().catch((error) =>
            logger.warn("cannot resolve the current instance", error)
        );
    },

    /** The server moved this user to another instance (theirs became unusable). */
    handleInstanceFallback(payload) {
        if (payload.user_id && payload.user_id !== user.userId) {
            return;
        }
        const to = Number(payload.to_instance_id) || false;
        this.invalidate(false);
        this.state.currentInstanceId = to;
        if (to) {
            this.showInfo(
                _t(
                    "Now using the Home Assistant instance “%s”.",
                    payload.to_instance_name
                )
            );
        }
        this.triggerGlobalCallbacks("instance_fallback", {...payload, instanceId: to});
    },

    /**
     * Another tab (of this user only) switched instance. Several pushes within
     * SWITCH_DEBOUNCE_MS collapse into one, and the *latest* one wins.
     */
    handleInstanceSwitched(payload) {
        if (payload.user_id && payload.user_id !== user.userId) {
            return;
        }
        this._pendingSwitch = payload;
        if (this._switchTimer) {
            browser.clearTimeout(this._switchTimer);
        }
        this._switchTimer = browser.setTimeout(() => {
            const latest = this._pendingSwitch;
            this._switchTimer = null;
            this._pendingSwitch = null;
            this._applySwitch(Number(latest.instance_id), latest.instance_name);
        }, SWITCH_DEBOUNCE_MS);
    },

    /** Make `instanceId` current (once: this tab's own switch comes back by bus). */
    _applySwitch(instanceId, instanceName) {
        if (this.state.currentInstanceId === instanceId) {
            return;
        }
        this.state.currentInstanceId = instanceId;
        this.invalidate(false);
        this.triggerGlobalCallbacks("instance_switched", {instanceId, instanceName});
    },
};
