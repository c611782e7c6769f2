/** Thermostats and water heaters (`climate` family), covers and valves (`cover`). */
import {
    clamp,
    simple,
    withValue,
} from "@odoo_ha_addon/components/entity_controller/domains/common";

const CLIMATE = {
    set_temperature: withValue("set_temperature", "temperature", "temperature"),
    set_hvac_mode: (entity, mode) => ({
        service: "set_hvac_mode",
        data: {hvac_mode: mode},
        optimistic: {state: mode},
    }),
    set_fan_mode: withValue("set_fan_mode", "fan_mode", "fan_mode"),
    set_swing_mode: withValue("set_swing_mode", "swing_mode", "swing_mode"),
    set_preset_mode: withValue("set_preset_mode", "preset_mode", "preset_mode"),
};

const WATER_HEATER = {
    set_temperature: CLIMATE.set_temperature,
    set_operation_mode: (entity, mode) => ({
        service: "set_operation_mode",
        data: {operation_mode: mode},
        optimistic: {state: mode},
    }),
    set_away_mode: (entity) => {
        const away = entity.attributes.away_mode !== "on";
        return {
            service: "set_away_mode",
            data: {away_mode: away},
            optimistic: {attributes: {away_mode: away ? "on" : "off"}},
        };
    },
};

/** A 0-100 position action: `service` gets `key`, the card shows `attribute`. */
const position = (service, key, attribute) => (entity, value) => {
    const percent = clamp(Math.round(value), 0, 100);
    return {
        service,
        data: {[key]: percent},
        optimistic: {attributes: {[attribute]: percent}},
    };
};

const COVER = {
    open: simple("open_cover", "opening"),
    close: simple("close_cover", "closing"),
    stop: simple("stop_cover"),
    set_position: position("set_cover_position", "position", "current_position"),
    open_tilt: simple("open_cover_tilt"),
    close_tilt: simple("close_cover_tilt"),
    stop_tilt: simple("stop_cover_tilt"),
    set_tilt: position(
        "set_cover_tilt_position",
        "tilt_position",
        "current_tilt_position"
    ),
};

const VALVE = {
    open: simple("open_valve", "opening"),
    close: simple("close_valve", "closing"),
    stop: simple("stop_valve"),
    set_position: position("set_valve_position", "position", "current_position"),
};

export const CLIMATE_COVER_DOMAINS = {
    climate: {family: "climate", actions: CLIMATE},
    water_heater: {family: "climate", actions: WATER_HEATER},
    cover: {family: "cover", actions: COVER},
    valve: {family: "cover", actions: VALVE},
};
