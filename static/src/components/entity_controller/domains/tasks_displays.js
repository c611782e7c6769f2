/**
 * To-do lists, updates and text-to-speech (one action each), and the domains that
 * only display their state (sensors, weather, presence, calendars, cameras).
 */
import {
    READ_ONLY,
    simple,
} from "@odoo_ha_addon/components/entity_controller/domains/common";

export const TASK_DOMAINS = {
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
};

export const DISPLAY_DOMAINS = {
    sensor: {family: "sensor", actions: READ_ONLY},
    binary_sensor: {family: "sensor", actions: READ_ONLY},
    weather: {family: "weather", actions: READ_ONLY},
    device_tracker: {family: "presence", actions: READ_ONLY},
    person: {family: "presence", actions: READ_ONLY},
    calendar: {family: "calendar", actions: READ_ONLY},
    event: {family: "calendar", actions: READ_ONLY},
    camera: {family: "camera", actions: READ_ONLY},
};
