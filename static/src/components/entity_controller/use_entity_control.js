/**
 * The live state of one entity and the actions on it.
 *
 * The state follows the bus (through `ha_data`, keyed by instance and entity_id);
 * an action shows its expected result at once and rolls it back if Home Assistant
 * refuses the call. Calls always go to the entity's own instance.
 */
import {onWillDestroy, onWillUpdateProps, useState} from "@odoo/owl";
import {useService} from "@web/core/utils/hooks";
import {buildServiceCall} from "@odoo_ha_addon/components/entity_controller/domain_config";

function idOf(value) {
    if (Array.isArray(value)) {
        return value[0] || false;
    }
    if (value && typeof value === "object") {
        return value.id || false;
    }
    return Number(value) || false;
}

/** A plain entity from a route answer, a kanban record's data or a bus change. */
export function normalizeEntity(raw = {}) {
    const entityId = raw.entity_id;
    return {
        id: raw.id || false,
        entity_id: entityId,
        domain: raw.domain || String(entityId || "").split(".")[0],
        name: raw.name || (raw.attributes && raw.attributes.friendly_name) || entityId,
        state: raw.entity_state ?? raw.state ?? "unknown",
        attributes: {...(raw.attributes || {})},
        last_changed: raw.last_changed || false,
        ha_instance_id: idOf(raw.ha_instance_id ?? raw.instance_id),
    };
}

export class EntityControl {
    constructor(haData, raw, reactiveFn = (value) => value) {
        this.haData = haData;
        this.state = reactiveFn({
            ...normalizeEntity(raw),
            pending: false,
            error: false,
        });
        this._unsubscribe = null;
        this._fingerprint = JSON.stringify([
            raw.entity_state ?? raw.state,
            raw.last_changed,
            raw.attributes,
            raw.entity_id,
        ]);
        this.subscribe();
    }

    subscribe() {
        this.unsubscribe();
        const {ha_instance_id: instanceId, entity_id: entityId} = this.state;
        if (entityId) {
            this._unsubscribe = this.haData.onEntityUpdate(
                instanceId,
                entityId,
                (change) => this.applyChange(change)
            );
        }
    }

    unsubscribe() {
        if (this._unsubscribe) {
            this._unsubscribe();
            this._unsubscribe = null;
        }
    }

    /** New data from the parent (e.g. a reloaded kanban record). */
    update(raw) {
        // A parent re-rendering with the same (older) data must not undo a bus push.
        const fingerprint = JSON.stringify([
            raw.entity_state ?? raw.state,
            raw.last_changed,
            raw.attributes,
            raw.entity_id,
        ]);
        if (fingerprint === this._fingerprint) {
            return;
        }
        this._fingerprint = fingerprint;
        const next = normalizeEntity(raw);
        const moved =
            next.entity_id !== this.state.entity_id ||
            next.ha_instance_id !== this.state.ha_instance_id;
        Object.assign(this.state, next);
        if (moved) {
            this.subscribe();
        }
    }

    applyChange(change) {
        if ("state" in change) {
            this.state.state = change.state;
        }
        if (change.attributes) {
            this.state.attributes = {...change.attributes};
        }
        if (change.last_changed) {
            this.state.last_changed = change.last_changed;
        }
    }

    /** Run `action`; resolves true on success, false when rolled back. */
    async execute(action, value) {
        const call = buildServiceCall(this.state, action, value);
        if (!call) {
            return false;
        }
        const previous = {
            state: this.state.state,
            attributes: {...this.state.attributes},
        };
        if (call.optimistic) {
            if ("state" in call.optimistic) {
                this.state.state = call.optimistic.state;
            }
            if (call.optimistic.attributes) {
                this.state.attributes = {
                    ...this.state.attributes,
                    ...call.optimistic.attributes,
                };
            }
        }
        this.state.pending = true;
        this.state.error = false;
        try {
            await this.haData.callService(
                call.domain,
                call.service,
                call.service_data,
                this.state.ha_instance_id
            );
            return true;
        } catch (error) {
            this.state.state = previous.state;
            this.state.attributes = previous.attributes;
            this.state.error = error.message || String(error);
            return false;
        } finally {
            this.state.pending = false;
        }
    }
}

/** Hook form for components: `useEntityControl(() => this.props.entity)`. */
export function useEntityControl(getEntity) {
    const control = new EntityControl(useService("ha_data"), getEntity(), useState);
    onWillUpdateProps((nextProps) => control.update(getEntity(nextProps)));
    onWillDestroy(() => control.unsubscribe());
    return control;
}
