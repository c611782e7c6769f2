/**
 * The answer cache of `ha_data`: values by scope (an instance id, or `GLOBAL_SCOPE`)
 * and key, each kept `ttl` milliseconds.
 */

export const CACHE_TTL_MS = 30000;
/** Cache scope of data that belongs to no single instance (the instance list). */
export const GLOBAL_SCOPE = "global";

/** Keys holding entity states: dropped when a state of the instance changes. */
export const STATE_KEYS = /^(ha_data|area_dashboard|entities_by_area)/;
/** Keys built from the area, device and entity registries. */
export const REGISTRY_KEYS =
    /^(areas|area_dashboard|entities_by_area|entity_related|glances_devices|ha_data)/;
/** The instance list (global scope): it carries each instance's status and counts. */
export const INSTANCES_KEY = /^instances$/;

/** A TTL cache of route answers, by scope (instance) and key. */
export class HaDataCache {
    /** @param {number} [ttl] milliseconds an entry stays valid */
    constructor(ttl = CACHE_TTL_MS) {
        this.ttl = ttl;
        this._scopes = new Map(); // scope → Map(key → {value, expires})
    }

    /** @param {number|false} instanceId */
    scope(instanceId) {
        return instanceId ? String(instanceId) : GLOBAL_SCOPE;
    }

    /** The cached value, or undefined when missing or expired. */
    get(instanceId, key) {
        const entries = this._scopes.get(this.scope(instanceId));
        const entry = entries?.get(key);
        if (!entry) {
            return undefined;
        }
        if (entry.expires <= Date.now()) {
            entries.delete(key);
            return undefined;
        }
        return entry.value;
    }

    set(instanceId, key, value) {
        const scope = this.scope(instanceId);
        if (!this._scopes.has(scope)) {
            this._scopes.set(scope, new Map());
        }
        this._scopes.get(scope).set(key, {value, expires: Date.now() + this.ttl});
    }

    /**
     * Drop cached data: a whole instance, or only its keys matching `pattern`.
     * Without an instance, every scope is cleared (the same way).
     *
     * @param {number|false} instanceId
     * @param {RegExp} [pattern]
     */
    invalidate(instanceId, pattern) {
        const scopes = instanceId ? [this.scope(instanceId)] : [...this._scopes.keys()];
        for (const scope of scopes) {
            const entries = this._scopes.get(scope);
            if (!entries) {
                continue;
            }
            if (!pattern) {
                this._scopes.delete(scope);
                continue;
            }
            for (const key of [...entries.keys()]) {
                if (pattern.test(key)) {
                    entries.delete(key);
                }
            }
        }
    }

    /** The cached value, else `await loader()` stored under `key`. */
    async load(instanceId, key, loader) {
        const hit = this.get(instanceId, key);
        if (hit !== undefined) {
            return hit;
        }
        const value = await loader();
        this.set(instanceId, key, value);
        return value;
    }

    clear() {
        this._scopes.clear();
    }
}
