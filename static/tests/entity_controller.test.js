import {describe, expect, test} from "@odoo/hoot";
import {animationFrame} from "@odoo/hoot-mock";
import {click, edit} from "@odoo/hoot-dom";
import {getTemplate} from "@web/core/templates";
import {getService, mountWithCleanup, onRpc} from "@web/../tests/web_test_helpers";
import {
    buildServiceCall,
    DOMAIN_CONFIGS,
} from "@odoo_ha_addon/components/entity_controller/domain_config";
import {EntityController} from "@odoo_ha_addon/components/entity_controller/entity_controller";
import {defineMailModels} from "@mail/../tests/mail_test_helpers";

defineMailModels();

function call(entity_id, action, value, state = "off", attributes = {}) {
    const domain = entity_id.split(".")[0];
    const result = buildServiceCall(
        {entity_id, domain, state, attributes},
        action,
        value
    );
    return result && [result.domain, result.service, result.service_data];
}

/** The params of every `call_service` request, answered with success. */
function recordServiceCalls() {
    const calls = [];
    onRpc("/odoo_ha_addon/call_service", async (request) => {
        calls.push((await request.json()).params);
        return {success: true, data: {}};
    });
    return calls;
}
describe("components/entity_controller", () => {
    test("each of the 44 configured domains names a family with a template", () => {
        expect(Object.keys(DOMAIN_CONFIGS).length).toBe(44);
        const families = new Set(["generic"]);
        for (const config of Object.values(DOMAIN_CONFIGS)) {
            families.add(config.family);
        }
        const missing = [...families].filter(
            (family) => !getTemplate(`odoo_ha_addon.EntityController.${family}`)
        );
        expect(missing).toEqual([]);
        expect(families.size).toBe(26);
    });

    test("toggle family", () => {
        expect(call("switch.pump", "toggle")).toEqual([
            "switch",
            "toggle",
            {entity_id: "switch.pump"},
        ]);
        expect(call("input_boolean.guest", "turn_on")[1]).toBe("turn_on");
        expect(call("siren.hall", "turn_off")[1]).toBe("turn_off");
        expect(call("automation.night", "trigger")).toEqual([
            "automation",
            "trigger",
            {entity_id: "automation.night", skip_condition: true},
        ]);
        expect(call("script.wake", "run")[1]).toBe("turn_on");
        expect(call("remote.tv", "send_command", "mute")).toEqual([
            "remote",
            "send_command",
            {entity_id: "remote.tv", command: "mute"},
        ]);
    });

    test("light family", () => {
        expect(call("light.desk", "brightness", 128)).toEqual([
            "light",
            "turn_on",
            {entity_id: "light.desk", brightness: 128},
        ]);
        expect(call("light.desk", "brightness", 0)[1]).toBe("turn_off");
        expect(call("light.desk", "color_temp", 3000)[2]).toEqual({
            entity_id: "light.desk",
            color_temp_kelvin: 3000,
        });
        expect(call("light.desk", "rgb", "#ff8000")[2]).toEqual({
            entity_id: "light.desk",
            rgb_color: [255, 128, 0],
        });
        expect(call("light.desk", "effect", "rainbow")[2].effect).toBe("rainbow");
    });

    test("climate and water heater family", () => {
        expect(call("climate.lounge", "set_temperature", 21.5)).toEqual([
            "climate",
            "set_temperature",
            {entity_id: "climate.lounge", temperature: 21.5},
        ]);
        expect(call("climate.lounge", "set_hvac_mode", "heat")[2].hvac_mode).toBe(
            "heat"
        );
        expect(call("climate.lounge", "set_fan_mode", "low")[2].fan_mode).toBe("low");
        expect(call("climate.lounge", "set_swing_mode", "on")[2].swing_mode).toBe("on");
        expect(call("climate.lounge", "set_preset_mode", "eco")[2].preset_mode).toBe(
            "eco"
        );
        expect(call("water_heater.boiler", "set_operation_mode", "eco")).toEqual([
            "water_heater",
            "set_operation_mode",
            {entity_id: "water_heater.boiler", operation_mode: "eco"},
        ]);
        expect(
            call("water_heater.boiler", "set_away_mode", undefined, "eco", {
                away_mode: "off",
            })[2]
        ).toEqual({entity_id: "water_heater.boiler", away_mode: true});
    });

    test("cover and valve family", () => {
        expect(call("cover.blind", "open")[1]).toBe("open_cover");
        expect(call("cover.blind", "stop")[1]).toBe("stop_cover");
        expect(call("cover.blind", "set_position", 140)[2]).toEqual({
            entity_id: "cover.blind",
            position: 100,
        });
        expect(call("cover.blind", "set_tilt", 30)).toEqual([
            "cover",
            "set_cover_tilt_position",
            {entity_id: "cover.blind", tilt_position: 30},
        ]);
        expect(call("valve.main", "close")[1]).toBe("close_valve");
        expect(call("valve.main", "set_position", 40)[1]).toBe("set_valve_position");
    });

    test("fan and humidifier family", () => {
        expect(call("fan.ceiling", "set_percentage", 0)[1]).toBe("turn_off");
        expect(call("fan.ceiling", "set_percentage", 50, "off")).toEqual([
            "fan",
            "turn_on",
            {entity_id: "fan.ceiling", percentage: 50},
        ]);
        expect(call("fan.ceiling", "set_percentage", 50, "on")[1]).toBe(
            "set_percentage"
        );
        expect(
            call("fan.ceiling", "oscillate", undefined, "on", {oscillating: false})[2]
        ).toEqual({entity_id: "fan.ceiling", oscillating: true});
        expect(call("fan.ceiling", "set_direction", "reverse")[2].direction).toBe(
            "reverse"
        );
        expect(
            call("humidifier.bed", "set_humidity", 90, "on", {max_humidity: 70})[2]
        ).toEqual({entity_id: "humidifier.bed", humidity: 70});
        expect(call("humidifier.bed", "set_mode", "sleep")[2].mode).toBe("sleep");
    });

    test("press, lock and alarm (with code) family", () => {
        expect(call("scene.movie", "activate")).toEqual([
            "scene",
            "turn_on",
            {entity_id: "scene.movie"},
        ]);
        expect(call("button.restart", "press")[1]).toBe("press");
        expect(call("input_button.bell", "press")[1]).toBe("press");
        expect(call("lock.door", "unlock", "1234")).toEqual([
            "lock",
            "unlock",
            {entity_id: "lock.door", code: "1234"},
        ]);
        expect(call("lock.door", "lock")[2]).toEqual({entity_id: "lock.door"});
        expect(call("alarm_control_panel.home", "arm_away", "0000")).toEqual([
            "alarm_control_panel",
            "alarm_arm_away",
            {entity_id: "alarm_control_panel.home", code: "0000"},
        ]);
        expect(call("alarm_control_panel.home", "disarm", "0000")[1]).toBe(
            "alarm_disarm"
        );
        expect(call("alarm_control_panel.home", "arm_vacation")[1]).toBe(
            "alarm_arm_vacation"
        );
    });

    test("number, text, select and datetime family", () => {
        expect(
            call("input_number.level", "set_value", 150, "10", {min: 0, max: 100})
        ).toEqual([
            "input_number",
            "set_value",
            {entity_id: "input_number.level", value: 100},
        ]);
        expect(call("input_number.level", "increment")[1]).toBe("increment");
        expect(
            call("number.volume", "set_value", -5, "1", {min: 0, max: 10})[2].value
        ).toBe(0);
        expect(call("input_text.note", "set_value", "hi")[2]).toEqual({
            entity_id: "input_text.note",
            value: "hi",
        });
        expect(call("text.code", "set_value", "x")[1]).toBe("set_value");
        expect(call("input_select.mode", "select_option", "Away")[2]).toEqual({
            entity_id: "input_select.mode",
            option: "Away",
        });
        expect(call("select.speed", "select_last")[1]).toBe("select_last");
        expect(call("input_datetime.alarm", "set_value", "07:30")[2]).toEqual({
            entity_id: "input_datetime.alarm",
            time: "07:30:00",
        });
        expect(call("input_datetime.trip", "set_value", "2026-01-02T08:00")[2]).toEqual(
            {
                entity_id: "input_datetime.trip",
                datetime: "2026-01-02 08:00:00",
            }
        );
        expect(call("input_datetime.day", "set_value", "2026-01-02")[2].date).toBe(
            "2026-01-02"
        );
        expect(call("date.due", "set_value", "2026-01-02")[2].date).toBe("2026-01-02");
        expect(call("time.wake", "set_value", "06:00")[2].time).toBe("06:00:00");
        expect(call("datetime.next", "set_value", "2026-01-02T08:00")[2].datetime).toBe(
            "2026-01-02 08:00:00"
        );
    });

    test("counter and timer family", () => {
        for (const service of ["increment", "decrement", "reset"]) {
            expect(call("counter.visits", service, undefined, "3")).toEqual([
                "counter",
                service,
                {entity_id: "counter.visits"},
            ]);
        }
        expect(call("timer.laundry", "start", undefined, "idle")).toEqual([
            "timer",
            "start",
            {entity_id: "timer.laundry"},
        ]);
        expect(call("timer.laundry", "start", "0:10:00", "idle")[2]).toEqual({
            entity_id: "timer.laundry",
            duration: "0:10:00",
        });
        for (const service of ["pause", "cancel", "finish"]) {
            expect(call("timer.laundry", service, undefined, "active")).toEqual([
                "timer",
                service,
                {entity_id: "timer.laundry"},
            ]);
        }
    });

    test("media, robot and other families", () => {
        expect(call("media_player.tv", "volume", 35)[2]).toEqual({
            entity_id: "media_player.tv",
            volume_level: 0.35,
        });
        expect(call("media_player.tv", "play_pause")[1]).toBe("media_play_pause");
        expect(
            call("media_player.tv", "repeat", undefined, "playing", {repeat: "all"})[2]
        ).toEqual({entity_id: "media_player.tv", repeat: "one"});
        expect(call("media_player.tv", "source", "HDMI 1")[2].source).toBe("HDMI 1");
        expect(call("vacuum.robo", "return_to_base")[1]).toBe("return_to_base");
        expect(call("vacuum.robo", "set_fan_speed", "max")[2].fan_speed).toBe("max");
        expect(call("lawn_mower.mow", "start")[1]).toBe("start_mowing");
        expect(call("lawn_mower.mow", "return_to_base")[1]).toBe("dock");
        expect(call("todo.shopping", "add_item", "milk")[2]).toEqual({
            entity_id: "todo.shopping",
            item: "milk",
        });
        expect(call("update.core", "install")[1]).toBe("install");
        expect(
            call("tts.cloud", "speak", {
                message: "Hello",
                mediaPlayer: "media_player.tv",
            })
        ).toEqual([
            "tts",
            "speak",
            {
                entity_id: "tts.cloud",
                media_player_entity_id: "media_player.tv",
                message: "Hello",
            },
        ]);
        expect(call("sensor.temp", "toggle")).toBe(null);
        expect(call("camera.door", "toggle")).toBe(null);
    });

    test("a click calls the entity's instance, the bus push is followed", async () => {
        const calls = [];
        onRpc("/odoo_ha_addon/call_service", async (request) => {
            const {params} = await request.json();
            calls.push(params);
            return {success: true, data: {}};
        });
        await mountWithCleanup(EntityController, {
            props: {
                entity: {
                    id: 3,
                    entity_id: "light.desk",
                    domain: "light",
                    name: "Desk",
                    entity_state: "off",
                    attributes: {brightness: 0},
                    ha_instance_id: [7, "Home"],
                },
            },
        });
        await click(".o_odoo_ha_addon_toggle");
        await animationFrame();
        expect(calls).toEqual([
            {
                domain: "light",
                service: "toggle",
                service_data: {entity_id: "light.desk"},
                ha_instance_id: 7,
            },
        ]);
        expect(".o_odoo_ha_addon_state").toHaveText("On");
        getService("ha_data").handleBusNotification("ha_entity_state_changed", {
            ha_instance_id: 7,
            changes: [{entity_id: "light.desk", state: "off", attributes: {}}],
        });
        await animationFrame();
        expect(".o_odoo_ha_addon_state").toHaveText("Off");
    });

    test("a refused call rolls the optimistic state back", async () => {
        onRpc("/odoo_ha_addon/call_service", () => ({
            success: false,
            error: "Home Assistant refused",
            error_type: "ha_error",
        }));
        await mountWithCleanup(EntityController, {
            props: {
                entity: {
                    entity_id: "switch.pump",
                    domain: "switch",
                    entity_state: "off",
                    attributes: {},
                    ha_instance_id: 2,
                },
            },
        });
        await click(".o_odoo_ha_addon_toggle");
        await animationFrame();
        await animationFrame();
        expect(".o_odoo_ha_addon_state").toHaveText("Off");
        expect(".o_odoo_ha_addon_error").toHaveText("Home Assistant refused");
    });

    test("alarm code entry sends the code", async () => {
        const calls = recordServiceCalls();
        await mountWithCleanup(EntityController, {
            props: {
                entity: {
                    entity_id: "alarm_control_panel.home",
                    entity_state: "disarmed",
                    attributes: {code_format: "number"},
                    ha_instance_id: 1,
                },
            },
        });
        await click(".o_odoo_ha_addon_alarm_code");
        await edit("4321");
        await animationFrame();
        await click("[data-action='arm_home']");
        await animationFrame();
        expect(calls).toEqual([
            {
                domain: "alarm_control_panel",
                service: "alarm_arm_home",
                service_data: {entity_id: "alarm_control_panel.home", code: "4321"},
                ha_instance_id: 1,
            },
        ]);
    });

    test("camera snapshot goes through the server", async () => {
        onRpc("/odoo_ha_addon/camera_snapshot", async (request) => {
            const {params} = await request.json();
            expect(params).toEqual({entity_id: "camera.door", ha_instance_id: 4});
            return {
                success: true,
                data: {content_type: "image/png", image: "iVBORw0KGgo="},
            };
        });
        await mountWithCleanup(EntityController, {
            props: {
                entity: {
                    entity_id: "camera.door",
                    entity_state: "idle",
                    attributes: {brand: "Acme"},
                    ha_instance_id: 4,
                },
            },
        });
        await click("[data-action='snapshot']");
        await animationFrame();
        await animationFrame();
        expect("img.o_odoo_ha_addon_snapshot").toHaveAttribute(
            "src",
            /^data:image\/png;base64,/
        );
    });

    test("counter buttons call the services, bounds disable them", async () => {
        const calls = recordServiceCalls();
        await mountWithCleanup(EntityController, {
            props: {
                entity: {
                    entity_id: "counter.door_openings",
                    entity_state: "4",
                    attributes: {initial: 0, step: 2, maximum: 5, editable: true},
                    ha_instance_id: 3,
                },
            },
        });
        // 4 + 2 would pass the maximum of 5: HA refuses, the button is off.
        expect("[data-action='increment']").toHaveAttribute("disabled");
        expect("[data-action='decrement']").not.toHaveAttribute("disabled");
        await click("[data-action='decrement']");
        await animationFrame();
        expect(".o_odoo_ha_addon_state").toHaveText("2");
        expect("[data-action='increment']").not.toHaveAttribute("disabled");
        await click("[data-action='reset']");
        await animationFrame();
        expect(".o_odoo_ha_addon_state").toHaveText("0");
        // At its initial value a counter has nothing to reset.
        expect("[data-action='reset']").toHaveAttribute("disabled");
        expect(calls).toEqual([
            {
                domain: "counter",
                service: "decrement",
                service_data: {entity_id: "counter.door_openings"},
                ha_instance_id: 3,
            },
            {
                domain: "counter",
                service: "reset",
                service_data: {entity_id: "counter.door_openings"},
                ha_instance_id: 3,
            },
        ]);
    });

    test("timer buttons follow its state and show its figures", async () => {
        const calls = recordServiceCalls();
        await mountWithCleanup(EntityController, {
            props: {
                entity: {
                    entity_id: "timer.laundry",
                    entity_state: "idle",
                    attributes: {duration: "0:45:00", editable: true},
                    ha_instance_id: 5,
                },
            },
        });
        expect("[data-figure='duration']").toHaveText("0:45:00");
        expect("[data-figure='remaining']").toHaveCount(0);
        // Idle: only start means something.
        expect("[data-action='start']").not.toHaveAttribute("disabled");
        for (const action of ["pause", "cancel", "finish"]) {
            expect(`[data-action='${action}']`).toHaveAttribute("disabled");
        }
        await click(".o_odoo_ha_addon_timer_duration");
        await edit("0:10:00");
        await animationFrame();
        await click("[data-action='start']");
        await animationFrame();
        expect(".o_odoo_ha_addon_state").toHaveText("Running");
        expect("[data-action='start']").toHaveAttribute("disabled");
        // HA's push of the running timer: remaining and end appear.
        getService("ha_data").handleBusNotification("ha_entity_state_changed", {
            ha_instance_id: 5,
            changes: [
                {
                    entity_id: "timer.laundry",
                    state: "active",
                    attributes: {
                        duration: "0:10:00",
                        remaining: "0:10:00",
                        finishes_at: "2026-01-02T08:10:00+00:00",
                        editable: true,
                    },
                },
            ],
        });
        await animationFrame();
        expect("[data-figure='remaining']").toHaveText("0:10:00");
        expect("[data-figure='finishes_at']").toHaveCount(1);
        await click("[data-action='pause']");
        await animationFrame();
        expect(".o_odoo_ha_addon_state").toHaveText("Paused");
        // A paused timer resumes, is cancelled or finished, not paused again.
        expect("[data-action='pause']").toHaveAttribute("disabled");
        expect("[data-figure='finishes_at']").toHaveCount(0);
        await click("[data-action='start']");
        await animationFrame();
        await click("[data-action='finish']");
        await animationFrame();
        await click("[data-action='start']");
        await animationFrame();
        await click("[data-action='cancel']");
        await animationFrame();
        expect(calls.map((c) => [c.service, c.service_data])).toEqual([
            ["start", {entity_id: "timer.laundry", duration: "0:10:00"}],
            ["pause", {entity_id: "timer.laundry"}],
            ["start", {entity_id: "timer.laundry"}],
            ["finish", {entity_id: "timer.laundry"}],
            ["start", {entity_id: "timer.laundry"}],
            ["cancel", {entity_id: "timer.laundry"}],
        ]);
        expect(calls.every((c) => c.domain === "timer" && c.ha_instance_id === 5)).toBe(
            true
        );
        expect(".o_odoo_ha_addon_entity_controller").not.toHaveText(
            /undefined|NaN|\[object Object\]/
        );
    });
});
