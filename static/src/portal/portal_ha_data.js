/**
 * `ha_data` for the portal pages: the same interface the entity controller uses in
 * the backend (`onEntityUpdate`, `callService`), served by the portal's routes.
 *
 * States follow the user's own portal bus channels, which the server grants from
 * the user's non-expired shares; controls go to the entity's `/service` route,
 * where the share is checked again.
 */
import {rpc} from "@web/core/network/rpc";
import {registry} from "@web/core/registry";
import {_t} from "@web/core/l10n/translation";
import {HaSubscriptions} from "@odoo_ha_addon/services/ha_data_subscriptions";

export const PORTAL_STATE = "ha_portal_state";
export const CHANNELS_CHANGED = "ha_channels_changed";

function keyOf(instanceId, entityId) {
    return `${Number(instanceId)}:${entityId}`;
}

export class PortalHaData {
    constructor(bus) {
        this.bus = bus;
        this.subscriptions = new HaSubscriptions();
        this.recordIds = new Map();
        this.started = false;
    }

    /** Start listening (once a component on the page needs it). */
    start() {
        if (this.started || !this.bus) {
            return;
        }
        this.started = true;
        this.bus.subscribe(PORTAL_STATE, (payload) => this.onPush(payload));
        // Shares changed: the server grants other channels now.
        this.bus.subscribe(CHANNELS_CHANGED, () => this.bus.forceUpdateChannels());
        this.bus.start();
    }

    onPush(payload) {
        for (const change of payload?.changes || []) {
            this.subscriptions.triggerEntityCallbacks(payload.ha_instance_id, change);
        }
    }

    /** The page's entity: its record id is what the portal routes take. */
    register(instanceId, entity) {
        this.recordIds.set(keyOf(instanceId, entity.entity_id), entity.id);
    }

    onEntityUpdate(instanceId, entityId, callback) {
        const unsubscribe = this.subscriptions.onEntityUpdate(
            instanceId,
            entityId,
            callback
        );
        this.start();
        return unsubscribe;
    }

    async callService(domain, service, serviceData, instanceId) {
        const recordId = this.recordIds.get(keyOf(instanceId, serviceData.entity_id));
        if (!recordId) {
            throw new Error(_t("This entity is not shared with you."));
        }
        const result = await rpc(`/my/ha/${instanceId}/entity/${recordId}/service`, {
            domain,
            service,
            service_data: serviceData,
        });
        if (!result.success) {
            throw new Error(result.error);
        }
        return result.data;
    }

    async getCameraSnapshot() {
        throw new Error(_t("Camera images are not shown on the portal."));
    }
}

export const portalHaDataService = {
    dependencies: ["bus_service"],
    start(env, {bus_service}) {
        return new PortalHaData(bus_service);
    },
};

registry.category("services").add("ha_data", portalHaDataService);
