/**
 * HaDataService (`ha_data`): the single data layer of the Home Assistant web client.
 *
 * - every request goes through the addon's JSON routes (`/odoo_ha_addon/<route>`);
 * - answers are cached per instance with a TTL and dropped when the bus says the data
 *   changed;
 * - components subscribe to one entity by (instance, entity_id) or to global events
 *   (websocket status, history, full reloads, registry and instance events);
 * - the bus bridge (`ha_bus_bridge.js`) feeds `handleBusNotification`.
 */
import {reactive} from "@odoo/owl";
import {browser} from "@web/core/browser/browser";
import {_t} from "@web/core/l10n/translation";
import {rpc} from "@web/core/network/rpc";
import {registry} from "@web/core/registry";
import {user} from "@web/core/user";
import {createLogger} from "@odoo_ha_addon/util/debug";

export const ROUTE_PREFIX = "/odoo_ha_addon/";
export const CACHE_TTL_MS = 30000;
export const SWITCH_DEBOUNCE_MS = 300;
/** Cache scope of data that belongs to no single instance (the instance list). */
export const GLOBAL_SCOPE = "global";

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
export const HA_BUS_TYPES = Object.keys(BUS_HANDLERS);

/** Cache keys holding entity states: dropped when a state of the instance changes. */
const STATE_KEYS = /^(ha_data|area_dashboard|entities_by_area)/;
const REGISTRY_KEYS = /^(areas|area_dashboard|entities_by_area|entity_related|ha_data)/;

const logger = createLogger("data");

/** A failed route answer (`{success: false, error, error_type}`). */
export class HaApiError extends Error {
    constructor(message, errorType) {
        super(message);
        this.name = "HaApiError";
        this.errorType = errorType || "ha_error";
    }
}

function instanceOf(payload) {
    const id = payload?.ha_instance_id ?? payload?.instance_id;
    return id ? Number(id) : false;
}

export class HaDataService {
    constructor(env, {notification}) {
        this.env = env;
        this.notification = notification;
        /** Reactive part: components may read it in their templates. */
        this.state = reactive({
            currentInstanceId: false,
            websocketStatus: {},
        });
        this.cacheTtl = CACHE_TTL_MS;
        this._cache = new Map(); // scope → Map(key → {value, expires})
        this._entityCallbacks = new Map(); // "instance:entity_id" → Set(cb)
        this._globalCallbacks = new Map(); // event → Set(cb)
        this._warnedInvalid = new Set();
        this._switchTimer = null;
        this._pendingSwitch = null;
    }

    // -- notifications ---------------------------------------------------------

    showSuccess(message, title) {
        return this.notification.add(message, {type: "success", title});
    }
    showError(message, title) {
        return this.notification.add(message, {type: "danger", title});
    }
    showWarning(message, title) {
        return this.notification.add(message, {type: "warning", title});
    }
    showInfo(message, title) {
        return this.notification.add(message, {type: "info", title});
    }

    // -- cache -------------------------------------------------------------------

    _scope(instanceId) {
        return instanceId ? String(instanceId) : GLOBAL_SCOPE;
    }

    getCached(instanceId, key) {
        const entry = this._cache.get(this._scope(instanceId))?.get(key);
        if (!entry) {
            return undefined;
        }
        if (entry.expires <= Date.now()) {
            this._cache.get(this._scope(instanceId)).delete(key);
            return undefined;
        }
        return entry.value;
    }

    setCached(instanceId, key, value) {
        const scope = this._scope(instanceId);
        if (!this._cache.has(scope)) {
            this._cache.set(scope, new Map());
        }
        this._cache.get(scope).set(key, {value, expires: Date.now() + this.cacheTtl});
    }

    /**
     * Drop cached data: a whole instance, or only its keys matching `pattern`.
     * Without an instance, every scope is cleared.
     */
    invalidate(instanceId, pattern) {
        const scopes = instanceId ? [this._scope(instanceId)] : [...this._cache.keys()];
        for (const scope of scopes) {
            const entries = this._cache.get(scope);
            if (!entries) {
                continue;
            }
            if (!pattern) {
                this._cache.delete(scope);
                continue;
            }
            for (const key of [...entries.keys()]) {
                if (pattern.test(key)) {
                    entries.delete(key);
                }
            }
        }
    }

    async _cached(instanceId, key, loader) {
        const hit = this.getCached(instanceId, key);
        if (hit !== undefined) {
            return hit;
        }
        const value = await loader();
        this.setCached(instanceId, key, value);
        return value;
    }

    // -- requests ----------------------------------------------------------------

