import {describe, expect, test} from "@odoo/hoot";
import {animationFrame} from "@odoo/hoot-mock";
import {click} from "@odoo/hoot-dom";
import {
    getService,
    mockService,
    mountWithCleanup,
    onRpc,
} from "@web/../tests/web_test_helpers";
import {MainComponentsContainer} from "@web/core/main_components_container";
import {DeviceCard} from "@odoo_ha_addon/components/device_card/device_card";
import {RelatedEntityDialog} from "@odoo_ha_addon/components/related_entity_dialog/related_entity_dialog";
import {StandaloneEntityCard} from "@odoo_ha_addon/components/standalone_entity_card/standalone_entity_card";
import {defineMailModels} from "@mail/../tests/mail_test_helpers";

defineMailModels();

function sensor(values = {}) {
    return {
        id: 11,
        entity_id: "sensor.kitchen_temperature",
        name: "Kitchen Temperature",
        domain: "sensor",
        entity_state: "21.5",
        attributes: {unit_of_measurement: "°C"},
        ...values,
    };
}

describe("components/area cards", () => {
    test("a device card: name, maker, its entities, collapsible", async () => {
        const related = [];
        await mountWithCleanup(DeviceCard, {
            props: {
                device: {
                    id: 5,
                    name: "Kitchen Multisensor",
                    manufacturer: "Aqara",
                    model: false,
                    entities: [
                        sensor({area_override: true}),
                        sensor({
                            id: 12,
                            entity_id: "sensor.kitchen_humidity",
                            name: "Kitchen Humidity",
                            entity_state: "40",
                            attributes: {unit_of_measurement: "%"},
                        }),
                    ],
                },
                instanceId: 2,
                onRelated: (entity) => related.push(entity.entity_id),
            },
        });
        expect(".o_odoo_ha_addon_device_card .card-header").toHaveText(
            /^Kitchen Multisensor\s+Aqara$/
        );
        expect(".o_odoo_ha_addon_device_card .badge.text-bg-info").toHaveCount(1);
        expect(".o_odoo_ha_addon_device_card .badge.text-bg-info").toHaveText(
            "Moved to another area"
        );
        expect(".o_odoo_ha_addon_device_card").toHaveText(/21\.5\s*°C/);
        await click(".o_odoo_ha_addon_open_related:eq(1)");
        expect(related).toEqual(["sensor.kitchen_humidity"]);
        await click(".o_odoo_ha_addon_device_card .card-header");
        await animationFrame();
        expect(".o_odoo_ha_addon_device_card .card-body").toHaveCount(0);
        await click(".o_odoo_ha_addon_device_card .card-header");
        await animationFrame();
        expect(".o_odoo_ha_addon_device_card .card-body").toHaveCount(1);
    });

    test("a standalone entity card names the device it came from", async () => {
        const related = [];
        await mountWithCleanup(StandaloneEntityCard, {
            props: {
                entity: sensor({source_device: {id: 3, name: "Hallway Multisensor"}}),
                instanceId: 2,
                onRelated: (entity) => related.push(entity.entity_id),
            },
        });
        expect(".o_odoo_ha_addon_source_device").toHaveText("Hallway Multisensor");
        expect(".o_odoo_ha_addon_standalone_card").toHaveText(/21\.5\s*°C/);
        await click(".o_odoo_ha_addon_open_related");
        expect(related).toEqual(["sensor.kitchen_temperature"]);
    });

    test("a standalone entity card without a source device has no badge", async () => {
        await mountWithCleanup(StandaloneEntityCard, {
            props: {entity: sensor(), instanceId: 2, onRelated: () => {}},
        });
        expect(".o_odoo_ha_addon_source_device").toHaveCount(0);
    });

    test("the related dialog: every kind, with icons and states, opening records", async () => {
        const actions = [];
        mockService("action", {doAction: (action) => actions.push(action)});
        onRpc("/odoo_ha_addon/entity_related", async (request) => {
            const {params} = await request.json();
            expect(params).toEqual({
                entity_id: "sensor.kitchen_temperature",
                ha_instance_id: 2,
            });
            return {
                success: true,
                data: {
                    area: {id: 1, name: "Kitchen", icon: "mdi:stove"},
                    device: {
                        id: 5,
                        name: "Kitchen Multisensor",
                        manufacturer: "Aqara",
                        model: "WSDCGQ11LM",
                    },
                    labels: [
                        {id: 7, name: "Energy", icon: "mdi:flash", color: "amber"},
                    ],
                    automations: [
                        {
                            id: 20,
                            entity_id: "automation.heat",
                            name: "Heat up",
                            state: "on",
                            icon: false,
                        },
                    ],
                    scenes: [],
                    scripts: [
                        {
                            id: 21,
                            entity_id: "script.alert",
                            name: "Alert",
                            state: "off",
                            icon: false,
                        },
                    ],
                },
            };
        });
        await mountWithCleanup(MainComponentsContainer);
        getService("dialog").add(RelatedEntityDialog, {
            entity: sensor(),
            instanceId: 2,
        });
        await animationFrame();
        expect(".modal-title").toHaveText("Kitchen Temperature");
        expect(".o_odoo_ha_addon_related_group").toHaveCount(5);
        expect("[data-group='area'] .fa-map-marker").toHaveCount(1);
        expect("[data-group='device']").toHaveText(
            /Kitchen Multisensor\s+Aqara WSDCGQ11LM/
        );
        expect("[data-group='labels'] .fa-tag").toHaveCount(1);
        expect("[data-group='automations'] .o_odoo_ha_addon_related_state").toHaveText(
            "On"
        );
        expect("[data-group='automations'] .o_odoo_ha_addon_related_state").toHaveClass(
            "text-bg-success"
        );
        expect("[data-group='scripts'] .o_odoo_ha_addon_related_state").toHaveText(
            "Off"
        );
        expect("[data-group='scenes']").toHaveCount(0);
        expect(".modal").not.toHaveText(/undefined|NaN|null|\[object Object\]/);
        await click("[data-group='automations'] a");
        await animationFrame();
        expect(actions).toEqual([
            {
                type: "ir.actions.act_window",
                res_model: "ha.entity",
                res_id: 20,
                views: [[false, "form"]],
            },
        ]);
        expect(".modal").toHaveCount(0);
    });

    test("the related dialog with nothing related says so", async () => {
        onRpc("/odoo_ha_addon/entity_related", () => ({
            success: true,
            data: {
                area: false,
                device: false,
                labels: [],
                automations: [],
                scenes: [],
                scripts: [],
            },
        }));
        await mountWithCleanup(MainComponentsContainer);
        getService("dialog").add(RelatedEntityDialog, {
            entity: sensor(),
            instanceId: 2,
        });
        await animationFrame();
        expect(".modal-body").toHaveText("Nothing related.");
    });
});
