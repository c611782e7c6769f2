/** Media players (`media` family), vacuums and lawn mowers (`robot` family). */
import {
    clamp,
    simple,
    TOGGLE,
    withValue,
} from "@odoo_ha_addon/components/entity_controller/domains/common";

/** `repeat_set` cycles off → all → one → off. */
const REPEAT_CYCLE = {off: "all", all: "one", one: "off"};

/** An action flipping the boolean attribute `attribute` through `service`. */
const flip = (service, attribute) => (entity) => {
    const value = !entity.attributes[attribute];
    return {
        service,
        data: {[attribute]: value},
        optimistic: {attributes: {[attribute]: value}},
    };
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
    mute: flip("volume_mute", "is_volume_muted"),
    source: withValue("select_source", "source", "source"),
    sound_mode: withValue("select_sound_mode", "sound_mode", "sound_mode"),
    shuffle: flip("shuffle_set", "shuffle"),
    repeat: (entity) => {
        const repeat = REPEAT_CYCLE[entity.attributes.repeat || "off"] || "off";
        return {
            service: "repeat_set",
            data: {repeat},
            optimistic: {attributes: {repeat}},
        };
    },
};

const VACUUM = {
    start: simple("start", "cleaning"),
    stop: simple("stop", "idle"),
    pause: simple("pause", "paused"),
    return_to_base: simple("return_to_base", "returning"),
    locate: simple("locate"),
    set_fan_speed: withValue("set_fan_speed", "fan_speed", "fan_speed"),
};

const LAWN_MOWER = {
    start: simple("start_mowing", "mowing"),
    pause: simple("pause", "paused"),
    return_to_base: simple("dock", "returning"),
};

export const MEDIA_ROBOT_DOMAINS = {
    media_player: {family: "media", actions: MEDIA},
    vacuum: {family: "robot", actions: VACUUM},
    lawn_mower: {family: "robot", actions: LAWN_MOWER},
};
