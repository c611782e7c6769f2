/** Domains that switch or fire something: the `toggle` and `press` families. */
import {
    simple,
    TOGGLE,
} from "@odoo_ha_addon/components/entity_controller/domains/common";

export const SWITCH_DOMAINS = {
    switch: {family: "toggle", actions: TOGGLE},
    input_boolean: {family: "toggle", actions: TOGGLE},
    siren: {family: "toggle", actions: TOGGLE},
    automation: {
        family: "toggle",
        actions: {
            ...TOGGLE,
            trigger: () => ({
                service: "trigger",
                data: {skip_condition: true},
                optimistic: null,
            }),
        },
    },
    script: {
        family: "toggle",
        actions: {...TOGGLE, run: simple("turn_on")},
    },
    remote: {
        family: "toggle",
        actions: {
            ...TOGGLE,
            send_command: (entity, command) => ({
                service: "send_command",
                data: {command},
                optimistic: null,
            }),
        },
    },
    scene: {family: "press", actions: {activate: simple("turn_on")}},
    button: {family: "press", actions: {press: simple("press")}},
    input_button: {family: "press", actions: {press: simple("press")}},
};