    /**
     * Call a route; resolves `data` or throws `HaApiError`. An instance error on
     * the session's instance triggers the re-resolution of the current instance.
     */
    async call(route, params = {}, {silent = true} = {}) {
        const result = await rpc(ROUTE_PREFIX + route, params);
        if (result && result.success === false) {
            const error = new HaApiError(
                result.error || _t("Request failed"),
                result.error_type
            );
            if (
                ["instance_not_found", "instance_inactive"].includes(error.errorType) &&
                !params.ha_instance_id &&
                this.state.currentInstanceId
            ) {
                this.handleInstanceInvalidated({
                    instance_id: this.state.currentInstanceId,
                    reason: error.errorType,
                });
            }
            if (!silent) {
                this.showError(error.message);
            }
            throw error;
        }
        return result && "data" in result ? result.data : result;
    }

    _params(instanceId, extra = {}) {
        const params = {...extra};
        if (instanceId) {
            params.ha_instance_id = instanceId;
        }
        return params;
    }

    async getInstances({force = false} = {}) {
        if (force) {
            this.invalidate(false, /^instances$/);
        }
        const data = await this._cached(false, "instances", () =>
            this.call("get_instances")
        );
        const instances = Array.isArray(data) ? data : data?.instances || [];
        const current = Array.isArray(data) ? false : data?.current_instance_id;
        if (current) {
            this.state.currentInstanceId = current;
        }
        return {instances, current_instance_id: current || false};
    }

    /** The current instance id, asked from the server when not yet known. */
    async resolveCurrentInstance() {
        if (!this.state.currentInstanceId) {
            const {instances, current_instance_id} = await this.getInstances({
                force: true,
            });
            this.state.currentInstanceId =
                current_instance_id || (instances[0] && instances[0].id) || false;
        }
        return this.state.currentInstanceId;
    }

    async switchInstance(instanceId) {
        const data = await this.call("switch_instance", {instance_id: instanceId});
        this._applySwitch(instanceId, data && data.instance_name);
        return data;
    }

    getWebsocketStatus(instanceId) {
        return this.call("websocket_status", this._params(instanceId));
    }

    async restartWebsocket(instanceId, force = false) {
        const data = await this.call(
            "websocket_restart",
            this._params(instanceId, {force}),
            {silent: false}
        );
        this.showSuccess((data && data.message) || _t("WebSocket service restarted"));
        return data;
    }

    getHaUrls(instanceId) {
        return this._cached(instanceId, "ha_urls", () =>
            this.call("ha_urls", this._params(instanceId))
        );
    }

    getHardwareInfo(instanceId) {
        return this._cached(instanceId, "hardware_info", () =>
            this.call("hardware_info", this._params(instanceId))
        );
    }

    getNetworkInfo(instanceId) {
        return this._cached(instanceId, "network_info", () =>
            this.call("network_info", this._params(instanceId))
        );
    }

    getAreas(instanceId) {
        return this._cached(instanceId, "areas", () =>
            this.call("areas", this._params(instanceId))
        );
    }

    getEntitiesByArea(areaId, instanceId) {
        return this._cached(instanceId, `entities_by_area_${areaId}`, () =>
            this.call("entities_by_area", this._params(instanceId, {area_id: areaId}))
        );
    }

    getAreaDashboardData(areaId, instanceId) {
        return this._cached(instanceId, `area_dashboard_${areaId || 0}`, () =>
            this.call(
                "area_dashboard_data",
                this._params(instanceId, {area_id: areaId || 0})
            )
        );
    }

    getEntityRelated(entityId, instanceId) {
        return this._cached(instanceId, `entity_related_${entityId}`, () =>
            this.call("entity_related", this._params(instanceId, {entity_id: entityId}))
        );
    }

    /** Entities and states, filtered by domain, area or entity ids. */
    fetchHaData({instanceId, domain, areaId, entityIds} = {}) {
        const params = this._params(instanceId);
        if (domain) {
            params.domain = domain;
        }
        if (areaId) {
            params.area_id = areaId;
        }
        if (entityIds) {
            params.entity_ids = entityIds;
        }
        const key = `ha_data_${JSON.stringify(params)}`;
        return this._cached(instanceId, key, () => this.call("ha_data", params));
    }

    fetchHistory(params = {}, instanceId = false) {
        const key = `history_${JSON.stringify(params)}`;
        return this._cached(instanceId, key, () =>
            this.call("history", this._params(instanceId, params))
        );
    }

