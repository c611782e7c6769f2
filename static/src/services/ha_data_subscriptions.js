/**
 * The callbacks `ha_data` calls on bus pushes: per entity, keyed by
 * (instance, entity_id), and per global event (`GLOBAL_EVENTS`).
 * Components use them through `useEntityControl` and `useHaGlobalState`.
 */
import {createLogger} from "@odoo_ha_addon/util/debug";

/** Events of `onGlobalState`. */
export const GLOBAL_EVENTS = [
    "websocket_status",
    "history_update",
    "entity_update_all",
    "device_registry_update",
    "area_registry_update",
    "instance_invalidated",
    "instance_fallback",
    "instance_switched",
];

const logger = createLogger("data");

/** Call every callback; one that throws is logged and does not stop the others. */
function callAll(callbacks, args, what) {
    for (const callback of [...(callbacks || [])]) {
        try {
            callback(...args);
        } catch (error) {
            logger.error(`callback of ${what} failed`, error);
        }
    }
}

/** The entity and global-event callback registries of `ha_data`. */
export class HaSubscriptions {
    constructor() {
        this._entityCallbacks = new Map(); // "instance:entity_id" → Set(cb)
        this._globalCallbacks = new Map(); // event → Set(cb)
    }

    _entityKey(instanceId, entityId) {
        return `${Number(instanceId) || 0}:${entityId}`;
    }

    /** @returns {() => void} the unsubscribe function */
    onEntityUpdate(instanceId, entityId, callback) {
        const key = this._entityKey(instanceId, entityId);
        if (!this._entityCallbacks.has(key)) {
            this._entityCallbacks.set(key, new Set());
        }
        this._entityCallbacks.get(key).add(callback);
        return () => this.offEntityUpdate(instanceId, entityId, callback);
    }

    offEntityUpdate(instanceId, entityId, callback) {
        const key = this._entityKey(instanceId, entityId);
        const callbacks = this._entityCallbacks.get(key);
        if (callbacks) {
            callbacks.delete(callback);
            if (!callbacks.size) {
                this._entityCallbacks.delete(key);
            }
        }
    }

    /** Call the callbacks of one entity with `(change, instanceId)`. */
    triggerEntityCallbacks(instanceId, change) {
        const key = this._entityKey(instanceId, change.entity_id);
        callAll(this._entityCallbacks.get(key), [change, instanceId], key);
    }

    /**
     * @param {string} event one of `GLOBAL_EVENTS` (anything else throws)
     * @returns {() => void} the unsubscribe function
     */
    onGlobalState(event, callback) {
        if (!GLOBAL_EVENTS.includes(event)) {
            throw new Error(`Unknown Home Assistant event: ${event}`);
        }
        if (!this._globalCallbacks.has(event)) {
            this._globalCallbacks.set(event, new Set());
        }
        this._globalCallbacks.get(event).add(callback);
        return () => this.offGlobalState(event, callback);
    }

    offGlobalState(event, callback) {
        this._globalCallbacks.get(event)?.delete(callback);
    }

    triggerGlobalCallbacks(event, data) {
        callAll(this._globalCallbacks.get(event), [data], event);
    }

    clear() {
        this._entityCallbacks.clear();
        this._globalCallbacks.clear();
    }
}
