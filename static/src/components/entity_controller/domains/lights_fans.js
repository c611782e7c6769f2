/** Lights, fans and humidifiers: switchable, with a level and modes. */
import {
    clamp,
    isOn,
    TOGGLE,
    withValue,
} from "@odoo_ha_addon/components/entity_controller/domains/common";

const LIGHT = {
    ...TOGGLE,
    brightness: (entity, value) => {
        const brightness = clamp(Math.round(value), 0, 255);
        if (brightness === 0) {
            return {service: "turn_off", data: {}, optimistic: {state: "off"}};
        }
        return {
            service: "turn_on",
            data: {brightness},
            optimistic: {state: "on", attributes: {brightness}},
        };
    },
    color_temp: (entity, value) => ({
        service: "turn_on",
        data: {color_temp_kelvin: Math.round(value)},
        optimistic: {state: "on", attributes: {color_temp_kelvin: Math.round(value)}},
    }),
    rgb: (entity, hex) => {
        const rgb = [1, 3, 5].map((i) => parseInt(String(hex).slice(i, i + 2), 16));
        return {
            service: "turn_on",
            data: {rgb_color: rgb},
            optimistic: {state: "on", attributes: {rgb_color: rgb}},
        };
    },
    hs: (entity, hs) => ({service: "turn_on", data: {hs_color: hs}, optimistic: null}),
    effect: (entity, effect) => ({
        service: "turn_on",
        data: {effect},
        optimistic: {state: "on", attributes: {effect}},
    }),
};

const FAN = {
    ...TOGGLE,
    set_percentage: (entity, value) => {
        const percentage = clamp(Math.round(value), 0, 100);
        if (percentage === 0) {
            return {service: "turn_off", data: {}, optimistic: {state: "off"}};
        }
        return {
            service: isOn(entity.state) ? "set_percentage" : "turn_on",
            data: {percentage},
            optimistic: {state: "on", attributes: {percentage}},
        };
    },
    set_direction: withValue("set_direction", "direction", "direction"),
    oscillate: (entity) => {
        const oscillating = !entity.attributes.oscillating;
        return {
            service: "oscillate",
            data: {oscillating},
            optimistic: {attributes: {oscillating}},
        };
    },
    set_preset_mode: withValue("set_preset_mode", "preset_mode", "preset_mode"),
};

const HUMIDIFIER = {
    ...TOGGLE,
    set_humidity: (entity, value) => {
        const humidity = clamp(
            Math.round(value),
            entity.attributes.min_humidity ?? 0,
            entity.attributes.max_humidity ?? 100
        );
        return {
            service: "set_humidity",
            data: {humidity},
            optimistic: {attributes: {humidity}},
        };
    },
    set_mode: withValue("set_mode", "mode", "mode"),
};

export const LIGHT_FAN_DOMAINS = {
    light: {family: "light", actions: LIGHT},
    fan: {family: "fan", actions: FAN},
    humidifier: {family: "humidifier", actions: HUMIDIFIER},
};