    fetchStatistics(params = {}, instanceId = false) {
        const key = `statistics_${JSON.stringify(params)}`;
        return this._cached(instanceId, key, () =>
            this.call("statistics", this._params(instanceId, params))
        );
    }

    /** A camera's current image through the server: `{content_type, image}` (base64). */
    getCameraSnapshot(entityId, instanceId) {
        return this.call("camera_snapshot", {
            entity_id: entityId,
            ha_instance_id: instanceId,
        });
    }

    /**
     * Call a Home Assistant service on the entity's own instance. Throws on failure
     * (after a toast unless `silent`).
     */
    async callService(domain, service, serviceData, instanceId, {silent = false} = {}) {
        if (!instanceId) {
            throw new HaApiError(
                _t("No Home Assistant instance given"),
                "validation_error"
            );
        }
        try {
            const data = await this.call("call_service", {
                domain,
                service,
                service_data: serviceData || {},
                ha_instance_id: instanceId,
            });
            this.invalidate(instanceId, STATE_KEYS);
            return data;
        } catch (error) {
            if (!silent) {
                this.showError(error.message, _t("Home Assistant"));
            }
            throw error;
        }
    }

    // -- subscriptions -----------------------------------------------------------

    _entityKey(instanceId, entityId) {
        return `${Number(instanceId) || 0}:${entityId}`;
    }

    /** Subscribe to one entity's state pushes; returns the unsubscribe function. */
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
        for (const callback of [...(this._globalCallbacks.get(event) || [])]) {
            try {
                callback(data);
            } catch (error) {
                logger.error(`callback of ${event} failed`, error);
            }
        }
    }

    // -- bus handlers --------------------------------------------------------------

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
    }

    handleEntityStateChanged(payload) {
        const instanceId = instanceOf(payload);
        const changes = payload.changes || payload.entities || [];
        this.invalidate(instanceId, STATE_KEYS);
        for (const change of changes) {
            const callbacks = this._entityCallbacks.get(
                this._entityKey(instanceId, change.entity_id)
            );
            for (const callback of [...(callbacks || [])]) {
                try {
                    callback(change, instanceId);
                } catch (error) {
                    logger.error("entity callback failed", error);
                }
            }
        }
    }

    handleWebsocketStatus(payload) {
        const instanceId = instanceOf(payload);
        this.state.websocketStatus[instanceId] = {
            status: payload.status,
            message: payload.message || "",
            ha_version: payload.ha_version || false,
            since: payload.since || payload.timestamp || false,
        };
        this.invalidate(false, /^instances$/);
        this.triggerGlobalCallbacks("websocket_status", {...payload, instanceId});
    }

    handleHistoryUpdate(payload) {
        const instanceId = instanceOf(payload);
        this.invalidate(instanceId, /^(history|statistics)/);
        this.triggerGlobalCallbacks("history_update", {...payload, instanceId});
    }

    handleEntityUpdateAll(payload) {
        const instanceId = instanceOf(payload);
        this.invalidate(instanceId);
        this.invalidate(false, /^instances$/);
        this.triggerGlobalCallbacks("entity_update_all", {...payload, instanceId});
    }

    handleDeviceRegistryUpdate(payload) {
        const instanceId = instanceOf(payload);
        this.invalidate(instanceId, REGISTRY_KEYS);
        this.triggerGlobalCallbacks("device_registry_update", {...payload, instanceId});
    }

    handleAreaRegistryUpdate(payload) {
        const instanceId = instanceOf(payload);
        this.invalidate(instanceId, REGISTRY_KEYS);
        this.invalidate(false, /^instances$/);
        this.triggerGlobalCallbacks("area_registry_update", {...payload, instanceId});
    }

    /** The session's instance is gone: forget it, re-resolve, warn once per instance. */
    handleInstanceInvalidated(payload) {
        const instanceId = Number(payload.instance_id) || false;
        this.invalidate(instanceId);
        this.invalidate(false, /^instances$/);
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
    }

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
    }

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
    }

    _applySwitch(instanceId, instanceName) {
        if (this.state.currentInstanceId === instanceId) {
            return;
        }
        this.state.currentInstanceId = instanceId;
        this.invalidate(false);
        this.triggerGlobalCallbacks("instance_switched", {instanceId, instanceName});
    }

    destroy() {
        if (this._switchTimer) {
            browser.clearTimeout(this._switchTimer);
        }
        this._cache.clear();
        this._entityCallbacks.clear();
        this._globalCallbacks.clear();
    }
}

export const haDataService = {
    dependencies: ["notification"],
    start(env, deps) {
        return new HaDataService(env, deps);
    },
};

registry.category("services").add("ha_data", haDataService);
