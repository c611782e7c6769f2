import {describe, expect, test} from "@odoo/hoot";
import {animationFrame} from "@odoo/hoot-mock";
import {registry} from "@web/core/registry";
import {
    defineModels,
    fields,
    getService,
    models,
    mountView,
    onRpc,
} from "@web/../tests/web_test_helpers";
import {
    ENTITY_CONTROLLER_WIDGET,
    HaEntityControllerWidget,
} from "@odoo_ha_addon/components/entity_controller_widget/entity_controller_widget";
import {defineMailModels} from "@mail/../tests/mail_test_helpers";

class HaInstance extends models.Model {
    _name = "ha.instance";
    name = fields.Char();
    _records = [{id: 7, name: "Home"}];
}

class HaEntity extends models.Model {
    _name = "ha.entity";
    name = fields.Char();
    entity_id = fields.Char();
    domain = fields.Char();
    entity_state = fields.Char();
    attributes = fields.Json();
    last_changed = fields.Datetime();
    ha_instance_id = fields.Many2one({relation: "ha.instance"});
    _records = [
        {
            id: 1,
            name: "Pump",
            entity_id: "switch.pump",
            domain: "switch",
            entity_state: "off",
            // (the mock server wants JSON fields as strings; false reads as none)
            attributes: false,
            ha_instance_id: 7,
        },
    ];
}

defineMailModels();
defineModels([HaInstance, HaEntity]);

// The same shape as the addon's kanban of entities.
const ARCH = `
    <kanban js_class="ha_entity_kanban" create="0">
        <field name="entity_id"/>
        <field name="domain"/>
        <field name="entity_state"/>
        <field name="attributes"/>
        <field name="last_changed"/>
        <field name="ha_instance_id"/>
        <templates>
            <t t-name="card">
                <field name="name"/>
                <widget name="ha_entity_controller" compact="1"/>
            </t>
        </templates>
    </kanban>`;

describe("components/entity_controller_widget", () => {
    test("views name it ha_entity_controller", () => {
        expect(ENTITY_CONTROLLER_WIDGET).toBe("ha_entity_controller");
        expect(
            registry.category("view_widgets").get("ha_entity_controller").component
        ).toBe(HaEntityControllerWidget);
    });

    test("a kanban card shows the record's live controller", async () => {
        let searches = 0;
        onRpc("web_search_read", () => {
            searches++;
        });
        await mountView({type: "kanban", resModel: "ha.entity", arch: ARCH});
        expect(".o_odoo_ha_addon_entity_controller_widget").toHaveCount(1);
        expect(
            ".o_odoo_ha_addon_entity_controller[data-entity-id='switch.pump']"
        ).toHaveCount(1);
        expect(".o_odoo_ha_addon_state").toHaveText("Off");

        // A state push of the record's instance reaches the card.
        getService("ha_data").handleBusNotification("ha_entity_state_changed", {
            ha_instance_id: 7,
            changes: [{entity_id: "switch.pump", state: "on"}],
        });
        await animationFrame();
        expect(".o_odoo_ha_addon_state").toHaveText("On");

        // The kanban reloads after a full sync (its useHaGlobalState subscription).
        expect(searches).toBe(1);
        getService("ha_data").handleBusNotification("ha_entity_update_all", {
            ha_instance_id: 7,
        });
        await animationFrame();
        expect(searches).toBe(2);
    });

    test("the entity form shows the record's live controller", async () => {
        await mountView({
            type: "form",
            resModel: "ha.entity",
            resId: 1,
            // The fields the addon's entity form shows around its widget.
            arch: `
                <form create="0">
                    <sheet>
                        <field name="name"/>
                        <field name="entity_id"/>
                        <div class="o_odoo_ha_addon_form_controller">
                            <widget name="ha_entity_controller"/>
                        </div>
                        <field name="entity_state"/>
                        <field name="last_changed"/>
                        <field name="ha_instance_id"/>
                        <field name="domain"/>
                        <field name="attributes"/>
                    </sheet>
                </form>`,
        });
        const controller =
            ".o_odoo_ha_addon_form_controller .o_odoo_ha_addon_entity_controller";
        expect(`${controller}[data-entity-id='switch.pump']`).toHaveCount(1);
        expect(`${controller} .o_odoo_ha_addon_state`).toHaveText("Off");
        getService("ha_data").handleBusNotification("ha_entity_state_changed", {
            ha_instance_id: 7,
            changes: [{entity_id: "switch.pump", state: "on"}],
        });
        await animationFrame();
        expect(`${controller} .o_odoo_ha_addon_state`).toHaveText("On");
    });
});
