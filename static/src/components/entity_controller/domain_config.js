/**
 * What the entity controller can do per Home Assistant domain.
 *
 * `DOMAIN_CONFIGS[domain]` = {family, actions}: `family` names the QWeb template
 * (`odoo_ha_addon.EntityController.<family>`), `actions` maps an action of the UI
 * to a function `(entity, value) → {service, data, optimistic}`: the HA service of
 * the domain, its service data (without `entity_id`) and the state/attributes the
 * card shows until the bus confirms (rolled back if the call fails).
 */

export const ON_STATES = ["on", "open", "opening", "unlocked", "playing", "home"];

export function isOn(state) {
    return ON_STATES.includes(state);
}

function clamp(value, min, max) {
    let number = Number(value);
    if (Number.isFinite(Number(min))) {
        number = Math.max(Number(min), number);
    }
    if (Number.isFinite(Number(max))) {
        number = Math.min(Number(max), number);
    }
    return number;
}

const simple = (service, optimisticState) => () => ({
    service,
    data: {},
    optimistic: optimisticState === undefined ? null : {state: optimisticState},
});

const withValue = (service, key, attribute) => (entity, value) => ({
    service,
    data: {[key]: value},
    optimistic: attribute ? {attributes: {[attribute]: value}} : null,
});

const TOGGLE = {
    toggle: (entity) => ({
        service: "toggle",
        data: {},
        optimistic: {state: isOn(entity.state) ? "off" : "on"},
    }),
    turn_on: simple("turn_on", "on"),
    turn_off: simple("turn_off", "off"),
};

const SELECT_STEPS = {
    select_option: (entity, option) => ({
        service: "select_option",
        data: {option},
        optimistic: {state: option},
    }),
    select_next: simple("select_next"),
    select_previous: simple("select_previous"),
    select_first: simple("select_first"),
    select_last: simple("select_last"),
};

const ALARM = {};
for (const mode of ["home", "away", "night", "vacation"]) {
    ALARM[`arm_${mode}`] = (entity, code) => ({
        service: `alarm_arm_${mode}`,
        data: code ? {code} : {},
        optimistic: {state: "arming"},
    });
}
ALARM.disarm = (entity, code) => ({
    service: "alarm_disarm",
    data: code ? {code} : {},
    optimistic: null,
});
ALARM.trigger = (entity, code) => ({
    service: "alarm_trigger",
    data: code ? {code} : {},
    optimistic: null,
});

const REPEAT_CYCLE = {off: "all", all: "one", one: "off"};

/** Datetime inputs: which key `set_datetime` wants for a value. */
export function datetimeKind(value) {
    if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value)) {
        return "datetime";
    }
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
        return "date";
    }
    return "time";
}

function normalizeDatetime(value) {
    const text = String(value || "").replace("T", " ");
    if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/.test(text) || /^\d{2}:\d{2}$/.test(text)) {
        return `${text}:00`;
    }
    return text;
}

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

