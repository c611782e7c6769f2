/**
 * Building blocks of the per-domain action tables (see `domain_config.js`).
 *
 * An action builder is `(entity, value) → {service, data, optimistic}`: the Home
 * Assistant service of the entity's domain, its service data (without `entity_id`)
 * and the state/attributes the card shows until the bus confirms (null: none).
 */

/** States shown as "on" (a toggle is checked, the badge is green). */
export const ON_STATES = ["on", "open", "opening", "unlocked", "playing", "home"];

/** @param {string} state an entity state */
export function isOn(state) {
    return ON_STATES.includes(state);
}

/** `value` as a number within `[min, max]` (a bound that is not a number is ignored). */
export function clamp(value, min, max) {
    let number = Number(value);
    if (Number.isFinite(Number(min))) {
        number = Math.max(Number(min), number);
    }
    if (Number.isFinite(Number(max))) {
        number = Math.min(Number(max), number);
    }
    return number;
}

/** An action without value; `optimisticState` is the state shown meanwhile. */
export const simple = (service, optimisticState) => () => ({
    service,
    data: {},
    optimistic: optimisticState === undefined ? null : {state: optimisticState},
});

/** An action sending its value as `data[key]`, shown as `attributes[attribute]`. */
export const withValue = (service, key, attribute) => (entity, value) => ({
    service,
    data: {[key]: value},
    optimistic: attribute ? {attributes: {[attribute]: value}} : null,
});

/** An action whose value is an optional code (locks, alarm panels). */
export const withCode = (service, optimisticState) => (entity, code) => ({
    service,
    data: code ? {code} : {},
    optimistic: optimisticState ? {state: optimisticState} : null,
});

/** On/off of every switchable domain. */
export const TOGGLE = {
    toggle: (entity) => ({
        service: "toggle",
        data: {},
        optimistic: {state: isOn(entity.state) ? "off" : "on"},
    }),
    turn_on: simple("turn_on", "on"),
    turn_off: simple("turn_off", "off"),
};

/** Domains that only display their state. */
export const READ_ONLY = {};
