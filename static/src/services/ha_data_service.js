/**
 * HaDataService (`ha_data`): the single data layer of the Home Assistant web client.
 *
 * - every request goes through the addon's JSON routes (`/odoo_ha_addon/<route>`);
 * - answers are cached per instance with a TTL and dropped when the bus says the data
 *   changed (`ha_data_cache.js`);
 * - components subscribe to one entity by (instance, entity_id) or to global events
 *   (websocket status, history, full reloads, registry and instance events;
 *   `ha_data_subscriptions.js`, and the hook `useHaGlobalState`);
 * - the bus bridge (`ha_bus_bridge.js`) feeds `handleBusNotification`, whose
 *   handlers live in `ha_data_bus_handlers.js`.
 */
import {reactive} from "@odoo/owl";
import {browser} from "@web/core/browser/browser";
import {_t} from "@web/core/l10n/translation";
import {rpc} from "@web/core/network/rpc";
import {registry} from "@web/core/registry";
import {busHandlerMethods} from "@odoo_ha_addon/services/ha_data_bus_handlers";
import {
    CACHE_TTL_MS,
    HaDataCache,
    INSTANCES_KEY,
    STATE_KEYS,
} from "@odoo_ha_addon/services/ha_data_cache";
import {HaSubscriptions} from "@odoo_ha_addon/services/ha_data_subscriptions";

// Re-exported: callers import these constants from the service module.
export {
    BUS_HANDLERS,
    HA_BUS_TYPES,
    SWITCH_DEBOUNCE_MS,
} from "@odoo_ha_addon/services/ha_data_bus_handlers";
export {CACHE_TTL_MS, GLOBAL_SCOPE} from "@odoo_ha_addon/services/ha_data_cache";
export {GLOBAL_EVENTS} from "@odoo_ha_addon/services/ha_data_subscriptions";

export const ROUTE_PREFIX = "/odoo_ha_addon/";

/** A failed route answer (`{success: false, error, error_type}`). */
export class HaApiError extends Error {
    constructor(message, errorType) {
        super(message);
        this.name = "HaApiError";
        this.errorType = errorType || "ha_error";
    }
}

/**
 * The service object `useService("ha_data")` returns. Besides the methods below,
 * it has the bus handlers of `busHandlerMethods` (`handleBusNotification`, ...).
 */
export class HaDataService {
    /**
     * @param {object} env
     * @param {{notification: object}} services
     */
    constructor(env, {notification}) {
        this.env = env;
        this.notification = notification;
        /** Reactive part: components may read it in their templates. */
        this.state = reactive({
            currentInstanceId: false,
            websocketStatus: {},
        });
        this._cache = new HaDataCache(CACHE_TTL_MS);
        this._subscriptions = new HaSubscriptions();
        this._warnedInvalid = new Set();
        this._switchTimer = null;
        this._pendingSwitch = null;
    }

    // -- toasts: `(message, title?)` → the notification service's close function --

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

    // -- cache (see HaDataCache) ---------------------------------------------------

    /** Milliseconds a cached answer stays valid. */
    get cacheTtl() {
        return this._cache.ttl;
    }
    set cacheTtl(ttl) {
        this._cache.ttl = ttl;
    }

    /** The cached value, or undefined when missing or expired. */
    getCached(instanceId, key) {
        return this._cache.get(instanceId, key);
    }

    /** Cache `value` for `cacheTtl` ms (`instanceId` false: the global scope). */
    setCached(instanceId, key, value) {
        this._cache.set(instanceId, key, value);
    }

    /**
     * Drop cached data: a whole instance, or only its keys matching `pattern`.
     * Without an instance, every scope is cleared.
     */
    invalidate(instanceId, pattern) {
        this._cache.invalidate(instanceId, pattern);
    }

    _cached(instanceId, key, loader) {
        return this._cache.load(instanceId, key, loader);
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

    /**
     * The instances this user may use and the session's current one (cached; the
     * answer also sets `state.currentInstanceId`).
     *
     * @returns {Promise<{instances: object[], current_instance_id: number|false}>}
     */
    async getInstances({force = false} = {}) {
        if (force) {
            this.invalidate(false, INSTANCES_KEY);
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

    /** Make `instanceId` the session's instance; `instance_switched` runs once. */
    async switchInstance(instanceId) {
        const data = await this.call("switch_instance", {instance_id: instanceId});
        this._applySwitch(instanceId, data && data.instance_name);
        return data;
    }

    /** The server's WebSocket connection status of an instance (never cached). */
    getWebsocketStatus(instanceId) {
        return this.call("websocket_status", this._params(instanceId));
    }

    /** Restart an instance's WebSocket connection; toasts the outcome. */
    async restartWebsocket(instanceId, force = false) {
        const data = await this.call(
            "websocket_restart",
            this._params(instanceId, {force}),
            {silent: false}
        );
        this.showSuccess((data && data.message) || _t("WebSocket service restarted"));
        return data;
    }

    // Cached reads of one instance (`instanceId` false: the session's instance).

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

    getGlancesDevices(instanceId) {
        return this._cached(instanceId, "glances_devices", () =>
            this.call("glances_devices", this._params(instanceId))
        );
    }

    /** Not cached: the device dashboard's periodic refresh wants fresh values. */
    getGlancesDeviceEntities(deviceId, instanceId) {
        return this.call(
            "glances_device_entities",
            this._params(instanceId, {device_id: deviceId})
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

    /** History rows of the route `history` (cached per `params`). */
    fetchHistory(params = {}, instanceId = false) {
        const key = `history_${JSON.stringify(params)}`;
        return this._cached(instanceId, key, () =>
            this.call("history", this._params(instanceId, params))
        );
    }

    /** Long-term statistics of the route `statistics` (cached per `params`). */
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

    // -- subscriptions (see HaSubscriptions) ----------------------------------------

    /** Subscribe to one entity's state pushes; returns the unsubscribe function. */
    onEntityUpdate(instanceId, entityId, callback) {
        return this._subscriptions.onEntityUpdate(instanceId, entityId, callback);
    }

    /** Remove a callback given to `onEntityUpdate`. */
    offEntityUpdate(instanceId, entityId, callback) {
        this._subscriptions.offEntityUpdate(instanceId, entityId, callback);
    }

    /**
     * Subscribe to a global event (one of `GLOBAL_EVENTS`); returns the unsubscribe
     * function. Components use `useHaGlobalState`, which unsubscribes for them.
     */
    onGlobalState(event, callback) {
        return this._subscriptions.onGlobalState(event, callback);
    }

    /** Remove a callback given to `onGlobalState`. */
    offGlobalState(event, callback) {
        this._subscriptions.offGlobalState(event, callback);
    }

    /** Call the callbacks of `event` with `data` (a failing one is only logged). */
    triggerGlobalCallbacks(event, data) {
        this._subscriptions.triggerGlobalCallbacks(event, data);
    }

    /** Stop the pending switch timer; forget the cache and every callback. */
    destroy() {
        if (this._switchTimer) {
            browser.clearTimeout(this._switchTimer);
        }
        this._cache.clear();
        this._subscriptions.clear();
    }
}

Object.assign(HaDataService.prototype, busHandlerMethods);

export const haDataService = {
    dependencies: ["notification"],
    start(env, deps) {
        return new HaDataService(env, deps);
    },
};

registry.category("services").add("ha_data", haDataService);