const COVER = {
    open: simple("open_cover", "opening"),
    close: simple("close_cover", "closing"),
    stop: simple("stop_cover"),
    set_position: (entity, value) => ({
        service: "set_cover_position",
        data: {position: clamp(Math.round(value), 0, 100)},
        optimistic: {attributes: {current_position: clamp(Math.round(value), 0, 100)}},
    }),
    open_tilt: simple("open_cover_tilt"),
    close_tilt: simple("close_cover_tilt"),
    stop_tilt: simple("stop_cover_tilt"),
    set_tilt: (entity, value) => ({
        service: "set_cover_tilt_position",
        data: {tilt_position: clamp(Math.round(value), 0, 100)},
        optimistic: {
            attributes: {current_tilt_position: clamp(Math.round(value), 0, 100)},
        },
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

const NUMBER = {
    set_value: (entity, value) => {
        const number = clamp(value, entity.attributes.min, entity.attributes.max);
        return {
            service: "set_value",
            data: {value: number},
            optimistic: {state: String(number)},
        };
    },
};

const MEDIA = {
    ...TOGGLE,
    play_pause: simple("media_play_pause"),
    play: simple("media_play", "playing"),
    pause: simple("media_pause", "paused"),
    stop: simple("media_stop", "idle"),
    next: simple("media_next_track"),
    previous: simple("media_previous_track"),
    volume: (entity, value) => {
        const level = clamp(Math.round(Number(value)) / 100, 0, 1);
        return {
            service: "volume_set",
            data: {volume_level: level},
            optimistic: {attributes: {volume_level: level}},
        };
    },
    mute: (entity) => {
        const muted = !entity.attributes.is_volume_muted;
        return {
            service: "volume_mute",
            data: {is_volume_muted: muted},
            optimistic: {attributes: {is_volume_muted: muted}},
        };
    },
    source: withValue("select_source", "source", "source"),
    sound_mode: withValue("select_sound_mode", "sound_mode", "sound_mode"),
    shuffle: (entity) => {
        const shuffle = !entity.attributes.shuffle;
        return {
            service: "shuffle_set",
            data: {shuffle},
            optimistic: {attributes: {shuffle}},
        };
    },
    repeat: (entity) => {
        const repeat = REPEAT_CYCLE[entity.attributes.repeat || "off"] || "off";
        return {
            service: "repeat_set",
            data: {repeat},
            optimistic: {attributes: {repeat}},
        };
    },
};

const READ_ONLY = {};

/** The 42 domains with dedicated controls or displays (the original's 41 + more). */
export const DOMAIN_CONFIGS = {
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
    light: {family: "light", actions: LIGHT},
    climate: {family: "climate", actions: CLIMATE},
    water_heater: {
        family: "climate",
        actions: {
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
        },
    },
    cover: {family: "cover", actions: COVER},
    valve: {
        family: "cover",
        actions: {
            open: simple("open_valve", "opening"),
            close: simple("close_valve", "closing"),
            stop: simple("stop_valve"),
            set_position: (entity, value) => ({
                service: "set_valve_position",
                data: {position: clamp(Math.round(value), 0, 100)},
                optimistic: {
                    attributes: {current_position: clamp(Math.round(value), 0, 100)},
                },
            }),
        },
    },
    fan: {family: "fan", actions: FAN},
    humidifier: {
        family: "humidifier",
        actions: {
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
        },
    },
    scene: {family: "press", actions: {activate: simple("turn_on")}},
    button: {family: "press", actions: {press: simple("press")}},
    input_button: {family: "press", actions: {press: simple("press")}},
    lock: {
        family: "lock",
        actions: {
            lock: (entity, code) => ({
                service: "lock",
                data: code ? {code} : {},
                optimistic: {state: "locking"},
            }),
            unlock: (entity, code) => ({
                service: "unlock",
                data: code ? {code} : {},
                optimistic: {state: "unlocking"},
            }),
            open: (entity, code) => ({
                service: "open",
                data: code ? {code} : {},
                optimistic: null,
            }),
        },
    },
    alarm_control_panel: {family: "alarm", actions: ALARM},
    input_number: {
        family: "number",
        actions: {
            ...NUMBER,
            increment: simple("increment"),
            decrement: simple("decrement"),
        },
    },
    number: {family: "number", actions: NUMBER},
    input_text: {
        family: "text",
        actions: {set_value: withValue("set_value", "value")},
    },
    text: {family: "text", actions: {set_value: withValue("set_value", "value")}},
    input_select: {family: "select", actions: SELECT_STEPS},
    select: {family: "select", actions: SELECT_STEPS},
    input_datetime: {
        family: "datetime",
        actions: {
            set_value: (entity, value) => {
                const text = normalizeDatetime(value);
                return {
                    service: "set_datetime",
                    data: {[datetimeKind(text)]: text},
                    optimistic: {state: text},
                };
            },
        },
    },
    date: {family: "datetime", actions: {set_value: withValue("set_value", "date")}},
    time: {
        family: "datetime",
        actions: {
            set_value: (entity, value) => ({
                service: "set_value",
                data: {time: normalizeDatetime(value)},
                optimistic: {state: normalizeDatetime(value)},
            }),
        },
    },
    datetime: {
        family: "datetime",
        actions: {
            set_value: (entity, value) => ({
                service: "set_value",
                data: {datetime: normalizeDatetime(value)},
                optimistic: null,
            }),
        },
    },
    media_player: {family: "media", actions: MEDIA},
    vacuum: {
        family: "robot",
        actions: {
            start: simple("start", "cleaning"),
            stop: simple("stop", "idle"),
            pause: simple("pause", "paused"),
            return_to_base: simple("return_to_base", "returning"),
            locate: simple("locate"),
            set_fan_speed: withValue("set_fan_speed", "fan_speed", "fan_speed"),
        },
    },
    lawn_mower: {
        family: "robot",
        actions: {
            start: simple("start_mowing", "mowing"),
            pause: simple("pause", "paused"),
            return_to_base: simple("dock", "returning"),
        },
    },
    todo: {
        family: "todo",
        actions: {
            add_item: (entity, item) => ({
                service: "add_item",
                data: {item},
                optimistic: null,
            }),
        },
    },
    update: {
        family: "update",
        actions: {install: simple("install"), skip: simple("skip")},
    },
    tts: {
        family: "tts",
        actions: {
            speak: (entity, {message, mediaPlayer}) => ({
                service: "speak",
                data: {media_player_entity_id: mediaPlayer, message},
                optimistic: null,
            }),
        },
    },
    sensor: {family: "sensor", actions: READ_ONLY},
    binary_sensor: {family: "sensor", actions: READ_ONLY},
    weather: {family: "weather", actions: READ_ONLY},
    device_tracker: {family: "presence", actions: READ_ONLY},
    person: {family: "presence", actions: READ_ONLY},
    calendar: {family: "calendar", actions: READ_ONLY},
    event: {family: "calendar", actions: READ_ONLY},
    camera: {family: "camera", actions: READ_ONLY},
};

export const GENERIC_CONFIG = {family: "generic", actions: READ_ONLY};

export function getDomainConfig(domain) {
    return DOMAIN_CONFIGS[domain] || GENERIC_CONFIG;
}

/**
 * The service call of `action` on `entity` ({entity_id, domain, state, attributes}),
 * or null when the domain has no such action.
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
