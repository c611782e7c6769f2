/**
 * What the entity controller can do per Home Assistant domain.
 *
 * `DOMAIN_CONFIGS[domain]` = {family, actions}: `family` names the QWeb template
 * (`odoo_ha_addon.EntityController.<family>`), `actions` maps an action of the UI
 * to a function `(entity, value) → {service, data, optimistic}`: the HA service of
 * the domain, its service data (without `entity_id`) and the state/attributes the
 * card shows until the bus confirms (rolled back if the call fails).
 *
 * The tables live in `domains/`, one file per group of families.
 */
import {
    isOn,
    ON_STATES,
    READ_ONLY,
} from "@odoo_ha_addon/components/entity_controller/domains/common";
import {CLIMATE_COVER_DOMAINS} from "@odoo_ha_addon/components/entity_controller/domains/climate_covers";
import {HELPER_DOMAINS} from "@odoo_ha_addon/components/entity_controller/domains/helpers";
import {
    datetimeKind,
    INPUT_DOMAINS,
} from "@odoo_ha_addon/components/entity_controller/domains/inputs";
import {LIGHT_FAN_DOMAINS} from "@odoo_ha_addon/components/entity_controller/domains/lights_fans";
import {MEDIA_ROBOT_DOMAINS} from "@odoo_ha_addon/components/entity_controller/domains/media_robots";
import {SECURITY_DOMAINS} from "@odoo_ha_addon/components/entity_controller/domains/security";
import {SWITCH_DOMAINS} from "@odoo_ha_addon/components/entity_controller/domains/switches";
import {
    DISPLAY_DOMAINS,
    TASK_DOMAINS,
} from "@odoo_ha_addon/components/entity_controller/domains/tasks_displays";

export {datetimeKind, isOn, ON_STATES};

/** Every domain with dedicated controls or a dedicated display. */
export const DOMAIN_CONFIGS = {
    ...SWITCH_DOMAINS,
    ...LIGHT_FAN_DOMAINS,
    ...CLIMATE_COVER_DOMAINS,
    ...SECURITY_DOMAINS,
    ...INPUT_DOMAINS,
    ...HELPER_DOMAINS,
    ...MEDIA_ROBOT_DOMAINS,
    ...TASK_DOMAINS,
    ...DISPLAY_DOMAINS,
};

/** Any other domain: its state and attributes, no action. */
export const GENERIC_CONFIG = {family: "generic", actions: READ_ONLY};

/** @returns {{family: string, actions: {[action: string]: Function}}} */
export function getDomainConfig(domain) {
    return DOMAIN_CONFIGS[domain] || GENERIC_CONFIG;
}

/**
 * The service call of `action` on `entity` ({entity_id, domain, state, attributes}),
 * or null when the domain has no such action.
 *
 * @returns {{domain: string, service: string, service_data: object,
 *      optimistic: object|null}|null}
 */
export function buildServiceCall(entity, action, value) {
    const build = getDomainConfig(entity.domain).actions[action];
    if (!build) {
        return null;
    }
    const call = build({...entity, attributes: entity.attributes || {}}, value);
    return {
        domain: entity.domain,
        service: call.service,
        service_data: {entity_id: entity.entity_id, ...call.data},
        optimistic: call.optimistic,
    };
}
