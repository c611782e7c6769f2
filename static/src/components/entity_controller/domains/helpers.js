/**
 * Helpers that count or time: counters (increment, decrement, reset) and timers
 * (start, pause, cancel, finish), the controls Home Assistant's own cards offer.
 */
import {simple} from "@odoo_ha_addon/components/entity_controller/domains/common";

/** A counter's next value within its minimum/maximum (unknown bounds: none). */
function counterStep(entity, sign) {
    const value = Number(entity.state);
    if (!Number.isFinite(value)) {
        return null;
    }
    const step = Number(entity.attributes.step) || 1;
    return String(value + sign * step);
}

/**
 * Whether a counter action changes anything: a counter at its maximum does not
 * go up (HA refuses it), one at its initial value is already reset.
 */
export function counterAllows(entity, action) {
    const attrs = entity.attributes || {};
    const value = Number(entity.state);
    if (!Number.isFinite(value)) {
        return false;
    }
    const step = Number(attrs.step) || 1;
    const bound = (name) =>
        attrs[name] === null || attrs[name] === undefined ? NaN : Number(attrs[name]);
    if (action === "increment") {
        return !(value + step > bound("maximum"));
    }
    if (action === "decrement") {
        return !(value - step < bound("minimum"));
    }
    if (action === "reset") {
        return value !== Number(attrs.initial ?? 0);
    }
    return false;
}

/** Timer actions that mean something in each timer state. */
const TIMER_ACTIONS = {
    idle: ["start"],
    active: ["pause", "cancel", "finish"],
    paused: ["start", "cancel", "finish"],
};

/** Whether `action` applies to a timer in its current state. */
export function timerAllows(entity, action) {
    return (TIMER_ACTIONS[entity.state] || []).includes(action);
}

export const HELPER_DOMAINS = {
    counter: {
        family: "counter",
        actions: {
            increment: (entity) => {
                const next = counterStep(entity, 1);
                return {
                    service: "increment",
                    data: {},
                    optimistic: next === null ? null : {state: next},
                };
            },
            decrement: (entity) => {
                const next = counterStep(entity, -1);
                return {
                    service: "decrement",
                    data: {},
                    optimistic: next === null ? null : {state: next},
                };
            },
            reset: (entity) => ({
                service: "reset",
                data: {},
                optimistic: {state: String(entity.attributes.initial ?? 0)},
            }),
        },
    },
    timer: {
        family: "timer",
        actions: {
            // A duration ("0:10:00") starts the timer for that long; none resumes
            // a paused timer or starts an idle one for its configured duration.
            start: (entity, duration) => ({
                service: "start",
                data: duration ? {duration} : {},
                optimistic: {state: "active"},
            }),
            pause: simple("pause", "paused"),
            cancel: simple("cancel", "idle"),
            finish: simple("finish", "idle"),
        },
    },
};
